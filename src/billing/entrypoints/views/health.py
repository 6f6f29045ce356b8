"""``GET /billing/health/``: always served, even when billing is disabled; 503 unless its
status is ``ok``: ``unavailable`` when the database cannot be reached, ``degraded`` while
payments are not configured or webhook events are failed (``webhooks.failed`` says how many)."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.services.health import HealthService

from ..container import Container
from ..json_converter import to_json
from .responses import HealthJson

blueprint = Blueprint("billing_health", __name__)


@blueprint.get("/health/")
@inject
def health(service: HealthService = Provide[Container.health]) -> tuple[Response, int]:
    report = service.report()
    return jsonify(to_json(HealthJson.of(report))), 200 if report.healthy else 503
