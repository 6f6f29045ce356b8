"""JSON Schema (OpenAPI 3.1) of attrs classes: the component schemas of the HTTP boundary.

Weighed: apischema (dataclasses and typing, not attrs; last release 2024), attrs-jsonschema
(2017, abandoned), pydantic/msgspec/spectree (their own model classes, not attrs). None fits,
so this small walk over ``attrs.fields`` does: a field's type gives its schema, its attrs
validators (``min_len``, ``max_len``, ``ge``, ``le``, ``gt``, ``lt``, ``in_``,
``matches_re``) their keywords, a field without a default is required, and ``meta(...)``
in its metadata adds what no type says (a description, a constraint the domain checks, the JSON name
of a field whose Python name is a keyword). The cattrs converter (``json_converter``) reads the
same metadata, so the document and the answers cannot drift apart.

A nested attrs class becomes a ``$ref`` to its own component, named after the class
(``component_name``); a request body's refuses unknown keys, as the converter does.
"""

from __future__ import annotations

import datetime
import enum
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

#: No text of this API holds a NUL character: a request carrying one is a 400.
STRING: dict[str, Any] = {"type": "string", "pattern": "^[^\\x00]*$"}

_DESCRIPTION = "billing.description"
_SCHEMA = "billing.schema"
_JSON_NAME = "billing.json_name"
_OMIT_IF_DEFAULT = "billing.omit_if_default"


def meta(
    *,
    description: str | None = None,
    json_name: str | None = None,
    omit_if_default: bool = False,
    **schema: Any,
) -> dict[str, Any]:
    """The metadata of an attrs field (``attrs.field(metadata=meta(...))``): what the document
    says of it beyond its type.

    ``schema`` keywords are merged into the field's schema (``maxLength=…``, ``pattern=…``);
    ``json_name`` is its key in JSON; ``omit_if_default`` leaves it out of an answer while it
    holds its default (and out of ``required``).
    """
    return {
        _DESCRIPTION: description,
        _SCHEMA: schema,
        _JSON_NAME: json_name,
        _OMIT_IF_DEFAULT: omit_if_default,
    }


def json_name(attribute: attrs.Attribute[Any]) -> str:
    return attribute.metadata.get(_JSON_NAME) or attribute.name


def omitted_if_default(attribute: attrs.Attribute[Any]) -> bool:
    return bool(attribute.metadata.get(_OMIT_IF_DEFAULT))


def component_name(cls: type) -> str:
    """``RefundJson`` → ``Refund`` (an answer), ``RefundBody`` → ``RefundRequest``."""
    name = cls.__name__
    return (
        name.removesuffix("Body") + "Request"
        if name.endswith("Body")
        else name.removesuffix("Json")
    )


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


@attrs.define
class Components:
    """The component schemas reached from the classes added: each class once, by name."""

    schemas: dict[str, Any] = attrs.Factory(dict)

    def add(self, cls: type) -> dict[str, str]:
        """Describe ``cls`` (and the classes it nests); answers the ``$ref`` to it. A request
        body (``…Body``, what the converter structures) refuses unknown keys."""
        name = component_name(cls)
        if name not in self.schemas:
            self.schemas[name] = {}  # reserved first: a class may nest itself
            self.schemas[name] = self._object(cls, closed=cls.__name__.endswith("Body"))
        return ref(name)

    def _object(self, cls: type, *, closed: bool) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = {}
        required = []
        for attribute in attrs.fields(cls):
            key = json_name(attribute)
            properties[key] = self._field(attribute, hints[attribute.name])
            if attribute.default is attrs.NOTHING and not omitted_if_default(attribute):
                required.append(key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        if closed:
            schema["additionalProperties"] = False
        if cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}("):
            schema["description"] = " ".join(cls.__doc__.split())
        return schema

    def _field(self, attribute: attrs.Attribute[Any], hint: Any) -> dict[str, Any]:
        schema = self.of(hint)
        if attribute.validator is not None:
            schema = {**schema, **_validator_keywords(attribute.validator, hint)}
        if isinstance(attribute.default, (str, int, bool)):
            schema["default"] = attribute.default
        if attribute.metadata.get(_DESCRIPTION):
            schema["description"] = attribute.metadata[_DESCRIPTION]
        return {**schema, **attribute.metadata.get(_SCHEMA, {})}

    def of(self, hint: Any) -> dict[str, Any]:
        """The schema of a type: built-in scalars, datetimes, StrEnums, Literals, lists,
        tuples, string-keyed dicts, attrs classes and their ``| None``."""
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            return _nullable(self.of(next(a for a in args if a is not type(None))))
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin in (list, tuple, Sequence) or hint in (list, tuple):
            return {"type": "array", "items": self.of(args[0]) if args else {}}
        if origin in (dict, Mapping):
            return {"type": "object", "additionalProperties": self.of(args[1])}
        if hint is Any:
            return {}
        if hint is dict:
            return {"type": "object"}
        if isinstance(hint, type) and attrs.has(hint):
            return self.add(hint)
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return {"enum": [member.value for member in hint]}
        return dict(_SCALARS[hint])


_SCALARS: dict[Any, dict[str, Any]] = {
    str: STRING,
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    datetime.datetime: {"type": "string", "format": "date-time"},
}

_BOUNDS = {">=": "minimum", "<=": "maximum", ">": "exclusiveMinimum", "<": "exclusiveMaximum"}


def _validator_keywords(validator: Any, hint: Any) -> dict[str, Any]:
    """JSON Schema keywords of attrs' own validators; others say nothing to the document."""
    keywords: dict[str, Any] = {}
    for one in getattr(validator, "_validators", (validator,)):  # and_(...) holds several
        inner = getattr(one, "validator", None)  # optional(...) wraps one
        if inner is not None and type(one).__name__ == "_OptionalValidator":
            keywords.update(_validator_keywords(inner, hint))
            continue
        textual = hint is str or str in typing.get_args(hint)
        if hasattr(one, "min_length"):
            keywords["minLength" if textual else "minItems"] = one.min_length
        elif hasattr(one, "max_length"):
            keywords["maxLength" if textual else "maxItems"] = one.max_length
        elif hasattr(one, "compare_op") and one.compare_op in _BOUNDS:
            keywords[_BOUNDS[one.compare_op]] = one.bound
        elif hasattr(one, "options"):
            keywords["enum"] = list(one.options)
        elif hasattr(one, "pattern") and hasattr(one.pattern, "pattern"):
            keywords["pattern"] = one.pattern.pattern
    return keywords


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}
