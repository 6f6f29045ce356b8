"""What billing does around each of its requests: correlation ids and access logs, the
``BILLING_ENABLED`` gate, the body limit, NUL characters refused, ``Cache-Control: no-store``.

Every hook looks at billing's requests only (``mounting.serving_billing``): in a host's app,
the host's own pages are not logged, gated, limited or refused by billing.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, jsonify, request

from billing.correlation import request_line
from billing.domain.errors import InvalidInput

from .error_pages import error_page, wants_html
from .logging_json import REQUEST_ID_HEADER, correlation_id, request_id_from
from .mounting import current_mount, serving_billing
from .views import webhooks

#: No request body of this API is larger (the webhook's own limit is the same).
MAX_BODY_BYTES = webhooks.WEBHOOK_MAX_BYTES
HEALTH = "/health/"

log = logging.getLogger("billing.http")
#: Keys of a request's environ: its (correlation id, context token), when it started, and the
#: context token of its access line's fields.
_CORRELATION = "billing.correlation"
_STARTED = "billing.started"
_LINE = "billing.request_line"


def install(app: Flask) -> None:
    """Every hook of this module, on ``app``."""
    _correlate(app)
    _gate(app)
    _bounded_bodies(app)
    _refuse_nul_characters(app)
    _no_store(app)


def _gate(app: Flask) -> None:
    @app.before_request
    def billing_gate() -> tuple[Response, int] | tuple[str, int] | None:
        """``BILLING_ENABLED`` off: every billing route but health answers 503."""
        mount = current_mount()
        if mount.container.settings().enabled or request.path == mount.prefix + HEALTH:
            return None
        if not request.path.startswith(mount.prefix + "/"):
            return None
        if wants_html():
            return error_page("billing_disabled", "Please come back a little later.", 503)
        body = {
            "code": "billing_disabled",
            "message": "billing is disabled (BILLING_ENABLED)",
            "details": {},
            "retryable": True,
        }
        return jsonify(body), 503


def _bounded_bodies(app: Flask) -> None:
    """Billing's bodies are bounded per request: a host's own uploads keep the host's limit."""

    @app.before_request
    def bound_body() -> None:
        if serving_billing():
            request.max_content_length = MAX_BODY_BYTES


def _no_store(app: Flask) -> None:
    """Orders, invoices, tokens and client secrets are never kept by a browser or a proxy:
    every billing answer is ``Cache-Control: no-store`` unless its view chose otherwise."""

    @app.after_request
    def no_store(response: Response) -> Response:
        prefix = current_mount().prefix + "/"
        if request.path.startswith(prefix) and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


def _refuse_nul_characters(app: Flask) -> None:
    """A NUL character in a path, a query, a form or a JSON string is refused with 400: no id,
    sku or email holds one, and PostgreSQL cannot even compare a text with it. The webhook's
    body is left to the signature check and the Stripe adapter."""

    @app.before_request
    def refuse_nul() -> None:
        if request.endpoint == "billing_webhooks.stripe_webhook" or not serving_billing():
            return
        texts = itertools.chain(
            [request.path],
            request.args.values(),
            request.form.values(),
            _strings_in(request.get_json(silent=True)) if request.is_json else (),
        )
        if any("\x00" in text for text in texts):
            raise InvalidInput("a request may not carry a NUL character", field="request")


def _strings_in(document: Any) -> Iterator[str]:
    """Every string of a parsed JSON document, keys included."""
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from _strings_in(value)
    elif isinstance(document, list):
        for value in document:
            yield from _strings_in(value)


def _correlate(app: Flask) -> None:
    """A correlation id per request: on every log record, and echoed in ``X-Request-ID``; one
    access line per request, with what its use case added (``correlation.onto_request_line``).

    What it needs later is kept in the request's own environ, not in ``g``: a request served
    while another is in progress in the same thread (the sandbox delivering an event to this
    app in-process) shares ``g`` with it, and would reset the other's id instead of its own.
    """

    @app.before_request
    def start() -> None:
        if not serving_billing():
            return
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.environ[_CORRELATION] = (request_id, correlation_id.set(request_id))
        request.environ[_LINE] = request_line.set({})
        request.environ[_STARTED] = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        started = request.environ.get(_STARTED)
        if started is not None:
            request_id, _ = request.environ[_CORRELATION]
            response.headers[REQUEST_ID_HEADER] = request_id
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    **(request_line.get() or {}),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response

    @app.teardown_request
    def forget(_: BaseException | None) -> None:
        line = request.environ.pop(_LINE, None)
        if line is not None:
            request_line.reset(line)
        correlation = request.environ.pop(_CORRELATION, None)
        if correlation is not None:
            correlation_id.reset(correlation[1])
