"""``GET /billing/health/``: always served, even when billing is disabled; 503 unless its
status is ``ok``: ``unavailable`` when the database cannot be reached, ``degraded`` while
payments are not configured or webhook events are failed (``webhooks.failed`` says how many)."""

from __future__ import annotations

from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.services.health import HealthReport, HealthService

from ..container import Container

blueprint = Blueprint("billing_health", __name__)


def health_json(report: HealthReport) -> dict[str, Any]:
    webhooks = report.webhooks
    return {
        "status": report.status,
        "billing_enabled": report.billing_enabled,
        "version": report.version,
        "database": {"ok": report.database_ok, "latency_ms": report.database_latency_ms},
        "provider": {
            "name": report.provider.name,
            "configured": report.provider.configured,
            "webhook_secret_configured": report.provider.webhook_secret_configured,
        },
        "webhooks": {
            "by_status": webhooks.by_status if webhooks else {},
            "failed": report.failed_webhooks,
            "oldest_unprocessed_age_s": report.oldest_unprocessed_age_s,
            "last_received_at": (
                webhooks.last_received_at.isoformat()
                if webhooks and webhooks.last_received_at
                else None
            ),
        },
        "tasks": {"dead": report.dead_jobs, "backlog": report.job_backlog},
    }


@blueprint.get("/health/")
@inject
def health(service: HealthService = Provide[Container.health]) -> tuple[Response, int]:
    report = service.report()
    return jsonify(health_json(report)), 200 if report.healthy else 503
