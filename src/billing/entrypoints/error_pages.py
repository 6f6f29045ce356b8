"""Errors as a page for browsers, JSON for everyone else (content negotiation on ``Accept``).

A browser asks for ``text/html`` first; an API client (``application/json``, ``*/*``, nothing)
gets the JSON error ``{code, message, details, retryable}`` as before. The page says what
happened in a shopper's words and links back to the shop; a server-side failure (5xx) never
shows the technical message, which may be meant for the operator.
"""

from __future__ import annotations

from flask import render_template, request, url_for

JSON = "application/json"
HTML = "text/html"
_TITLES = {
    "billing_disabled": "The shop is closed for the moment",
    "provider_misconfigured": "Payments are not available right now",
    "provider_unavailable": "Payments are not available right now",
    "invalid_input": "Something in the form needs a second look",
    "not_found": "This page does not exist",
    "order_not_found": "This order cannot be found",
}


def wants_html() -> bool:
    """The client prefers a page to JSON (a browser navigating), per its ``Accept``."""
    best = request.accept_mimetypes.best_match([JSON, HTML])
    return best == HTML and request.accept_mimetypes[HTML] > request.accept_mimetypes[JSON]


def error_page(code: str, message: str, status: int) -> tuple[str, int]:
    title = _TITLES.get(code, "Something went wrong")
    shown = message if status < 500 else "Please try again in a few minutes."
    page = render_template(
        "billing/error.html",
        title=title,
        message=shown,
        shop=url_for("billing_storefront.storefront"),
    )
    return page, status
