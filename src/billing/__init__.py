"""billing: Stripe payments for an application's orders, built as ports and adapters.

A host Flask application mounts it with ``from billing import Billing`` (see
``entrypoints/extension.py``). See docs/ARCHITECTURE.md for the layering: ``domain`` (pure
rules), ``ports`` (Protocols), ``services`` (use cases), ``adapters`` (Stripe, SQL, memory, ...)
and ``entrypoints``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from billing.version import __version__

__all__ = ["Billing", "__version__", "flask_login_user"]

if TYPE_CHECKING:
    from billing.entrypoints.extension import Billing
    from billing.entrypoints.flask_login import flask_login_user


def __getattr__(name: str) -> Any:
    """``Billing`` is imported on first use: ``import billing.domain`` loads no Flask."""
    if name == "Billing":
        from billing.entrypoints.extension import Billing

        return Billing
    if name == "flask_login_user":
        from billing.entrypoints.flask_login import flask_login_user

        return flask_login_user
    raise AttributeError(f"module 'billing' has no attribute {name!r}")
