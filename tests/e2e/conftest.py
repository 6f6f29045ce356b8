"""A live app on a loopback port (SQLite, sandbox provider) and a headless Chromium: billing's
own app (``live_app``) or the host example with billing at ``/shop/billing`` (``live_host_app``).

The browser is Debian's ``chromium`` (``.ci/run`` installs it when missing). Outside CI a
machine without it skips these tests with a visible reason; in CI its absence is an error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from billing import Billing
from billing.adapters.sql import upgrade
from billing.entrypoints.container import build_container, shutdown
from billing.entrypoints.demo import load_demo_catalog
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings
from tests.host_example import load_example

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
#: A phone (iPhone 12 to 15) and a desktop.
WIDTHS = (390, 1280)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def browser_page(chromium_path: str, width: int | None = None) -> Iterator[Page]:
    """A page of a fresh headless Chromium, ``width`` px wide and 800 high (the browser's
    default size without one), with the time a cold browser and a first PDF render on a busy
    CI take; the browser is closed after."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport=None if width is None else {"width": width, "height": 800}
            )
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def policy_refusals(page: Page) -> list[str]:
    """What the browser blocks under a page's Content-Security-Policy, as it happens."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def assert_fits(page: Page, screenshot: Path, width: int) -> None:
    """The page has no horizontal scroll at ``width``; its full-page screenshot is kept."""
    page.screenshot(path=str(screenshot), full_page=True)
    sizes = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1], f"{screenshot.stem} scrolls sideways at {width} px: {sizes}"


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
def live_settings() -> dict[str, object]:
    """Settings ``live_app`` takes besides its own; a test module overrides this fixture (e.g.
    ``{"invoice_locale": "fr"}``) to serve the same app differently."""
    return {}


@pytest.fixture
def live_app(tmp_path: Path, live_settings: dict[str, object]) -> Iterator[str]:
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
        **live_settings,  # type: ignore[arg-type]
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


@pytest.fixture
def live_host_app(tmp_path: Path) -> Iterator[str]:
    """``examples/host_app`` (its own users and pages, billing at ``/shop/billing``: SQLite, the
    sandbox provider, the demo catalog) served by a real WSGI server thread; its base URL."""
    database_url = f"sqlite:///{tmp_path / 'host.db'}"
    upgrade(database_url)
    server = make_server("127.0.0.1", 0, app=None, threaded=True)  # type: ignore[arg-type]
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = load_example().create_app(
        {
            "BILLING_STORAGE": "sql",
            "BILLING_DATABASE_URL": database_url,
            "BILLING_PAYMENT_PROVIDER": "sandbox",
            "BILLING_MEDIA_ROOT": str(tmp_path / "media"),
            "BILLING_INVOICE_RENDERER": "text",
            "BILLING_PUBLIC_BASE_URL": base_url,  # the sandbox delivers its webhooks there
            "BILLING_SECRET_KEY": "e2e-host-secret-key",
        }
    )
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)
    container = Billing.container(app)
    shutdown(container)
    container.unwire()
