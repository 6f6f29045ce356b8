"""The Flask application: ``create_app()`` wires the container and mounts ``/billing/``."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from .container import Container, build_container
from .http_errors import register_error_handlers
from .settings import Settings
from .views import health

HEALTH_PATH = "/billing/health/"


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    container = container or build_container(settings)
    app = Flask("billing")
    app.extensions["billing.container"] = container
    container.wire(packages=["billing.entrypoints.views"])
    register_error_handlers(app)

    @app.before_request
    def billing_gate() -> tuple[Response, int] | None:
        """``BILLING_ENABLED`` off: every ``/billing/`` route but health answers 503."""
        if container.settings().enabled or request.path == HEALTH_PATH:
            return None
        if not request.path.startswith("/billing/"):
            return None
        body = {"code": "billing_disabled", "message": "billing is disabled (BILLING_ENABLED)"}
        return jsonify(body), 503

    app.register_blueprint(health.blueprint, url_prefix="/billing")
    return app
