"""The one cattrs converter between rows and entities, and the row mappers generated with it.

A ``RowMapper(Entity, table, ...)`` is built once, at import (``mapping.py``): cattrs
generates its two functions from the entity's attrs fields, ``from_row`` (a row keyed by
column name → a fresh entity) and ``record`` (an entity → the values of its row's columns).
A field whose column has its name needs nothing written anywhere. What is declared is a real
decision:

- ``rename``: the column of a field that has another name;
- ``flatten``: a nested attrs object kept in its parent's row, one column per nested field
  (``Flat(prefix="customer_")``: ``Customer.user_id`` is ``customer_user_id``). An optional
  one is stored as its defaults when absent, and read back as None when they are all defaults;
- ``elsewhere``: fields kept in other tables (an order's items), given to ``from_row`` built;
- ``given``: columns the caller supplies (an item's ``order_id`` and ``position``);
- ``computed``: columns derived from the entity (an invoice number's series and year).

Building a mapper checks that every field has a column and every column a source, and names
the one that has none (``MappingError``): a field added to the domain class and its column to
the table round-trips with no edit here; one added without its column fails at import.

The converter, configured once: StrEnums are stored as their value and read back as members;
times pass as they are (``UtcDateTime`` columns keep them aware and UTC); a ``dict[str, str]``
is a JSON text column; a CHAR column loses the padding PostgreSQL reads back. A row carries
all its columns, so every field is read as required: the generated function calls the class
directly, with no ``in`` test and no keyword dictionary per defaulted field.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum, StrEnum
from operator import attrgetter
from typing import Any, Generic, TypeVar

import attrs
import cattrs
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn_from_attrs, make_dict_unstructure_fn, override
from sqlalchemy import CHAR, Table

T = TypeVar("T")
Row = Mapping[Any, Any]  # a RowMapping, keyed by column name
Record = dict[str, Any]


class MappingError(TypeError):
    """An entity and its table disagree: a field without a column, or a column without a field."""


# -- the converter ----------------------------------------------------------------------------


class _AsIs:
    """The structure hook of a value the driver already gives as the field's type. It is falsy,
    so cattrs' generated code reads the column with no call at all (``o['id']``), as
    hand-written code would (``if handler:`` in ``cattrs.gen``); were that to change, it would
    still be right, only called."""

    def __call__(self, value: Any, _: Any) -> Any:
        return value

    def __bool__(self) -> bool:
        return False


_AS_IS = _AsIs()


def _stripped(value: str | None, _: Any) -> str | None:
    """A CHAR column's value without the padding PostgreSQL adds up to its length."""
    return None if value is None else value.rstrip()


def _optional_of(type_: Any) -> Any:
    """``X`` of ``X | None`` (None for any other type)."""
    if typing.get_origin(type_) not in (typing.Union, types.UnionType):
        return None
    others = [arg for arg in typing.get_args(type_) if arg is not type(None)]
    return others[0] if len(others) == 1 else None


def _is_enum(type_: Any) -> bool:
    return isinstance(type_, type) and issubclass(type_, Enum)


