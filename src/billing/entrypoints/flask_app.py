"""Billing's own Flask application: ``create_app()`` is the ``Billing`` extension on an app of
its own (every request is billing's); ``serve_app()`` is the same, warmed up, for a gunicorn
worker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import import_module
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from .container import Container
from .extension import own_app
from .mounting import mount_of
from .settings import Settings

__all__ = ["create_app", "serve_app"]

log = logging.getLogger("billing.http")


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with the signing serializer built once per set of keys
    rather than on every request (a request without a cookie built one too)."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[object, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


class _BillingFlask(Flask):
    """Flask, remembering which hooks and views are plain functions: ``ensure_sync`` asked
    ``inspect.iscoroutinefunction`` of each of a request's dozen hooks on every request."""

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self._plain: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if func in self._plain:
            return func
        ready = super().ensure_sync(func)
        if ready is func:
            self._plain.add(func)
        return ready


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    app = _BillingFlask("billing")
    app.session_interface = _CookieSessions()
    own_app(app, settings, container)
    return app


def serve_app() -> Flask:
    """The app of one ``billing serve`` worker: ``create_app()`` with the services a request
    uses built at start (imports, templates, clients; WeasyPrint too when the worker renders
    documents itself, with the inline broker), not during the worker's first requests.
    Best effort: a service that cannot be built now reports its error on the request again."""
    app = create_app()
    container = mount_of(app).container
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
