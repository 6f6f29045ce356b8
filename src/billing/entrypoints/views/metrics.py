"""``GET /billing/metrics``: the Prometheus exposition of every counter the service keeps.

Gauges read from the database are set here, right before the exposition: the webhook backlog
(``billing_webhook_backlog{status="failed"|"parked"}``, events that still need work) and the
disputes still open (``billing_disputes_open``). When the database cannot answer, the gauges
keep their last values and the counters are served anyway. With ``BILLING_METRICS_TOKEN`` set,
only a scraper presenting it (``Authorization: Bearer …``) is answered; others get 401.
"""

from __future__ import annotations

import hmac
import logging

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, request

from billing.adapters.metrics import PrometheusMetrics
from billing.domain.errors import BillingError
from billing.services.access import AuthenticationRequired
from billing.services.disputes import DisputeService
from billing.services.webhooks import WebhookService

from ..container import Container
from ..settings import Settings

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
    settings: Settings = Provide[Container.settings],
) -> Response:
    _check_token(settings.metrics_token)
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


def _check_token(token: str) -> None:
    if not token:
        return
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), token.encode()):
        raise AuthenticationRequired("the metrics need BILLING_METRICS_TOKEN as a bearer token")
