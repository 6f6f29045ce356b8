"""The correlation id of the work in progress: an HTTP request, or a job it caused.

One context variable shared by the logs, the calls to the payment provider and deferred jobs,
so that one id follows a payment from the browser to the provider and back. A second one holds,
while an HTTP request is served, the fields of its access line: a use case that would write one
informational line of its own adds its fields there instead (one line per request).
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "billing_correlation_id", default=None
)

#: The header that carries it to the provider (Stripe ignores it; proxies and logs keep it).
REQUEST_ID_HEADER = "X-Request-Id"


#: The fields the current request's access line will carry; None outside a request.
request_line: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar(
    "billing_request_line", default=None
)


def onto_request_line(fields: Mapping[str, object]) -> bool:
    """Add ``fields`` to the current request's access line. False outside a request (a job's
    work), or when the line carries one of them already (a second use case of the same
    request): the caller then writes its own line."""
    line = request_line.get()
    if line is None or not line.keys().isdisjoint(fields):
        return False
    line.update(fields)
    return True


def outgoing_headers() -> dict[str, str]:
    """Headers for an outgoing call made on behalf of the current work."""
    current = correlation_id.get()
    return {REQUEST_ID_HEADER: current} if current else {}