def _structure_optional(converter: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(type_: Any) -> Any:
        inner = _optional_of(type_)
        if inner in (str, int, bool, datetime):  # the driver's value is already the field's
            return _AS_IS
        structure = converter.get_structure_hook(inner)
        if structure == converter._structure_call:  # a StrEnum: its member of the value
            return lambda value, _: None if value is None else inner(value)
        return lambda value, _: None if value is None else structure(value, inner)

    return factory


def _unstructure_optional(converter: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(type_: Any) -> Any:
        unstructure = converter.get_unstructure_hook(_optional_of(type_))
        if unstructure is identity:
            return identity
        return lambda value: None if value is None else unstructure(value)

    return factory


def _json_object(text: str, _: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in json.loads(text).items()}


def _json_text(value: dict[str, str]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=False)
    for type_ in (str, int, bool, datetime):  # typed by their columns (UtcDateTime: aware)
        converter.register_structure_hook(type_, _AS_IS)
    # A StrEnum is a str, whose hook would otherwise win: a member is made from its value.
    converter.register_structure_hook(StrEnum, converter._structure_call)
    converter.register_structure_hook_factory(
        lambda t: _optional_of(t) is not None, _structure_optional(converter)
    )
    converter.register_unstructure_hook_factory(
        lambda t: _optional_of(t) is not None, _unstructure_optional(converter)
    )
    converter.register_unstructure_hook_func(_is_enum, attrgetter("value"))
    # A StrEnum is a str, whose hook (identity) would otherwise win; ``str`` gives its value.
    converter.register_unstructure_hook(StrEnum, str)
    converter.register_structure_hook_func(lambda t: t == dict[str, str], _json_object)
    converter.register_unstructure_hook_func(lambda t: t == dict[str, str], _json_text)
    return converter


#: The SQL boundary's converter: entities ↔ the values of their rows.
CONVERTER = _converter()


# -- the mappers ------------------------------------------------------------------------------


@attrs.frozen
class Flat:
    """How a nested object's fields are named in its parent's row."""

    prefix: str = ""
    rename: Mapping[str, str] = attrs.field(factory=dict)

    def column(self, name: str) -> str:
        return self.rename.get(name, self.prefix + name)


@attrs.frozen
class Computed:
    """Columns derived from the whole entity (``of`` returns them), written, never read."""

    columns: tuple[str, ...]
    of: Callable[[Any], Record]


class RowMapper(Generic[T]):
    """An entity's row: ``from_row`` and ``record``, generated once (see the module)."""

    def __init__(
        self,
        cls: type[T],
        table: Table,
        *,
        rename: Mapping[str, str] | None = None,
        flatten: Mapping[str, Flat] | None = None,
        elsewhere: tuple[str, ...] = (),
        given: tuple[str, ...] = (),
        computed: Computed | None = None,
        whole_row: bool = True,
    ) -> None:
        self.cls = cls
        self._fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(
            attrs.resolve_types(_attrs(cls))
        )
        self.table = table
        self.given = given
        self._rename = dict(rename or {})
        self._computed = computed
        self.elsewhere = elsewhere
        fields = self._fields
        self._nested: dict[str, tuple[RowMapper[Any], Any]] = {
            name: (
                RowMapper(
                    _nested_class(cls, name),
                    table,
                    rename=_columns(flat, cls, name),
                    whole_row=False,
                ),
                _optional_default(cls, name),
            )
            for name, flat in (flatten or {}).items()
        }
        self._check(fields, whole_row)
        stored = [f.evolve(default=attrs.NOTHING) for f in fields]  # a row has every column
        self._whole = len(self._nested) + len(elsewhere) == 0
        if not self._whole:
            # The fields read from columns, as keyword arguments (``dict`` as the class):
            # ``from_row`` adds the others and calls the class, without copying the row.
            stored = [f.evolve(kw_only=True) for f in stored if self._in_columns(f.name)]
        self._structure: Callable[[Row], Any] = make_dict_structure_fn_from_attrs(
            stored,
            cls if self._whole else dict,
            CONVERTER,
            _cattrs_forbid_extra_keys=False,
            **{f.name: self._structure_override(f.name) for f in stored},
        )
        self._unstructure = make_dict_unstructure_fn(
            cls,
            CONVERTER,
            **{field.name: self._unstructure_override(field.name) for field in fields},
        )
        self._flattened = [
            (attrgetter(name), mapper._unstructure, absent)  # a nested mapper only renames
            for name, (mapper, absent) in self._nested.items()
        ]
        self.record = self._record_function()

    def column(self, name: str) -> str:
        """The column of the field ``name`` (not of a flattened or elsewhere one)."""
        return self._rename.get(name, name)

    def from_row(self, row: Row, **elsewhere: Any) -> T:
        """A fresh entity from its row; the ``elsewhere`` fields given, already built."""
        if self._whole:
            entity: T = self._structure(row)
            return entity
        values = self._structure(row)
        for name, (mapper, absent) in self._nested.items():
            nested = mapper._structure(row)
            values[name] = None if absent is not None and nested == absent else nested
        return self.cls(**values, **elsewhere)

    def _record_function(self) -> Callable[..., Record]:
        """``record(entity, **given)``: the values of the entity's row's columns (``given``:
        those the caller supplies), with no more calls than the mapping needs: an entity
        whose fields are all columns of their own is the generated function itself."""
        unstructure: Callable[[Any], Record] = self._unstructure
        flattened, computed = self._flattened, self._computed
        if not flattened and computed is None:
            if not self.given:
                return unstructure

            def with_given(entity: Any, **given: Any) -> Record:
                record = unstructure(entity)
                record.update(given)
                return record

            return with_given

        def record(entity: Any, **given: Any) -> Record:
            record = unstructure(entity)
            for get, nested, absent in flattened:
                value = get(entity)
                record.update(nested(absent if value is None else value))
            if computed is not None:
                record.update(computed.of(entity))
            record.update(given)
            return record

        return record

    def _in_columns(self, name: str) -> bool:
        return name not in self._nested and name not in self.elsewhere

    def unstructure_without(self, *names: str) -> Callable[[T], Record]:
        """A generated function giving the columns of every field but ``names`` (the columns
        a ``save`` may change): no flattened field, no computed column."""
        if set(self._nested) - set(names):
            raise MappingError(f"{self.cls.__name__}: a partial record cannot flatten a field")
        overrides = {f.name: self._unstructure_override(f.name) for f in self._fields}
        overrides.update({name: override(omit=True) for name in names})
        return make_dict_unstructure_fn(self.cls, CONVERTER, **overrides)

    def _structure_override(self, name: str) -> Any:
        column = self.column(name)
        hook = _stripped if isinstance(self.table.c[column].type, CHAR) else None
        return override(rename=column if column != name else None, struct_hook=hook)

    def _unstructure_override(self, name: str) -> Any:
        if not self._in_columns(name):
            return override(omit=True)  # flattened by ``record``, or written elsewhere
        column = self.column(name)
        return override(rename=column if column != name else None)

    def _check(self, fields: Any, whole_row: bool) -> None:
        sources = set(self.given) | set(self._computed.columns if self._computed else ())
        for field in fields:
            if field.name in self.elsewhere:
                continue
            if field.name in self._nested:
                sources |= self._nested[field.name][0].columns()
                continue
            column = self.column(field.name)
            if column not in self.table.c:
                raise MappingError(
                    f"{self.cls.__name__}.{field.name} has no column {column!r} in "
                    f"{self.table.name}: add the column (and a migration), or declare how the "
                    "field is stored in adapters/sql/mapping.py"
                )
            if column in sources:
                raise MappingError(f"{self.table.name}.{column} is written by two fields")
            sources.add(column)
        missing = [c.name for c in self.table.c if c.name not in sources]
        if whole_row and missing:
            raise MappingError(
                f"{self.table.name}.{missing[0]} is written by no field of {self.cls.__name__}: "
                "add the field, or declare the column in adapters/sql/mapping.py"
            )

    def columns(self) -> set[str]:
        """The columns this mapper's fields are read from."""
        return {self.column(field.name) for field in self._fields}


def _attrs(cls: type) -> Any:
    """``cls``, for attrs' functions (an entity class is attrs, which a TypeVar cannot say)."""
    if not attrs.has(cls):
        raise MappingError(f"{cls.__name__} is not an attrs class")
    return cls


def _nested_class(cls: type, name: str) -> Any:
    type_ = attrs.fields_dict(attrs.resolve_types(_attrs(cls)))[name].type
    return _optional_of(type_) or type_


def _columns(flat: Flat, cls: type, name: str) -> dict[str, str]:
    return {field.name: flat.column(field.name) for field in attrs.fields(_nested_class(cls, name))}


def _optional_default(cls: type, name: str) -> Any:
    """What an absent optional nested object is stored as (its class's defaults), else None."""
    inner = _optional_of(attrs.fields_dict(_attrs(cls))[name].type)
    return inner() if inner is not None else None
