"""Every error as JSON ``{code, message, details, retryable}``.

Domain errors keep the status table of ``http_errors.status_of``; the HTTP edge adds its own:
field errors of a body (400), a missing login (401), a missing administrator token (403). Werkzeug's
own HTTP errors (404, 405, 413 …) are answered in the same shape instead of HTML.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from billing.domain.errors import BillingError
from billing.services.access import AdminRequired, AuthenticationRequired

from ..http_errors import status_of
from .bodies import InvalidBody

_STATUS: dict[type[BillingError], int] = {
    InvalidBody: 400,
    AuthenticationRequired: 401,
    AdminRequired: 403,
}

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | list) else str(v)
        for k, v in details.items()
    }


def edge_error(error: BillingError) -> tuple[Response, int]:
    status = next((s for kind, s in _STATUS.items() if isinstance(error, kind)), None)
    status = status or status_of(error)
    body = {
        "code": error.code,
        "message": error.message,
        "details": _json_safe(error.details),
        "retryable": error.retryable,
    }
    return jsonify(body), status


def http_error(error: HTTPException) -> tuple[Response, int]:
    status = error.code or 500
    body = {
        "code": _HTTP_CODES.get(status, "http_error"),
        "message": error.description or error.name,
        "details": {},
        "retryable": False,
    }
    return jsonify(body), status


def register_edge_errors(app: Flask) -> None:
    app.register_error_handler(BillingError, edge_error)
    app.register_error_handler(HTTPException, http_error)
