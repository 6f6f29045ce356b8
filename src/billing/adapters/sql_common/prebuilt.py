"""Statements built once, and on PostgreSQL run on psycopg's own cursor.

A paid event runs about fifteen statements. Through SQLAlchemy each one costs, on top of
psycopg's own work, its cache key, an execution context, its parameters' processing and the
result's metadata (psycopg builds a column description object per column for it): about as
much CPU again as the driver itself (``benchmarks/RESULTS.md``). A statement of the hot paths
is built once, so it needs compiling only once too: ``Prebuilt`` keeps its SQL for each set of
parameter names it is given and runs it on the transaction's own psycopg connection, with the
column types' bind and result processors (``UtcDateTime``, JSON) applied as SQLAlchemy applies
them. The SQL is the very text SQLAlchemy would send.

What SQLAlchemy would do around a statement is kept: a driver error is wrapped as SQLAlchemy
wraps it (``DBAPIError.instance``), so the SQL adapter's ``errors.translated`` and the
sandbox's retry on a race see the same exceptions, and a lost connection is invalidated with
every connection the pool held from before it, so the pool never hands one out again.
Whenever something listens to the engine's statements (``before_cursor_execute`` /
``after_cursor_execute``: tracing, statement counters, the fault tests' hooks) or echoes them,
the statement goes through SQLAlchemy instead, so that the listener sees every one. So do
SQLite (the embedded default, whose statements cost little next to its file I/O), a statement
with a Python-side default or an expanding ``IN``, and every statement built per call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Row = Mapping[Any, Any]  # a row by column name
_CURSOR = "billing_prebuilt_cursor"  # its key in the pooled connection's ``info``

_Processor = Callable[[Any], Any]


class Rows:
    """What a statement returned: its rows as mappings (if it returns any) and its row count."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def first(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Row:
        if not self._rows:
            raise exc.NoResultFound("the statement returned no row")
        if len(self._rows) > 1:
            raise exc.MultipleResultsFound("the statement returned more than one row")
        return self._rows[0]

    @classmethod
    def of(cls, connection: Connection, statement: Any, params: Any) -> Rows:
        """Run ``statement`` through SQLAlchemy and keep its rows."""
        result = connection.execute(statement, params)
        rows: list[Row] = list(result.mappings()) if result.returns_rows else []
        return cls(rows, result.rowcount)


class Prebuilt:
    """A statement built once: run through SQLAlchemy, or on PostgreSQL by psycopg itself.

    Share one per statement for the life of the process (a module constant, or a cached
    function's result): its compiled forms are kept for good, one per set of parameter names.
    """

    __slots__ = ("_forms", "_lock", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, ...], _Form | None] = {}  # None: through SQLAlchemy
        self._lock = threading.Lock()

    def run(self, connection: Connection, params: Mapping[str, Any] | None = None) -> Rows:
        if not _direct_allowed(connection):
            return Rows.of(connection, self.statement, params)
        keys = tuple(params) if params else ()  # a record's keys come in one order
        try:
            form = self._forms[keys]
        except KeyError:
            form = self._compile(connection.dialect, keys)
        if form is None:
            return Rows.of(connection, self.statement, params)
        return form.run(connection, params or {})

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Form | None:
        compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
        assert isinstance(compiled, SQLCompiler)
        form = _Form.of(self.statement, compiled, dialect, keys)
        with self._lock:
            return self._forms.setdefault(keys, form)


def _direct_allowed(connection: Connection) -> bool:
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return False
    # SQLAlchemy's own flag for "some listener is registered on this connection or its engine"
    # (what it checks before each statement); missing, assume there is one.
    if getattr(connection, "_has_events", True) or getattr(connection.engine, "_has_events", True):
        dispatch = connection.dispatch
        if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
            return False
    return not connection.engine.echo


