"""``GET /billing/metrics``: the Prometheus exposition of every counter the service keeps."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from billing.adapters.metrics import PrometheusMetrics

from ..container import Container

blueprint = Blueprint("billing_metrics", __name__)


@blueprint.get("/metrics")
@inject
def metrics(metrics: PrometheusMetrics = Provide[Container.metrics]) -> Response:
    return Response(metrics.exposition(), content_type=PrometheusMetrics.content_type)
