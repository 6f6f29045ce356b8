"""``POST /billing/customers/merge``: the host app attaches a guest email's purchases to a user."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.ports.identity import Identity
from billing.services.access import AccessService

from ..container import Container
from ..json_converter import to_json
from .bodies import MergeBody, json_body
from .responses import MergedJson

blueprint = Blueprint("billing_customers", __name__)


@blueprint.post("/customers/merge")
@inject
def merge(
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> Response:
    body = json_body(MergeBody)
    merged = access.merge(identity.current(), body.email, body.user_id)
    return jsonify(to_json(MergedJson.of(merged)))
