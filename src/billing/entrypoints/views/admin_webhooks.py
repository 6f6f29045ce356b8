"""Administrators' view of the webhook journal: what happened to each event, and replay.

- ``GET /billing/admin/webhooks?status=failed&limit=50``: journaled events, newest first
  (without their raw payloads).
- ``POST /billing/admin/webhooks/<event_id>/replay``: run a failed or parked event again; a
  settled one answers ``duplicate`` and changes nothing.

Both need ``Authorization: Bearer <BILLING_ADMIN_TOKEN>`` (403 ``admin_required``).
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify, request

from billing.domain.webhook import WebhookStatus
from billing.ports.identity import Identity
from billing.services.access import require_admin
from billing.services.webhooks import WebhookService

from ..container import Container
from ..json_converter import to_json
from .query import enum_param, limit_param
from .responses import WebhookEventsJson, WebhookOutcomeJson

blueprint = Blueprint("billing_admin_webhooks", __name__)


@blueprint.get("/admin/webhooks")
@inject
def list_webhook_events(
    identity: Identity = Provide[Container.identity],
    webhooks: WebhookService = Provide[Container.webhooks],
) -> Response:
    require_admin(identity.current())
    status = enum_param(request.args.get("status"), WebhookStatus, "status")
    events = webhooks.journal(status, limit_param(request.args.get("limit")))
    return jsonify(to_json(WebhookEventsJson.of(events)))


@blueprint.post("/admin/webhooks/<event_id>/replay")
@inject
def replay_webhook_event(
    event_id: str,
    identity: Identity = Provide[Container.identity],
    webhooks: WebhookService = Provide[Container.webhooks],
) -> Response:
    require_admin(identity.current())
    return jsonify(to_json(WebhookOutcomeJson.of(webhooks.replay(event_id), with_order=True)))
