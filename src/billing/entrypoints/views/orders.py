"""``/billing/orders/<id>``: read an order, cancel it. Only its owner (or an admin) sees it."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.ports.identity import Identity
from billing.services.access import AccessService

from ..container import Container
from ..json_converter import to_json
from .responses import OrderDetailsJson, OrderJson

blueprint = Blueprint("billing_orders", __name__)


@blueprint.get("/orders/<order_id>")
@inject
def order(
    order_id: str,
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> Response:
    return jsonify(
        to_json(OrderDetailsJson.of_details(access.order_details(identity.current(), order_id)))
    )


@blueprint.post("/orders/<order_id>/cancel")
@inject
def cancel(
    order_id: str,
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> Response:
    return jsonify(to_json(OrderJson.of(access.cancel(identity.current(), order_id))))
