"""Administrators' view of the disputes: ``GET /billing/admin/disputes?open=true&limit=50``.

Open ones (or all), the soonest evidence due date first: what needs an answer, and by when.
Needs ``Authorization: Bearer <BILLING_ADMIN_TOKEN>`` (403 ``admin_required``).
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify, request

from billing.ports.identity import Identity
from billing.services.access import require_admin
from billing.services.disputes import DisputeService

from ..container import Container
from ..json_converter import to_json
from .query import flag_param, limit_param
from .responses import DisputeJson, DisputesJson

blueprint = Blueprint("billing_admin_disputes", __name__)


@blueprint.get("/admin/disputes")
@inject
def list_disputes(
    identity: Identity = Provide[Container.identity],
    disputes: DisputeService = Provide[Container.disputes],
) -> Response:
    require_admin(identity.current())
    open_only = flag_param(request.args.get("open"), "open")
    found = disputes.list(open_only, limit_param(request.args.get("limit")))
    return jsonify(to_json(DisputesJson([DisputeJson.of(d) for d in found])))
