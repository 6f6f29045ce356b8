"""Where billing is mounted in the Flask app serving the current request, and its container.

Each app keeps its own ``Mount`` in ``app.extensions`` (the Flask convention): two apps of one
process, each with billing, share nothing. ``whole_app`` is billing's own app (``create_app``):
every request is billing's. In a host's app only the paths under the prefix are, and billing's
request hooks leave the host's own pages alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
from flask import Flask, current_app, has_request_context, request

if TYPE_CHECKING:
    from .container import Container

EXTENSION = "billing"
#: Key of a request's environ: (the app, whether the request is billing's in it), once asked.
_SERVING = "billing.serving"
#: The container alone, under the key that tests and operators' scripts already use.
CONTAINER = "billing.container"


@attrs.frozen
class Mount:
    container: Container
    #: ``/billing``, ``/shop/billing``, or empty for the root.
    prefix: str
    whole_app: bool

    def serves(self, path: str) -> bool:
        """Whether a request for ``path`` is billing's (its routes, its 404s, its hooks)."""
        return self.whole_app or path == self.prefix or path.startswith(self.prefix + "/")


def mount_of(app: Flask) -> Mount:
    mount: Mount = app.extensions[EXTENSION]
    return mount


def current_mount() -> Mount:
    return mount_of(current_app)


def current_container() -> Container:
    return current_mount().container


def mount_path() -> str:
    """The cookie path of billing's pages: ``/billing/`` (or the host's prefix)."""
    return current_mount().prefix + "/"


def serving_billing() -> bool:
    """Whether the current request is billing's (always outside a request: CLI, jobs).

    Decided once per request and app (its path does not change; half a dozen hooks ask)."""
    if not has_request_context():
        return True
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    known: tuple[Flask, bool] | None = request.environ.get(_SERVING)
    if known is not None and known[0] is app:
        return known[1]
    serving = EXTENSION not in app.extensions or mount_of(app).serves(request.path)
    request.environ[_SERVING] = (app, serving)
    return serving
