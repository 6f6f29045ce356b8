"""The installation's own secret, for the embedded default started without ``BILLING_SECRET_KEY``.

Guest order tokens, request-keyed order ids and the sandbox's webhook signing secret derive
from ``BILLING_SECRET_KEY``. Without it, ``billing serve`` and ``billing worker`` started in
the same directory agree on one kept in ``./var/secret_key`` (made once, readable by its owner
only), so tokens survive restarts and the events a worker's sandbox signs are accepted by the
web process. Never with real payments: the Stripe provider refuses to start without a
``BILLING_SECRET_KEY`` of the deployment's, which every host must share.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from pathlib import Path

from .settings import Settings

SECRET_FILE = Path("var") / "secret_key"
SECRET_VARIABLE = "BILLING_SECRET_KEY"  # noqa: S105 - its name, not its value


def installation_settings(
    environment: MutableMapping[str, str], path: Path = SECRET_FILE
) -> Settings:
    """The settings of ``environment``; when it sets no secret (and payments are not real,
    else the settings are refused), the installation's is put into it for the processes
    started from it."""
    settings = Settings.from_env(environment)
    if settings.secret_key:
        return settings
    environment[SECRET_VARIABLE] = local_secret(path)
    return Settings.from_env(environment)


def local_secret(path: Path) -> str:
    """The secret kept in ``path`` (made once, readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()