class _Form:
    """One compiled form of a statement: its SQL, where each parameter's value comes from,
    and how each value and each returned column is processed."""

    __slots__ = ("_constants", "_given", "_processors", "_read_as", "_returns_rows", "sql")

    def __init__(
        self,
        sql: str,
        given: list[tuple[str, str, _Processor | None]],
        constants: dict[str, Any],
        processors: list[_Processor | None],
        returns_rows: bool,
    ) -> None:
        self.sql = sql
        self._given = given  # (name in the SQL, parameter's key, processor)
        self._constants = constants  # values fixed in the statement, already processed
        self._processors = processors  # per returned column, where the statement knows them
        self._returns_rows = returns_rows
        #: The returned columns' names and processors (None: none has one), from the first answer.
        self._read_as: tuple[tuple[str, ...], tuple[_Processor | None, ...] | None] | None = None

    @classmethod
    def of(
        cls, statement: Any, compiled: SQLCompiler, dialect: Dialect, keys: Sequence[str]
    ) -> _Form | None:
        """The direct form of ``compiled``, or None if only SQLAlchemy can run it."""
        if compiled.positional or compiled.insert_prefetch or compiled.update_prefetch:
            return None
        escaped = compiled.escaped_bind_names
        given: list[tuple[str, str, _Processor | None]] = []
        constants: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            if bind.expanding or bind.callable is not None:
                return None
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            in_sql = escaped.get(name, name)
            if bind.key in keys:
                given.append((in_sql, bind.key, processor))
            elif bind.required:
                return None  # SQLAlchemy raises its own error for the missing value
            else:
                value = bind.effective_value
                constants[in_sql] = processor(value) if processor is not None else value
        columns = list(getattr(statement, "exported_columns", ()))  # text(): none known
        is_dml = compiled.isinsert or compiled.isupdate or compiled.isdelete
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        return cls(compiled.string, given, constants, processors, bool(columns) or not is_dml)

    def run(self, connection: Connection, params: Mapping[str, Any]) -> Rows:
        values = dict(self._constants)
        for name, key, processor in self._given:
            value = params[key]
            values[name] = processor(value) if processor is not None else value
        if not connection.in_transaction():
            connection.begin()  # as SQLAlchemy's autobegin would: its commit/rollback then apply
        pooled = connection.connection
        cursor = pooled.info.get(_CURSOR)
        try:
            if cursor is None or cursor.closed:
                # One cursor per connection, reused: a psycopg cursor costs 5 % of a paid
                # event to make. The pool keeps ``info`` as long as the connection itself.
                driver = pooled.driver_connection
                assert driver is not None
                cursor = pooled.info[_CURSOR] = driver.cursor()
            cursor.execute(self.sql, values)
            rows = self._read(cursor) if self._returns_rows else []
            return Rows(rows, cursor.rowcount)
        except connection.dialect.loaded_dbapi.Error as error:
            raise _wrapped(connection, cursor, self.sql, values, error) from error

    def _read(self, cursor: Any) -> list[Row]:
        tuples = cursor.fetchall()
        if self._read_as is None:  # psycopg builds its description anew on each access
            names = tuple(column.name for column in cursor.description)
            known = self._processors if len(self._processors) == len(names) else []
            self._read_as = (names, tuple(known) if any(known) else None)
        names, processors = self._read_as
        if processors is None:
            return [dict(zip(names, row, strict=True)) for row in tuples]
        return [
            {
                name: processor(value) if processor is not None else value
                for name, processor, value in zip(names, processors, row, strict=True)
            }
            for row in tuples
        ]


def _wrapped(
    connection: Connection, cursor: Any, sql: str, values: Mapping[str, Any], error: Exception
) -> exc.StatementError:
    """``error`` as SQLAlchemy would raise it; a lost connection is invalidated, as SQLAlchemy
    does, so that the pool replaces it."""
    dialect = connection.dialect
    driver = connection.connection.driver_connection
    lost = dialect.is_disconnect(error, driver, cursor)  # type: ignore[arg-type]
    wrapped = exc.DBAPIError.instance(
        sql,
        dict(values),
        error,
        dialect.loaded_dbapi.Error,
        hide_parameters=connection.engine.hide_parameters,
        connection_invalidated=lost,
        dialect=dialect,
    )
    if lost:
        # As SQLAlchemy's own handler does: the other connections the pool holds from before
        # are likely lost too (a restart), so each is replaced at its next checkout.
        connection.engine.pool._invalidate(connection.connection, wrapped)
        connection.invalidate(wrapped)
    return wrapped
