"""The correlation id of the work in progress: an HTTP request, or a job it caused.

One context variable shared by the logs, the calls to the payment provider and deferred jobs,
so that one id follows a payment from the browser to the provider and back.
"""

from __future__ import annotations

import contextvars

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "billing_correlation_id", default=None
)

#: The header that carries it to the provider (Stripe ignores it; proxies and logs keep it).
REQUEST_ID_HEADER = "X-Request-Id"


def outgoing_headers() -> dict[str, str]:
    """Headers for an outgoing call made on behalf of the current work."""
    current = correlation_id.get()
    return {REQUEST_ID_HEADER: current} if current else {}
