"""The storefront: ``GET /billing/`` lists the catalog, ``POST /billing/shop/checkout`` buys.

Server-rendered, no JavaScript. The buyer is sent to the provider's hosted payment page (Stripe
Checkout, or the sandbox's page). A guest's order token travels in an HttpOnly cookie scoped to
``/billing/``, never in a URL, so the success page can show the order to its buyer. Each page
render carries its own idempotency key, so a double-submitted form makes one order, and the
session's CSRF token, so another site's page cannot post the form (``http_security``).
"""

from __future__ import annotations

import re

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, redirect, request
from werkzeug.wrappers import Response

from billing.domain.errors import InvalidInput
from billing.domain.money import Money
from billing.domain.payment import PaymentMode
from billing.ports.clock import IdGenerator
from billing.ports.identity import Identity
from billing.services.catalog import CatalogService
from billing.services.checkout import CheckoutRequest, CheckoutService
from billing.services.orders import CartLine

from ..container import Container
from ..http_security import browser_form
from ..settings import Settings
from .identity import remember_order_token
from .translation import render_page
from .wording import add_filters

blueprint = Blueprint("billing_storefront", __name__, template_folder="templates")
add_filters(blueprint)
QUANTITY_FIELD = "quantity-"
#: ASCII digits only (``str.isdigit`` also takes "²", which ``int`` refuses), at most four: the
#: order's own rule (1 to 1000) then says what is too many.
_QUANTITY = re.compile(r"[0-9]{1,4}")


@blueprint.get("/")
@inject
def storefront(
    catalog: CatalogService = Provide[Container.catalog],
    ids: IdGenerator = Provide[Container.ids],
    identity: Identity = Provide[Container.identity],
    settings: Settings = Provide[Container.settings],
) -> str:
    products = [(p, Money(p.price.amount, p.price.currency)) for p in catalog.products()]
    return render_page(
        "billing/storefront.html",
        products=products,
        request_key=ids.secret_token(),
        signed_in=identity.current().user_id is not None,  # a user buys without an email
        vat_included=settings.prices_include_tax,
    )


def _cart() -> tuple[CartLine, ...]:
    lines = []
    for field, value in request.form.items():
        quantity = value.strip()
        if not field.startswith(QUANTITY_FIELD) or not quantity:
            continue
        if _QUANTITY.fullmatch(quantity) is None:
            raise InvalidInput("a quantity is a whole number from 0 to 1000", field=field)
        if int(quantity) > 0:
            lines.append(CartLine(field.removeprefix(QUANTITY_FIELD), int(quantity)))
    return tuple(lines)


@blueprint.post("/shop/checkout")
@browser_form
@inject
def buy(
    identity: Identity = Provide[Container.identity],
    service: CheckoutService = Provide[Container.checkout],
) -> Response:
    wanted = CheckoutRequest(
        lines=_cart(),
        mode=PaymentMode.CHECKOUT_SESSION,
        email=request.form.get("email") or None,
        request_key=request.form.get("request_key") or None,
    )
    receipt = service.checkout(identity.current(), wanted)
    assert receipt.payment.checkout_url is not None  # a checkout session has a hosted page
    response = redirect(receipt.payment.checkout_url, code=303)
    if receipt.order_token is not None:
        remember_order_token(response, receipt.order_token)
    return response
