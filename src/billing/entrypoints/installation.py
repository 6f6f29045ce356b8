"""The installation's own secret, for processes started without ``BILLING_SECRET_KEY``.

Guest order tokens, request-keyed order ids and the sandbox's webhook signing secret derive
from ``BILLING_SECRET_KEY``. Set it in production. Without it, ``billing serve`` and
``billing worker`` started in the same directory agree on one kept in ``./var/secret_key``
(made once, readable by its owner only), so tokens survive restarts and the events a worker's
sandbox signs are accepted by the web process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = Path("var") / "secret_key"


def use_installation_secret(path: Path = SECRET_FILE) -> None:
    """Put the installation's secret in ``BILLING_SECRET_KEY`` unless one is set already."""
    if not os.environ.get("BILLING_SECRET_KEY"):
        os.environ["BILLING_SECRET_KEY"] = local_secret(path)


def local_secret(path: Path) -> str:
    """The secret kept in ``path`` (made once, readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()
