"""``GET /billing/success/`` and ``/billing/cancel/``: where the buyer comes back from paying.

The success page shows the order (to whoever may see it: ``?token=`` for a guest) and reloads
itself until the order is paid; without JavaScript.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, render_template, request

from billing.domain.errors import OrderNotFound
from billing.domain.state import PAID_STATES
from billing.ports.identity import Identity
from billing.services.access import AccessService

from ..container import Container
from .responses import order_details_json

blueprint = Blueprint("billing_pages", __name__, template_folder="templates")


@blueprint.get("/success/")
@inject
def success(
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
) -> str:
    order_id = request.args.get("order", "")
    try:
        details = access.order_details(identity.current(), order_id) if order_id else None
    except OrderNotFound:
        details = None
    order = order_details_json(details) if details is not None else None
    paid = details is not None and details.order.status in PAID_STATES
    # Keep reloading until the invoice files exist too: they are rendered just after payment.
    settled = paid and details is not None and all(d.rendered for d in details.documents)
    return render_template(
        "billing/success.html",
        order=order,
        paid=paid,
        settled=settled,
        token=request.args.get("token"),
    )


@blueprint.get("/cancel/")
def cancel() -> str:
    return render_template("billing/cancel.html", order_id=request.args.get("order"))
