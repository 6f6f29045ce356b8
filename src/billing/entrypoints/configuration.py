"""How a setting is declared and read, and how a bad one stops the process.

A setting is an attrs field declared with ``setting()``: its variable name, its default, its
parser, whether it is secret. The same parser reads the environment, a host application's
``app.config`` (where values may already be typed) and keyword arguments given in code, so a
setting has one declaration, one default and one validation wherever it comes from.

Every misconfiguration is a ``ConfigurationError``: one line that names the variable, says what
is wrong and, where there is one, the fix. The command line prints that line and exits 2
instead of a traceback; a host application gets the exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

T = TypeVar("T")

_VARIABLE = "billing.setting"
#: An echoed value is cut here: a setting's message stays one readable line.
_SHOWN = 60
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigurationError(Exception):
    """A setting the process cannot start with: ``VARIABLE: what is wrong; how to fix it``."""

    def __init__(self, variable: str, problem: str, fix: str | None = None) -> None:
        self.variable = variable
        self.problem = problem
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        line = f"{self.variable}: {self.problem}"
        return f"{line}; {self.fix}" if self.fix else line


def shown(value: object) -> str:
    """A value as an error message quotes it: ``repr``, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 4] + "…" + text[-3:]


@attrs.frozen
class Variable:
    """What a settings field is read from: its variable's name and the parser of its values."""

    name: str
    parse: Callable[[Any], Any]
    help: str = ""


def setting(
    variable: str,
    default: Any,
    parse: Callable[[Any], T],
    *,
    secret: bool = False,
    help: str = "",
) -> Any:
    """Declare a settings field read from ``variable`` (the default is parsed like a value).

    A parser takes the raw text (or an already typed value) and returns the value, raising
    ``ValueError`` with the problem; the error then names ``variable``.
    """

    def convert(value: Any) -> T:
        try:
            return parse(value)
        except ValueError as error:
            raise ConfigurationError(variable, str(error)) from None

    return attrs.field(
        default=default,
        converter=convert,
        repr=not secret,
        metadata={_VARIABLE: Variable(variable, parse, help)},
    )


def variables(cls: type) -> dict[str, Variable]:
    """Field name → its variable, for every declared setting of the attrs class ``cls``."""
    found = (
        (field.name, field.metadata.get(_VARIABLE)) for field in attrs.fields(cls) if field.init
    )
    return {name: variable for name, variable in found if variable is not None}


def read(cls: type[T], source: Mapping[str, Any], **given: Any) -> T:
    """An instance of ``cls`` from the variables present in ``source``; ``given`` fields win."""
    values = {
        name: source[variable.name]
        for name, variable in variables(cls).items()
        if variable.name in source
    }
    return cls(**{**values, **given})


# Parsers: raw text, or an already typed value (a host's app.config), to a typed value.


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {shown(value)}")
    return value.strip()


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    spelled = text(value).lower()
    if spelled not in _TRUE | _FALSE:
        raise ValueError(f"must be true or false, not {shown(value)}")
    return spelled in _TRUE


def integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"must be an integer, not {shown(value)}")
        try:
            number = value if isinstance(value, int) else int(text(value))
        except ValueError:
            raise ValueError(f"must be an integer, not {shown(value)}") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}, not {number}")
        return number

    return parse


def choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        chosen = text(value).lower()
        if chosen not in options:
            raise ValueError(f"must be one of {', '.join(options)}, not {shown(value)}")
        return chosen

    return parse


def text_list(value: Any) -> tuple[str, ...]:
    """``"a, b"`` (or a list) → ``("a", "b")``, blanks dropped."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"must be a comma-separated list, not {shown(value)}")
    return tuple(text(item) for item in items if text(item))


def checked(parse: Callable[[Any], T], check: Callable[[T], str | None]) -> Callable[[Any], T]:
    """``parse``, then ``check`` the value: it returns the problem, or None when it is fine."""

    def parse_and_check(value: Any) -> T:
        parsed = parse(value)
        problem = check(parsed)
        if problem is not None:
            raise ValueError(problem)
        return parsed

    return parse_and_check
