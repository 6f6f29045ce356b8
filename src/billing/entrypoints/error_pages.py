"""Errors as a page for browsers, JSON for everyone else (content negotiation on ``Accept``).

A browser asks for ``text/html`` first; an API client (``application/json``, ``*/*``, nothing)
gets the JSON error ``{code, message, details, retryable}`` as before. The page says what
happened in a shopper's words, in the pages' locale, and links back to the shop. The error's own
message is English and may be meant for a developer: an English page shows it for a client's
mistake (4xx), a page in another locale says what to do in its words instead, and a server-side
failure (5xx) never shows it, since it may be meant for the operator.
"""

from __future__ import annotations

from flask import request, url_for

from .views.translation import N_, page_locale, render_page, translate

JSON = "application/json"
HTML = "text/html"
_TITLES = {
    "billing_disabled": N_("The shop is closed for the moment"),
    "provider_misconfigured": N_("Payments are not available right now"),
    "provider_unavailable": N_("Payments are not available right now"),
    "invalid_input": N_("Something in the form needs a second look"),
    "not_found": N_("This page does not exist"),
    "order_not_found": N_("This order cannot be found"),
}
_SOMETHING_WRONG = N_("Something went wrong")
#: What to do, where the error's own (English) message is not shown.
_HINTS = {
    "billing_disabled": N_("Please come back a little later."),
    "invalid_input": N_("Check the quantities and your e-mail address, then try again."),
    "not_found": N_("Check the address, or start again from the shop."),
    "order_not_found": N_("Check the link you followed, or start again from the shop."),
}
_TRY_AGAIN = N_("Please try again in a few minutes.")
_START_AGAIN = N_("Go back to the shop and try again.")


def wants_html() -> bool:
    """The client prefers a page to JSON (a browser navigating), per its ``Accept``."""
    best = request.accept_mimetypes.best_match([JSON, HTML])
    return best == HTML and request.accept_mimetypes[HTML] > request.accept_mimetypes[JSON]


def error_page(code: str, message: str, status: int) -> tuple[str, int]:
    locale = page_locale()
    page = render_page(
        "billing/error.html",
        title=translate(_TITLES.get(code, _SOMETHING_WRONG), locale),
        message=_explanation(code, message, status, locale),
        shop=url_for("billing_storefront.storefront"),
    )
    return page, status


def _explanation(code: str, message: str, status: int, locale: str) -> str:
    if status >= 500:
        return translate(_HINTS.get(code, _TRY_AGAIN), locale)
    if locale == "en" and message:
        return message
    return translate(_HINTS.get(code, _START_AGAIN), locale)
