"""``GET /billing/metrics``: the Prometheus exposition of every counter the service keeps.

Gauges read from the database are set here, right before the exposition: the webhook backlog
(``billing_webhook_backlog{status="failed"|"parked"}``, events that still need work) and the
disputes still open (``billing_disputes_open``). When the database cannot answer, the gauges
keep their last values and the counters are served anyway.
"""

from __future__ import annotations

import logging

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from billing.adapters.metrics import PrometheusMetrics
from billing.domain.errors import BillingError
from billing.services.disputes import DisputeService
from billing.services.webhooks import WebhookService

from ..container import Container

blueprint = Blueprint("billing_metrics", __name__)
BACKLOG_METRIC = "billing_webhook_backlog"
OPEN_DISPUTES_METRIC = "billing_disputes_open"
log = logging.getLogger(__name__)


@blueprint.get("/metrics")
@inject
def metrics(
    metrics: PrometheusMetrics = Provide[Container.metrics],
    webhooks: WebhookService = Provide[Container.webhooks],
    disputes: DisputeService = Provide[Container.disputes],
) -> Response:
    try:
        backlog = webhooks.backlog()
        open_disputes = disputes.open_count()
    except BillingError as error:  # the database is down: still serve every counter
        log.warning("webhook backlog and open disputes not counted: %s", error.code)
    else:
        for status, count in backlog.items():
            metrics.set(BACKLOG_METRIC, count, {"status": status})
        metrics.set(OPEN_DISPUTES_METRIC, open_disputes)
    return Response(metrics.exposition(), content_type=PrometheusMetrics.content_type)
