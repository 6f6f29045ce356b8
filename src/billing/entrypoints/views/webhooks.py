"""``POST /billing/webhooks/stripe/``: the provider's deliveries, raw body first.

The body is read raw (at most ``WEBHOOK_MAX_BYTES``, else 413) and handed with its signature
header to the WebhookService, which verifies before it stores anything (400
``invalid_signature``). A settled or duplicate event answers 200; one that failed or waits for
its order answers 503 so that the provider delivers it again.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify, request

from billing.services.webhooks import WebhookService

from ..container import Container

blueprint = Blueprint("billing_webhooks", __name__)
WEBHOOK_MAX_BYTES = 1024 * 1024
SIGNATURE_HEADER = "Stripe-Signature"


@blueprint.post("/webhooks/stripe/")
@inject
def stripe_webhook(
    webhooks: WebhookService = Provide[Container.webhooks],
) -> tuple[Response, int]:
    request.max_content_length = WEBHOOK_MAX_BYTES
    payload = request.get_data(cache=False)
    outcome = webhooks.receive(payload, request.headers.get(SIGNATURE_HEADER))
    body = {
        "event_id": outcome.event_id,
        "outcome": outcome.outcome,
        "code": outcome.code,
        "retryable": outcome.retryable,
    }
    return jsonify(body), 503 if outcome.retryable else 200
