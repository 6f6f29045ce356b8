"""``GET /billing/orders/<id>/documents/<document_id>.<html|pdf>``: invoice files."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from billing.ports.identity import Identity
from billing.services.access import AccessService

from ..container import Container

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
    found = access.document(identity.current(), order_id, document_id, fmt)
    response = Response(found.content, content_type=MEDIA_TYPES[found.format])
    response.headers["Content-Disposition"] = f'inline; filename="{found.document.number}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
