"""Without ``BILLING_SECRET_KEY``, ``billing serve`` and ``billing worker`` share the secret
kept in ``./var/secret_key``: made once, owner-only, the same for every process after."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from billing.entrypoints.installation import use_installation_secret


def test_the_first_process_makes_the_secret_and_the_next_ones_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "var" / "secret_key"
    monkeypatch.setenv("BILLING_SECRET_KEY", "")  # unset; the environment is restored after

    use_installation_secret(path)
    first = os.environ["BILLING_SECRET_KEY"]
    monkeypatch.setenv("BILLING_SECRET_KEY", "")  # another process, started later
    use_installation_secret(path)

    assert os.environ["BILLING_SECRET_KEY"] == first
    assert len(first) >= 43  # 256 bits, URL-safe base64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_configured_secret_wins_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "var" / "secret_key"
    monkeypatch.setenv("BILLING_SECRET_KEY", "from-the-deployment")

    use_installation_secret(path)

    assert os.environ["BILLING_SECRET_KEY"] == "from-the-deployment"
    assert not path.exists()
