"""Invoice and credit-note files, to whoever may see the order.

``GET /billing/orders/<id>/invoice.<html|pdf>`` is the order's invoice;
``GET /billing/orders/<id>/documents/<document_id>.<html|pdf>`` any of its documents.
An HTML file is shown sandboxed: its own styles, nothing it could run or send.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from billing.ports.identity import Identity
from billing.services.access import AccessService, DocumentFile

from ..container import Container
from ..http_security import DOCUMENT_POLICY

blueprint = Blueprint("billing_documents", __name__)
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@blueprint.get("/orders/<order_id>/documents/<document_id>.<fmt>")
@inject
def document(
    order_id: str,
    document_id: str,
    fmt: str,
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> Response:
    return _file(access.document(identity.current(), order_id, document_id, fmt))


@blueprint.get("/orders/<order_id>/invoice.<fmt>")
@inject
def invoice(
    order_id: str,
    fmt: str,
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> Response:
    return _file(access.invoice(identity.current(), order_id, fmt))


def _file(found: DocumentFile) -> Response:
    response = Response(found.content, content_type=MEDIA_TYPES[found.format])
    response.headers["Content-Disposition"] = (
        f'inline; filename="{found.document.number}.{found.format}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    if found.format == "html":
        response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
    return response
