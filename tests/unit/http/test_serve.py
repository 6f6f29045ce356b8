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
    monkeypatch.chdir(tmp_path)  # the installation's directory: ./var/secret_key goes there
    env = {
        "BILLING_ENABLED": "true",
        "BILLING_DATABASE_URL": f"sqlite:///{tmp_path}/b.db",
        "BILLING_SECRET_KEY": "",  # none configured (the runner restores the variable after)
    }

    result = CliRunner().invoke(cli.main, ["serve", "--port", "8123"], env=env)

    assert result.exit_code == 0, result.output
    [argv] = ran
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[-1] == "billing.entrypoints.flask_app:serve_app()"
    assert "http://127.0.0.1:8123/billing/openapi.json" in result.output
    assert len((tmp_path / "var" / "secret_key").read_text()) >= 43  # kept for the workers


def test_serve_refuses_bad_settings_before_starting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: ran.append(argv))
    monkeypatch.chdir(tmp_path)
    env = {"BILLING_ENABLED": "maybe", "BILLING_SECRET_KEY": ""}

    result = CliRunner().invoke(cli.main, ["serve"], env=env)

    assert result.exit_code != 0
    assert ran == []
