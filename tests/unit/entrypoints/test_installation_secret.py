"""Without ``BILLING_SECRET_KEY``, ``billing serve`` and ``billing worker`` share the secret
kept in ``./var/secret_key``: made once, owner-only, the same for every process after; never
with real payments, which need the deployment's own."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.installation import installation_settings


def test_the_first_process_makes_the_secret_and_the_next_ones_read_it(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    first: dict[str, str] = {}
    later: dict[str, str] = {}  # another process, started later

    settings = installation_settings(first, path)
    installation_settings(later, path)

    assert settings.secret_key == first["BILLING_SECRET_KEY"] == later["BILLING_SECRET_KEY"]
    assert len(settings.secret_key) >= 43  # 256 bits, URL-safe base64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_configured_secret_wins_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    environment = {"BILLING_SECRET_KEY": "from-the-deployment"}

    settings = installation_settings(environment, path)

    assert settings.secret_key == environment["BILLING_SECRET_KEY"] == "from-the-deployment"
    assert not path.exists()


def test_real_payments_never_run_on_the_installation_secret(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    environment = {"STRIPE_SECRET_KEY": "sk_live_k", "BILLING_SECRET_KEY": ""}

    with pytest.raises(ConfigurationError) as refused:
        installation_settings(environment, path)

    assert refused.value.variable == "BILLING_SECRET_KEY"
    assert not path.exists()
