"""``GET /billing/health/``: always served, even when billing is disabled."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.ports.payments import PaymentProvider

from ..container import Container
from ..settings import Settings

blueprint = Blueprint("billing_health", __name__)


@blueprint.get("/health/")
@inject
def health(
    settings: Settings = Provide[Container.settings],
    provider: PaymentProvider = Provide[Container.payment_provider],
) -> Response:
    return jsonify(
        status="ok",
        enabled=settings.enabled,
        provider=provider.name,
        webhook_configured=provider.webhook_configured,
    )
