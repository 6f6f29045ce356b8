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

    app = create_app(Settings(enabled=True, invoice_renderer="pdf"))
    container = app.extensions["billing.container"]
    container.webhooks(), container.invoices(), container.checkout()
    assert app.test_client().get("/billing/health/").status_code == 200
    print(sorted(m for m in ("weasyprint", "fontTools", "pydyf") if m in sys.modules))
    """
)


def test_the_app_and_its_services_start_without_weasyprint() -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", START_A_WORKER],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert result.stdout.strip() == "[]"
