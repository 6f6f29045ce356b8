"""Every error as JSON ``{code, message, details, retryable}``: one table from error to status.

Werkzeug's own HTTP errors (404, 405, 413 …) are answered in the same shape instead of HTML. An
error that knows when to ask again (``retry_after``) says so in ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from billing.domain import errors as e
from billing.services.access import AdminRequired, AuthenticationRequired

from .views.bodies import InvalidBody

#: First match wins: subclasses before their bases.
_STATUS: tuple[tuple[type[e.BillingError], int], ...] = (
    (InvalidBody, 400),
    (AuthenticationRequired, 401),
    (AdminRequired, 403),
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


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | list) else str(v)
        for k, v in details.items()
    }


def error_response(error: e.BillingError) -> tuple[Response, int]:
    body = {
        "code": error.code,
        "message": error.message,
        "details": _json_safe(error.details),
        "retryable": error.retryable,
    }
    response = jsonify(body)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response, status_of(error)


def http_error(error: HTTPException) -> tuple[Response, int]:
    status = error.code or 500
    body = {
        "code": _HTTP_CODES.get(status, "http_error"),
        "message": error.description or error.name,
        "details": {},
        "retryable": False,
    }
    return jsonify(body), status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(e.BillingError, error_response)
    app.register_error_handler(HTTPException, http_error)
