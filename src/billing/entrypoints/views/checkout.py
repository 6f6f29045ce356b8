"""``POST /billing/checkout/``: an order at catalog prices and its payment, user or guest."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify, request

from billing.ports.identity import Identity
from billing.services.checkout import CheckoutRequest, CheckoutService
from billing.services.orders import CartLine

from ..container import Container
from ..json_converter import to_json
from .bodies import CheckoutBody, billing_details, json_body, payment_mode
from .responses import CheckoutJson

blueprint = Blueprint("billing_checkout", __name__)
IDEMPOTENCY_HEADER = "Idempotency-Key"


@blueprint.post("/checkout/")
@inject
def checkout(
    identity: Identity = Provide[Container.identity],
    service: CheckoutService = Provide[Container.checkout],
) -> tuple[Response, int]:
    body = json_body(CheckoutBody)
    wanted = CheckoutRequest(
        lines=tuple(CartLine(item.sku, item.quantity) for item in body.items),
        mode=payment_mode(body.mode),
        email=body.email,
        request_key=request.headers.get(IDEMPOTENCY_HEADER),
        billing=billing_details(body.billing_details),
    )
    receipt = service.checkout(identity.current(), wanted)
    return jsonify(to_json(CheckoutJson.of(receipt))), 201
