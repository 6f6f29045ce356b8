"""``GET /billing/entitlements``: what the logged-in user holds."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.ports.identity import Identity
from billing.services.access import AccessService

from ..container import Container
from ..json_converter import to_json
from .responses import EntitlementsJson

blueprint = Blueprint("billing_entitlements", __name__)


@blueprint.get("/entitlements")
@inject
def entitlements(
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> Response:
    held = access.entitlements(identity.current())
    return jsonify(to_json(EntitlementsJson.of(held)))
