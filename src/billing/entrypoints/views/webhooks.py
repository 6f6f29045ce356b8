"""``POST /billing/webhooks/stripe/``: the provider's deliveries, raw body first.

The body is read raw (at most ``WEBHOOK_MAX_BYTES``, else 413, streamed or not) and handed with
its signature header to the WebhookService, which verifies before it stores anything (400
``invalid_signature``). A settled or duplicate event answers 200; one that failed or waits for
its order answers 503 so that the provider delivers it again. In async mode
(``BILLING_WEBHOOK_MODE=async``) a verified event is journaled and queued, and answered 200.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from billing.services.webhooks import WebhookService

from ..container import Container
from ..http_security import signed_delivery
from ..json_converter import to_json
from .responses import WebhookOutcomeJson

blueprint = Blueprint("billing_webhooks", __name__)
WEBHOOK_MAX_BYTES = 1024 * 1024
SIGNATURE_HEADER = "Stripe-Signature"


def _streamed_past_the_limit(payload: bytes) -> bool:
    """A body streamed without a length (chunked) is cut at the limit without an error: one
    byte more on the server's stream means it was too large."""
    if request.content_length is not None or len(payload) < WEBHOOK_MAX_BYTES:
        return False
    return bool(request.environ["wsgi.input"].read(1))


@blueprint.post("/webhooks/stripe/")
@signed_delivery
@inject
def stripe_webhook(
    webhooks: WebhookService = Provide[Container.webhooks],
    mode: str = Provide[Container.settings.provided.webhook_mode],
) -> tuple[Response, int]:
    request.max_content_length = WEBHOOK_MAX_BYTES
    payload = request.get_data(cache=False)
    if _streamed_past_the_limit(payload):
        raise RequestEntityTooLarge()
    signature = request.headers.get(SIGNATURE_HEADER)
    # Async mode (BILLING_WEBHOOK_MODE=async): verify, journal and queue; a worker applies it.
    accept = webhooks.accept if mode == "async" else webhooks.receive
    outcome = accept(payload, signature)
    body = to_json(WebhookOutcomeJson.of(outcome, with_order=False))
    return jsonify(body), 503 if outcome.retryable else 200
