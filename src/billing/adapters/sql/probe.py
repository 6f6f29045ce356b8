"""Whether a database answers, and if not, why, in words an operator can act on.

One connection attempt with a short timeout; the driver's message is read for the usual
mistakes (a host that does not resolve, nothing listening on the port, a database or role that
does not exist, a password refused, a file that cannot be opened).
"""

from __future__ import annotations

import re

import attrs
from sqlalchemy import exc
from sqlalchemy.engine import make_url

from .engine import make_engine

PROBE_TIMEOUT_SECONDS = 5


@attrs.frozen
class DatabaseProblem:
    """Why a database cannot be used: what is wrong, and what to do about it."""

    problem: str
    fix: str


def diagnose(database_url: str, timeout: int = PROBE_TIMEOUT_SECONDS) -> DatabaseProblem | None:
    """None when a connection to ``database_url`` opens, else the problem."""
    url = make_url(database_url)
    postgres = url.get_backend_name() == "postgresql"
    args = {"connect_timeout": timeout} if postgres else {}
    try:
        engine = make_engine(url, connect_args=args)
    except OSError as error:  # SQLite: the file's directory cannot be made
        return DatabaseProblem(f"cannot create {url.database}: {error.strerror}", _FILE_FIX)
    try:
        with engine.connect():
            return None
    except exc.DBAPIError as error:
        return explain(str(error.orig), url.host or "localhost", url.port or 5432, url.database)
    finally:
        engine.dispose()


_FILE_FIX = "point it at a file in a directory this user can write"
_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"resolve host|translate host name|name or service not known", re.I),
        "the host {host} is not known",
        "check the host name in the URL",
    ),
    (
        re.compile(r"connection refused", re.I),
        "nothing answers on {host}:{port}",
        "start the database server, or fix the host and port in the URL",
    ),
    (
        re.compile(r"timeout expired|timed out", re.I),
        "{host}:{port} did not answer in time",
        "check that the server is up and reachable from here",
    ),
    (
        re.compile(r'database "[^"]*" does not exist', re.I),
        "the server at {host}:{port} has no database {database}",
        "create it (createdb {database}) or name an existing one in the URL",
    ),
    (
        re.compile(r'role "[^"]*" does not exist|password authentication failed|no password', re.I),
        "the server at {host}:{port} refused the user or password",
        "fix the user and password in the URL",
    ),
    (
        re.compile(r"unable to open database file", re.I),
        "cannot open the SQLite file {database}",
        _FILE_FIX,
    ),
)


def explain(message: str, host: str, port: int, database: str | None) -> DatabaseProblem:
    """The problem a driver's connection error ``message`` describes."""
    names = {"host": host, "port": port, "database": database or ""}
    for pattern, problem, fix in _RULES:
        if pattern.search(message):
            return DatabaseProblem(problem.format(**names), fix.format(**names))
    first_line = message.strip().splitlines()[0] if message.strip() else "no message"
    return DatabaseProblem(f"cannot connect ({first_line[:200]})", "check the URL and the server")
