"""``POST /billing/orders/<id>/refunds``: an administrator refunds part or all of a paid order."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.ports.identity import Identity
from billing.services.access import AccessService

from ..container import Container
from ..json_converter import to_json
from .bodies import RefundBody, json_body
from .responses import RefundJson

blueprint = Blueprint("billing_refunds", __name__)


@blueprint.post("/orders/<order_id>/refunds")
@inject
def refund(
    order_id: str,
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> tuple[Response, int]:
    body = json_body(RefundBody)
    made = access.refund(identity.current(), order_id, body.amount, body.reason)
    return jsonify(to_json(RefundJson.of(made))), 201
