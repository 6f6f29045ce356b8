"""A request's time budget, and the timeouts that must fit inside it, checked at start.

gunicorn kills a worker whose request outlives its ``--timeout`` (``BILLING_WORKER_TIMEOUT_
SECONDS``, which ``billing serve`` passes): the caller then gets a reset or an HTML 500 and the
error path never runs (a payment attempt stays ``created``). So a request's budget
(``BILLING_REQUEST_BUDGET_SECONDS``) ends before it, and the worst one dependency can keep a
request waiting fits in the budget: PostgreSQL's (pool checkout, a pooled connection that no
longer answers, a new connection) and Stripe's (every attempt's connect and read timeouts and
stripe-python's pauses between them). Settings that break this are refused with one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from billing.adapters.sql.budgets import SqlTimeouts
from billing.adapters.stripe.config import worst_case

from .configuration import ConfigurationError

if TYPE_CHECKING:
    from .settings import Settings

BUDGET = "BILLING_REQUEST_BUDGET_SECONDS"


def sql_timeouts(settings: Settings) -> SqlTimeouts:
    return SqlTimeouts(
        connect=settings.database_connect_timeout_seconds,
        statement=settings.database_statement_timeout_seconds,
        lock=settings.database_lock_timeout_seconds,
        pool=settings.database_pool_timeout_seconds,
    )


def stripe_worst_case(settings: Settings) -> float:
    return worst_case(
        settings.stripe_connect_timeout_seconds,
        settings.stripe_read_timeout_seconds,
        settings.stripe_max_network_retries,
    )


def refuse_overrun(settings: Settings) -> None:
    """Raise ``ConfigurationError`` when a wait may outlast the budget, or the budget the
    worker."""
    budget = settings.request_budget_seconds
    if budget >= settings.worker_timeout_seconds:
        raise ConfigurationError(
            BUDGET,
            f"is {budget} s, not below gunicorn's timeout (BILLING_WORKER_TIMEOUT_SECONDS="
            f"{settings.worker_timeout_seconds}): a slow request would be killed unanswered",
            "lower it, or raise BILLING_WORKER_TIMEOUT_SECONDS",
        )
    postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
    if settings.storage == "sql" and postgres:
        sql = sql_timeouts(settings)
        if sql.worst_case > budget:
            raise ConfigurationError(
                BUDGET,
                f"is {budget} s but PostgreSQL may keep a request waiting {sql.worst_case:g} s "
                f"(pool {sql.pool:g} + an answer {sql.answer_within:g} + connect {sql.connect} "
                "s: BILLING_DATABASE_*_TIMEOUT_SECONDS)",
                "raise it (below BILLING_WORKER_TIMEOUT_SECONDS) or lower those timeouts",
            )
    stripe = stripe_worst_case(settings)
    if settings.payment_provider == "stripe" and stripe > budget:
        raise ConfigurationError(
            BUDGET,
            f"is {budget} s but Stripe may keep a request waiting {stripe:g} s "
            f"({1 + settings.stripe_max_network_retries} attempts of "
            f"({settings.stripe_connect_timeout_seconds} s connect + "
            f"{settings.stripe_read_timeout_seconds} s read) + the pauses between them)",
            "raise it (below BILLING_WORKER_TIMEOUT_SECONDS) or lower "
            "BILLING_STRIPE_READ_TIMEOUT_SECONDS, _CONNECT_TIMEOUT_SECONDS or "
            "_MAX_NETWORK_RETRIES",
        )
