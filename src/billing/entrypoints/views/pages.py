"""``GET /billing/success/`` and ``/billing/cancel/``: where the buyer comes back from paying.

The success page shows the order (to whoever may see it: the guest's cookie, or a ``?token=``)
and reloads itself until the order is paid; without JavaScript. A ``?token=`` that opens the
order is moved into the guest's HttpOnly cookie and the page sends the browser to itself without
it (303): the token leaves the address bar, the history and any later ``Referer``, and the
document links work from the cookie.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from billing.domain.errors import OrderNotFound
from billing.domain.state import PAID_STATES
from billing.ports.identity import Identity
from billing.services.access import AccessService, OrderDetails
from billing.services.receipts import ReceiptTrigger

from ..container import Container
from ..json_converter import to_json
from .identity import remember_order_token
from .responses import OrderDetailsJson
from .translation import render_page
from .wording import add_filters

blueprint = Blueprint("billing_pages", __name__, template_folder="templates")
add_filters(blueprint)


@blueprint.get("/success/")
@inject
def success(
    identity: Identity = Provide[Container.identity],
    access: AccessService = Provide[Container.access],
    receipts: ReceiptTrigger = Provide[Container.receipt_trigger],
) -> str | Response:
    order_id = request.args.get("order", "")
    details = _visible(identity, access, order_id)
    token = request.args.get("token")
    if token and details is not None:
        moved = redirect(url_for("billing_pages.success", order=order_id), code=303)
        remember_order_token(moved, token)
        return moved
    order = to_json(OrderDetailsJson.of_details(details)) if details is not None else None
    paid = details is not None and details.order.status in PAID_STATES
    # Keep reloading until the invoice files exist too: they are rendered just after payment.
    settled = paid and details is not None and all(d.rendered for d in details.documents)
    return render_page(
        "billing/success.html",
        order=order,
        paid=paid,
        settled=settled,
        mail=receipts.enabled,  # promise an e-mail only when one will be sent
    )


def _visible(identity: Identity, access: AccessService, order_id: str) -> OrderDetails | None:
    """The order, if the caller may see it."""
    if not order_id:
        return None
    try:
        return access.order_details(identity.current(), order_id)
    except OrderNotFound:
        return None


@blueprint.get("/cancel/")
def cancel() -> str:
    return render_page("billing/cancel.html", order_id=request.args.get("order"))
