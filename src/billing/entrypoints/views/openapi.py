"""``GET /billing/openapi.json``: the OpenAPI 3.1 document of every route.

Its ``servers`` entry is where billing is mounted in the app serving the request (the
WSGI script root, then the mount prefix: ``/billing``, ``/shop/billing``…); its paths are
relative to it.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from ..mounting import current_mount
from ..openapi import openapi_document

blueprint = Blueprint("billing_openapi", __name__)


@blueprint.get("/openapi.json")
def openapi() -> Response:
    mounted = "billing_sandbox" in current_app.blueprints
    server = request.script_root + current_mount().prefix
    return jsonify(openapi_document(sandbox=mounted, server=server))
