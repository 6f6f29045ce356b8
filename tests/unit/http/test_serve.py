"""``billing serve`` hands the app to gunicorn with the settings checked first."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from billing.entrypoints import cli


def test_serve_runs_gunicorn_on_the_app_factory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: ran.append(argv))
    env = {"BILLING_ENABLED": "true", "BILLING_DATABASE_URL": f"sqlite:///{tmp_path}/b.db"}

    result = CliRunner().invoke(cli.main, ["serve", "--port", "8123"], env=env)

    assert result.exit_code == 0, result.output
    [argv] = ran
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[-1] == "billing.entrypoints.flask_app:serve_app()"
    assert "http://127.0.0.1:8123/billing/openapi.json" in result.output


def test_serve_refuses_bad_settings_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: ran.append(argv))

    result = CliRunner().invoke(cli.main, ["serve"], env={"BILLING_ENABLED": "maybe"})

    assert result.exit_code != 0
    assert ran == []
