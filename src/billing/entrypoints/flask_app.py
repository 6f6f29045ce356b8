"""The Flask application: ``create_app()`` wires the container and mounts ``/billing/``;
``serve_app()`` is the same, warmed up, for a gunicorn worker."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from importlib import import_module
from typing import Any

from flask import Flask, Response, jsonify, request

from billing.domain.errors import InvalidInput

from .container import Container, build_container
from .demo import load_demo_catalog
from .http_errors import register_error_handlers
from .http_security import secure
from .logging_json import (
    REQUEST_ID_HEADER,
    configure_logging,
    correlation_id,
    logging_configured,
    request_id_from,
)
from .settings import Settings
from .views import (
    admin_disputes,
    admin_webhooks,
    assets,
    checkout,
    customers,
    documents,
    entitlements,
    health,
    metrics,
    openapi,
    orders,
    pages,
    refunds,
    sandbox,
    storefront,
    webhooks,
)

HEALTH_PATH = "/billing/health/"
#: No request body of this API is larger (the webhook's own limit is the same).
MAX_BODY_BYTES = webhooks.WEBHOOK_MAX_BYTES
BLUEPRINTS = (
    health,
    checkout,
    orders,
    refunds,
    documents,
    entitlements,
    customers,
    webhooks,
    admin_webhooks,
    admin_disputes,  # money lifecycle (issue 17)
    pages,
    metrics,
    openapi,
    storefront,
    assets,  # the invoice HTML's fonts
)

log = logging.getLogger("billing.http")
#: Keys of a request's environ: its (correlation id, context token), and when it started.
_CORRELATION = "billing.correlation"
_STARTED = "billing.started"


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    container = container or build_container(settings)
    app = Flask("billing")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["billing.container"] = container
    container.wire(packages=["billing.entrypoints.views"])
    container.job_publisher()  # a Resource: made here, once, not by two first requests at once
    register_error_handlers(app)
    if not logging_configured():
        configure_logging()
    _correlate(app)
    _no_store(app)

    @app.before_request
    def billing_gate() -> tuple[Response, int] | None:
        """``BILLING_ENABLED`` off: every ``/billing/`` route but health answers 503."""
        if container.settings().enabled or request.path == HEALTH_PATH:
            return None
        if not request.path.startswith("/billing/"):
            return None
        body = {
            "code": "billing_disabled",
            "message": "billing is disabled (BILLING_ENABLED)",
            "details": {},
            "retryable": True,
        }
        return jsonify(body), 503

    _refuse_nul_characters(app)
    for module in BLUEPRINTS:
        app.register_blueprint(module.blueprint, url_prefix="/billing")
    if container.settings().payment_provider == "sandbox":  # its hosted page and JSON API
        app.register_blueprint(sandbox.blueprint, url_prefix="/billing")
    secure(app, container.settings())  # CSRF, origins, security headers, JSON depth, redirects
    if container.settings().demo_catalog:
        load_demo_catalog(container)
    return app


def serve_app() -> Flask:
    """The app of one ``billing serve`` worker: ``create_app()`` with the services a request
    uses built at start (imports, templates, clients; WeasyPrint too when the worker renders
    documents itself, with the inline broker), not during the worker's first requests.
    Best effort: a service that cannot be built now reports its error on the request again."""
    app = create_app()
    container: Container = app.extensions["billing.container"]
    settings = container.settings()
    try:
        for service in (container.webhooks, container.checkout, container.access):
            service()
        container.job_publisher()
        if settings.jobs_inline and settings.invoice_renderer == "pdf":
            import_module("billing.adapters.invoices.pdf_renderer")  # this worker renders
    except Exception:
        log.warning("warming the services up at start failed", exc_info=True)
    return app


def _no_store(app: Flask) -> None:
    """Orders, invoices, tokens and client secrets are never kept by a browser or a proxy:
    every ``/billing/`` answer is ``Cache-Control: no-store`` unless its view chose otherwise."""

    @app.after_request
    def no_store(response: Response) -> Response:
        if request.path.startswith("/billing/") and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


def _refuse_nul_characters(app: Flask) -> None:
    """A NUL character in a path, a query, a form or a JSON string is refused with 400: no id,
    sku or email holds one, and PostgreSQL cannot even compare a text with it. The webhook's
    body is left to the signature check and the Stripe adapter."""

    @app.before_request
    def refuse_nul() -> None:
        if request.endpoint == "billing_webhooks.stripe_webhook":
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
    """A correlation id per request: on every log record, and echoed in ``X-Request-ID``.

    What it needs later is kept in the request's own environ, not in ``g``: a request served
    while another is in progress in the same thread (the sandbox delivering an event to this
    app in-process) shares ``g`` with it, and would reset the other's id instead of its own.
    """

    @app.before_request
    def start() -> None:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.environ[_CORRELATION] = (request_id, correlation_id.set(request_id))
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
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response

    @app.teardown_request
    def forget(_: BaseException | None) -> None:
        correlation = request.environ.pop(_CORRELATION, None)
        if correlation is not None:
            correlation_id.reset(correlation[1])
