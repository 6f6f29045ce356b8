"""A web worker loads WeasyPrint only when it renders a document itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap

START_A_WORKER = textwrap.dedent(
    """
    import sys
    from billing.entrypoints.flask_app import create_app
    from billing.entrypoints.settings import Settings

    app = create_app(Settings.in_memory(enabled=True, invoice_renderer="pdf"))
    container = app.extensions["billing.container"]
    container.webhooks(), container.invoices(), container.checkout()
    assert app.test_client().get("/billing/health/").status_code == 200
    print(sorted(m for m in ("weasyprint", "fontTools", "pydyf") if m in sys.modules))
    """
)

SERVE_A_WORKER = textwrap.dedent(
    """
    import sys
    from billing.entrypoints.flask_app import serve_app

    app = serve_app()
    print(sorted(m for m in ("weasyprint", "fontTools", "pydyf") if m in sys.modules))
    """
)


def _printed(script: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    return result.stdout.strip()


def test_the_app_and_its_services_start_without_weasyprint() -> None:
    assert _printed(START_A_WORKER) == "[]"


def test_a_served_worker_loads_weasyprint_at_start_only_if_it_renders_itself() -> None:
    env = {"PATH": "/usr/bin:/bin", "BILLING_STORAGE": "memory", "BILLING_SECRET_KEY": "x" * 32}
    queued = {**env, "BILLING_TASK_BROKER": "redis://127.0.0.1:1/0"}  # connects on first send

    assert _printed(SERVE_A_WORKER, queued) == "[]"
    assert _printed(SERVE_A_WORKER, env) == "['fontTools', 'pydyf', 'weasyprint']"
