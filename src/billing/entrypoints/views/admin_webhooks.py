"""Administrators' view of the webhook journal: what happened to each event, and replay.

- ``GET /billing/admin/webhooks?status=failed&limit=50``: journaled events, newest first
  (without their raw payloads).
- ``POST /billing/admin/webhooks/<event_id>/replay``: run a failed or parked event again; a
  settled one answers ``duplicate`` and changes nothing.

Both need ``Authorization: Bearer <BILLING_ADMIN_TOKEN>`` (403 ``admin_required``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify, request

from billing.domain.webhook import WebhookEvent, WebhookStatus
from billing.ports.identity import Identity
from billing.services.access import require_admin
from billing.services.webhooks import WebhookOutcome, WebhookService

from ..container import Container
from .query import enum_param, limit_param

blueprint = Blueprint("billing_admin_webhooks", __name__)


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def webhook_event_json(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "status": str(event.status),
        "attempts": event.attempts,
        "last_error": event.last_error,
        "order_id": event.order_id,
        "livemode": event.livemode,
        "api_version": event.api_version,
        "received_at": _time(event.received_at),
        "processed_at": _time(event.processed_at),
    }


def outcome_json(outcome: WebhookOutcome) -> dict[str, Any]:
    return {
        "event_id": outcome.event_id,
        "outcome": outcome.outcome,
        "code": outcome.code,
        "retryable": outcome.retryable,
        "order_id": outcome.order_id,
    }


@blueprint.get("/admin/webhooks")
@inject
def list_webhook_events(
    identity: Identity = Provide[Container.identity],
    webhooks: WebhookService = Provide[Container.webhooks],
) -> Response:
    require_admin(identity.current())
    status = enum_param(request.args.get("status"), WebhookStatus, "status")
    events = webhooks.journal(status, limit_param(request.args.get("limit")))
    return jsonify(events=[webhook_event_json(event) for event in events])


@blueprint.post("/admin/webhooks/<event_id>/replay")
@inject
def replay_webhook_event(
    event_id: str,
    identity: Identity = Provide[Container.identity],
    webhooks: WebhookService = Provide[Container.webhooks],
) -> Response:
    require_admin(identity.current())
    return jsonify(outcome_json(webhooks.replay(event_id)))
