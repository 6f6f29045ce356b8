"""``billing serve`` as a subprocess for the time-budget tests: started with the given
variables, answered to through an httpx client, its whole output (gunicorn's log) in a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.integration.worker_harness import CLI, running, wait_until


def healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/billing/health/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serving(
    directory: Path, variables: dict[str, str], *, client_timeout: float, workers: int = 2
) -> Iterator[httpx.Client]:
    """``billing serve`` in ``directory`` on a free port, the demo catalog and text invoices,
    until it answers; its output goes to ``directory / "serve.log"``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    env = {
        **os.environ,
        "BILLING_ENABLED": "true",
        "BILLING_DEMO_CATALOG": "true",
        "BILLING_INVOICE_RENDERER": "text",
        "BILLING_MEDIA_ROOT": str(directory / "media"),
        **variables,
    }
    argv = [sys.executable, "-c", CLI, "serve", "--port", str(port), "--workers", str(workers)]
    with (directory / "serve.log").open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            argv, env=env, cwd=directory, stdout=sink, stderr=subprocess.STDOUT
        )
        base_url = f"http://127.0.0.1:{port}"
        with running(process), httpx.Client(base_url=base_url, timeout=client_timeout) as client:
            wait_until("billing serve to answer", lambda: healthy(client), timeout=60)
            yield client


def no_worker_killed(directory: Path) -> None:
    """gunicorn's log shows no worker it had to kill for outliving its timeout."""
    log = (directory / "serve.log").read_text(errors="replace")
    assert "WORKER TIMEOUT" not in log
    assert "SIGKILL" not in log
