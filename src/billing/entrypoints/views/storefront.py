"""The storefront: ``GET /billing/`` lists the catalog, ``POST /billing/shop/checkout`` buys.

Server-rendered, no JavaScript. The buyer is sent to the provider's hosted payment page (Stripe
Checkout, or the sandbox's page). A guest's order token travels in an HttpOnly cookie scoped to
``/billing/``, never in a URL, so the success page can show the order to its buyer. Each page
render carries its own idempotency key, so a double-submitted form makes one order.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, redirect, render_template, request

from billing.domain.errors import InvalidInput
from billing.domain.money import Money
from billing.domain.payment import PaymentMode
from billing.ports.clock import IdGenerator
from billing.ports.identity import Identity
from billing.services.catalog import CatalogService
from billing.services.checkout import CheckoutRequest, CheckoutService
from billing.services.orders import CartLine

from ..container import Container
from .identity import ORDER_TOKEN_COOKIE

blueprint = Blueprint("billing_storefront", __name__, template_folder="templates")
QUANTITY_FIELD = "quantity-"


@blueprint.get("/")
@inject
def storefront(
    catalog: CatalogService = Provide[Container.catalog],
    ids: IdGenerator = Provide[Container.ids],
) -> str:
    products = [(p, Money(p.price.amount, p.price.currency)) for p in catalog.products()]
    return render_template(
        "billing/storefront.html", products=products, request_key=ids.secret_token()
    )


def _cart() -> tuple[CartLine, ...]:
    lines = []
    for field, value in request.form.items():
        if not field.startswith(QUANTITY_FIELD) or not value.strip():
            continue
        if not value.strip().isdigit():
            raise InvalidInput("a quantity is a whole number", field=field)
        if int(value) > 0:
            lines.append(CartLine(field.removeprefix(QUANTITY_FIELD), int(value)))
    return tuple(lines)


@blueprint.post("/shop/checkout")
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
        response.set_cookie(
            ORDER_TOKEN_COOKIE,
            receipt.order_token,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
            path="/billing/",
        )
    return response
