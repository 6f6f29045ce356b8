"""``/billing/orders/<id>``: read an order, cancel it. Only its owner (or an admin) sees it."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.ports.identity import Identity
from billing.services.access import AccessService

from ..container import Container
from .responses import order_details_json, order_json

blueprint = Blueprint("billing_orders", __name__)


@blueprint.get("/orders/<order_id>")
@inject
def order(
    order_id: str,
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> Response:
    return jsonify(order_details_json(access.order_details(identity.current(), order_id)))


@blueprint.post("/orders/<order_id>/cancel")
@inject
def cancel(
    order_id: str,
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> Response:
    return jsonify(order_json(access.cancel(identity.current(), order_id)))
