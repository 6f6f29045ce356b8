"""Every error as JSON ``{code, message, details, retryable}``: one table from error to status.

Werkzeug's own HTTP errors (404, 405, 413 …) are answered in the same shape instead of HTML.
What a client sent may be part of a message or a detail (an email that is not one, a field's
name): no text of an error body is longer than ``ECHO_LIMIT`` characters, nor a list longer than
``ECHO_ITEMS``, so a megabyte sent is not a megabyte answered.
An error that knows when to ask again (``retry_after``) says so in ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from billing.domain import errors as e
from billing.services.access import AdminRequired, AuthenticationRequired

from .error_pages import error_page, wants_html
from .http_security import CrossSiteRequest
from .json_converter import to_json
from .mounting import serving_billing
from .views.bodies import InvalidBody
from .views.responses import ErrorJson

#: The longest text of an error body, and the most entries of a list in its details.
ECHO_LIMIT = 200
ECHO_ITEMS = 20

#: First match wins: subclasses before their bases.
_STATUS: tuple[tuple[type[e.BillingError], int], ...] = (
    (InvalidBody, 400),
    (AuthenticationRequired, 401),
    (AdminRequired, 403),
    (CrossSiteRequest, 403),
    (e.NotFound, 404),
    (e.DuplicateRecord, 409),
    (e.DocumentNotRendered, 409),
    (e.InvalidInput, 400),
    (e.CurrencyMismatch, 400),
    (e.UnknownCurrency, 400),
    (e.InvalidSignature, 400),
    (e.InvalidPayload, 400),
    (e.PaymentDeclined, 402),
    (e.ProviderUnavailable, 503),
    (e.ProviderMisconfigured, 503),
    (e.ProviderError, 502),
    (e.StorageUnavailable, 503),
)

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}


def status_of(error: e.BillingError) -> int:
    """The HTTP status of a business error: a refused business rule is a 409 conflict."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 503 if error.retryable else 409


def capped(text: str) -> str:
    """``text``, cut to ``ECHO_LIMIT`` characters (an ellipsis says it was)."""
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "…"


def _shown(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_shown(item) for item in value[:ECHO_ITEMS]]
    return capped(str(value))


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    return {capped(str(k)): _shown(v) for k, v in list(details.items())[:ECHO_ITEMS]}


def error_response(error: e.BillingError) -> tuple[Response, int] | tuple[str, int]:
    if wants_html():
        return error_page(error.code, capped(error.message), status_of(error))
    body = ErrorJson(error.code, capped(error.message), _json_safe(error.details), error.retryable)
    response = jsonify(to_json(body))
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response, status_of(error)


def http_error(
    error: HTTPException,
) -> tuple[Response, int] | tuple[str, int] | HTTPException:
    if not serving_billing():
        return error  # a host's own page: its own (or Werkzeug's) error page
    status = error.code or 500
    if wants_html():
        return error_page(_HTTP_CODES.get(status, "http_error"), error.description or "", status)
    body = ErrorJson(_HTTP_CODES.get(status, "http_error"), capped(error.description or error.name))
    return jsonify(to_json(body)), status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(e.BillingError, error_response)
    app.register_error_handler(HTTPException, http_error)
