"""What a long-running command checks before it starts: the database answers, the port is free.

Each failure is a ``ConfigurationError``: one line naming the setting or option, what is wrong
and how to fix it, which the command line prints instead of a traceback.
"""

from __future__ import annotations

import socket
from pathlib import Path

import psutil
from sqlalchemy.engine import make_url

from billing.adapters.sql import diagnose

from .configuration import ConfigurationError
from .settings import Settings


def check_database(settings: Settings) -> None:
    """Refuse to start when the SQL database at ``BILLING_DATABASE_URL`` cannot be used."""
    if settings.storage != "sql":
        return
    problem = diagnose(settings.database_url)
    if problem is not None:
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        raise ConfigurationError(
            "BILLING_DATABASE_URL", f"{problem.problem} ({shown})", problem.fix
        )


def check_port_free(host: str, port: int) -> None:
    """Refuse to start when something listens on ``host:port`` already, naming it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            holder = _listener(port)
            raise ConfigurationError(
                "--port",
                f"{host}:{port} is {'in use by ' + holder if holder else error.strerror}",
                f"stop it, or choose another port (billing serve --port {port + 1}; "
                f"make run PORT={port + 1})",
            ) from None


def _listener(port: int) -> str | None:
    """``pid 123 (billing serve)`` for the process listening on ``port``, when it is visible."""
    try:
        connections = psutil.net_connections(kind="inet")
    except psutil.Error:
        return None
    for connection in connections:
        address = connection.laddr
        if connection.status == psutil.CONN_LISTEN and address and address.port == port:
            if connection.pid is None:
                return "another process"
            try:
                program, *arguments = psutil.Process(connection.pid).cmdline()
            except (psutil.Error, ValueError):
                return f"pid {connection.pid}"
            command = " ".join([Path(program).name, *arguments])
            return f"pid {connection.pid} ({command[:80]})"
    return None
