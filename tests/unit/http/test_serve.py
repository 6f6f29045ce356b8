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
    monkeypatch.setattr(cli.os, "execve", lambda path, argv, env: ran.append(argv))
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
    monkeypatch.setattr(cli.os, "execve", lambda path, argv, env: ran.append(argv))
    monkeypatch.chdir(tmp_path)
    env = {"BILLING_ENABLED": "maybe", "BILLING_SECRET_KEY": ""}

    result = CliRunner().invoke(cli.main, ["serve"], env=env)

    assert result.exit_code != 0
    assert ran == []


def _serve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, port: int, **env: str
) -> tuple[dict[str, str], str]:
    """Run ``billing serve --port`` up to its exec; the workers' environment and the output."""
    ran: list[dict[str, str]] = []
    monkeypatch.setattr(cli.os, "execve", lambda path, argv, environment: ran.append(environment))
    monkeypatch.chdir(tmp_path)
    base = {"BILLING_DATABASE_URL": f"sqlite:///{tmp_path}/b.db", "BILLING_SECRET_KEY": "k" * 32}
    result = CliRunner().invoke(cli.main, ["serve", "--port", str(port)], env={**base, **env})
    assert result.exit_code == 0, result.output + result.stderr
    [environment] = ran
    return environment, result.stderr


def test_without_a_public_base_url_the_workers_get_the_bound_address(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environment, warnings = _serve(monkeypatch, tmp_path, 8124, BILLING_PUBLIC_BASE_URL="")

    assert environment["BILLING_PUBLIC_BASE_URL"] == "http://127.0.0.1:8124"
    assert warnings == ""


def test_a_local_public_base_url_on_another_port_is_warned_about(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configured = "http://127.0.0.1:8000"
    environment, warnings = _serve(monkeypatch, tmp_path, 8125, BILLING_PUBLIC_BASE_URL=configured)

    assert environment["BILLING_PUBLIC_BASE_URL"] == configured
    assert "BILLING_PUBLIC_BASE_URL is http://127.0.0.1:8000" in warnings
    assert "listens on 127.0.0.1:8125" in warnings


def test_a_public_address_behind_a_proxy_is_not_a_mistake(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, warnings = _serve(
        monkeypatch, tmp_path, 8126, BILLING_PUBLIC_BASE_URL="https://shop.example.com"
    )

    assert warnings == ""
