"""A live app on a loopback port (SQLite, sandbox provider) and a headless Chromium.

The browser is Debian's ``chromium`` (``.ci/run`` installs it when missing). Outside CI a
machine without it skips these tests with a visible reason; in CI its absence is an error.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from billing.adapters.sql import upgrade
from billing.entrypoints.container import build_container
from billing.entrypoints.demo import load_demo_catalog
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("CI must install Debian's chromium (see .ci/run)")
    pytest.skip("chromium is not installed: browser tests not run")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[str]:
    """The service's base URL, served by a real WSGI server thread."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        enabled=True,
        storage="sql",
        database_url=f"sqlite:///{tmp_path / 'billing.db'}",
        payment_provider="sandbox",
        media_root=str(tmp_path / "media"),
        secret_key="e2e-secret-key",
        public_base_url=base_url,
    )
    upgrade(settings.database_url)
    container = build_container(settings)
    load_demo_catalog(container)
    server = make_server("127.0.0.1", port, create_app(container=container), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)
    container.unwire()
