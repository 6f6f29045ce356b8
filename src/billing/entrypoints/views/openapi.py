"""``GET /billing/openapi.json``: the OpenAPI 3.1 document of every route."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from ..openapi import openapi_document

blueprint = Blueprint("billing_openapi", __name__)


@blueprint.get("/openapi.json")
def openapi() -> Response:
    mounted = "billing_sandbox" in current_app.blueprints
    return jsonify(openapi_document(sandbox=mounted))
