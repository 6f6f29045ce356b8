"""Errors as JSON with a stable ``code``: one table from error class to HTTP status."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from billing.domain import errors as e

_STATUS: tuple[tuple[type[e.BillingError], int], ...] = (
    (e.NotFound, 404),
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


def status_of(error: e.BillingError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 503 if error.retryable else 409


def error_response(error: e.BillingError) -> tuple[Response, int]:
    body = {"code": error.code, "message": error.message, "retryable": error.retryable}
    return jsonify(body), status_of(error)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(e.BillingError, error_response)
