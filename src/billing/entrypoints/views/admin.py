"""Administrators' listings (bearer ``BILLING_ADMIN_TOKEN``, or the host's ``is_admin``):

- ``GET /billing/admin/orders?status=&email=&user_id=&created_from=&created_before=&after=&limit=``
  newest first, a page of at most 200, ``next`` the cursor of the following one;
- ``GET /billing/admin/orders/<id>``: one order with its refunds, documents and payments;
- ``GET /billing/admin/refunds?after=&limit=``: refunds, newest first;
- ``GET /billing/admin/webhooks/<event_id>``: a journaled event with its raw payload.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify, request

from billing.ports.identity import Identity
from billing.services.admin_orders import AdminOrders

from ..container import Container
from ..json_converter import to_json
from .admin_query import cursor_param, order_query, page_limit
from .admin_responses import admin_order_json, order_page_json, refund_page_json
from .responses import WebhookEventDetailJson

blueprint = Blueprint("billing_admin", __name__)


@blueprint.get("/admin/orders")
@inject
def list_orders(
    identity: Identity = Provide[Container.identity],
    admin: AdminOrders = Provide[Container.admin_orders],
) -> Response:
    caller = identity.current()
    return jsonify(order_page_json(admin.orders(caller, order_query(request.args))))


@blueprint.get("/admin/orders/<order_id>")
@inject
def show_order(
    order_id: str,
    identity: Identity = Provide[Container.identity],
    admin: AdminOrders = Provide[Container.admin_orders],
) -> Response:
    return jsonify(admin_order_json(admin.order(identity.current(), order_id)))


@blueprint.get("/admin/refunds")
@inject
def list_refunds(
    identity: Identity = Provide[Container.identity],
    admin: AdminOrders = Provide[Container.admin_orders],
) -> Response:
    after, limit = cursor_param(request.args.get("after")), page_limit(request.args.get("limit"))
    return jsonify(refund_page_json(admin.refunds(identity.current(), after, limit)))


@blueprint.get("/admin/webhooks/<event_id>")
@inject
def show_webhook_event(
    event_id: str,
    identity: Identity = Provide[Container.identity],
    admin: AdminOrders = Provide[Container.admin_orders],
) -> Response:
    event = admin.webhook_event(identity.current(), event_id)
    return jsonify(to_json(WebhookEventDetailJson.of(event)))
