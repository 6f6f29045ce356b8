"""The sandbox provider's customer side, mounted only when ``BILLING_PAYMENT_PROVIDER=sandbox``.

- ``GET/POST /billing/sandbox/checkout/<payment_id>``: the hosted page of a Checkout Session
  or a PaymentIntent (``?client_secret=…``, as Stripe.js needs it), where a person types a test
  card (and completes 3-D Secure); a paid session goes back to its ``success_url``. Its forms
  carry the page's token (and a PaymentIntent's client secret): a post without them is refused
  (403); they are browser forms like the storefront's (the session's CSRF token, our own
  origin: ``http_security``), and the page, like every page, is never framed, cached, or named
  in another site's ``Referer``.
- ``POST /billing/sandbox/api/pay`` ``{payment_id, card}``, ``/api/confirm``
  ``{payment_id, authenticate?}``, ``/api/expire`` ``{payment_id}``: the same for scripts; each
  answers the Stripe object (a declined card: 402 ``payment_declined``).
- ``POST /billing/sandbox/api/deliver``: send the events still undelivered, now.
- ``GET /billing/sandbox/api/objects/<id>``: any sandbox object as Stripe JSON.

The JSON API reads client secrets and pays or expires anyone's payment, so, like Stripe's API,
it needs a secret: ``Authorization: Bearer <STRIPE_SECRET_KEY>`` (or HTTP Basic with the key as
user name, as ``curl -u sk_test_…:`` sends it) or the administrators' ``BILLING_ADMIN_TOKEN``;
anyone else gets 401 ``authentication_required``.

An id the sandbox does not know answers 404 ``resource_missing`` on every one of them.
"""

from __future__ import annotations

import hmac
from typing import Any, TypeVar

import attrs
from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

from billing.adapters.sandbox import (
    NoSuchObject,
    PageRefused,
    SandboxPaymentProvider,
    WebhookDeliverer,
)
from billing.domain.errors import InvalidInput, PaymentDeclined, ProviderRejected
from billing.ports.payments import PaymentProvider
from billing.services.access import AuthenticationRequired

from ..container import Container
from ..http_security import browser_form
from ..json_converter import structure, to_json
from ..settings import Settings
from .translation import N_, page_locale, render_page, translate
from .wording import add_filters, payment_failure

blueprint = Blueprint("billing_sandbox", __name__, template_folder="templates")
add_filters(blueprint)
T = TypeVar("T")


@attrs.frozen
class PayBody:
    payment_id: str
    card: str


@attrs.frozen
class ConfirmBody:
    payment_id: str
    authenticate: bool = True


@attrs.frozen
class ExpireBody:
    payment_id: str


@attrs.frozen
class DeliveredJson:
    #: The ids of the events sent.
    pending: list[str]


def _body(kind: type[T]) -> T:
    data = request.get_json(silent=True)
    try:
        return structure(data, kind)
    except Exception as error:  # cattrs' ExceptionGroups, a body that is not an object
        raise InvalidInput(f"invalid {kind.__name__}: expected {_fields(kind)}") from error


def _fields(kind: type[Any]) -> str:
    return ", ".join(field.name for field in attrs.fields(kind))


@blueprint.errorhandler(NoSuchObject)
def _no_such_object(error: NoSuchObject) -> tuple[Response, int]:
    """An id the sandbox does not know is the caller's mistake (404), not the provider's."""
    body = {"code": error.code, "message": error.message, "details": {}, "retryable": False}
    return jsonify(body), 404


def _sandbox(provider: PaymentProvider) -> SandboxPaymentProvider:
    assert isinstance(provider, SandboxPaymentProvider)  # mounted only when it is selected
    return provider


# -- the hosted page ---------------------------------------------------------------------------

PageAnswer = str | tuple[str, int] | WerkzeugResponse
_CHANGED = N_("This payment changed in the meantime: here is where it stands now.")


def _client_secret() -> str | None:
    return request.form.get("client_secret") or request.args.get("client_secret") or None


@blueprint.get("/sandbox/checkout/<payment_id>")
@inject
def checkout_page(
    payment_id: str, provider: PaymentProvider = Provide[Container.payment_provider]
) -> PageAnswer:
    try:
        return _page(_sandbox(provider), payment_id)
    except PageRefused as error:
        return _refused(error)


@blueprint.post("/sandbox/checkout/<payment_id>")
@browser_form
@inject
def checkout_submit(
    payment_id: str, provider: PaymentProvider = Provide[Container.payment_provider]
) -> PageAnswer:
    sandbox = _sandbox(provider)
    action = request.form.get("action", "pay")
    try:
        sandbox.check_page_form(payment_id, _client_secret(), request.form.get("page_token"))
    except PageRefused as error:
        return _refused(error)
    try:
        if action == "pay":
            sandbox.pay(payment_id, request.form.get("card", ""))
        elif action in ("authenticate", "fail_authentication"):
            sandbox.confirm(payment_id, authenticate=action == "authenticate")
        else:
            raise InvalidInput(f"unknown action {action!r}")
    except (PaymentDeclined, ProviderRejected, InvalidInput) as error:
        if isinstance(error, PaymentDeclined):  # Stripe's words are for developers
            return _page(sandbox, payment_id, payment_failure(error, page_locale())), 402
        # A form of a page out of date (paid, expired, or no longer asking for 3-D Secure
        # meanwhile): the page shows where the payment stands now.
        status = 400 if isinstance(error, InvalidInput) else 409
        return _page(sandbox, payment_id, translate(_CHANGED, page_locale())), status
    shown = sandbox.describe(payment_id, _client_secret())
    if shown.paid and shown.success_url:
        return redirect(shown.success_url, code=303)
    return _page(sandbox, payment_id)


def _page(provider: SandboxPaymentProvider, payment_id: str, error: str | None = None) -> str:
    shown = provider.describe(payment_id, _client_secret())
    return render_page("sandbox/checkout.html", payment=shown, error=error)


def _refused(error: PageRefused) -> tuple[str, int]:
    """The page refused, in the page's words (the sandbox marks its refusals for the catalog)."""
    shown = translate(error.message, page_locale())
    return render_page("sandbox/checkout.html", payment=None, error=shown), 403


# -- the JSON API ------------------------------------------------------------------------------

#: Under the routes' prefix (``/billing`` unless a host chose another).
API_PREFIX = "/sandbox/api/"


def _presented_key() -> str | None:
    """The secret in ``Authorization``: a bearer token, or HTTP Basic's user name (Stripe's)."""
    credentials = request.authorization
    if credentials is None:
        return None
    if credentials.type == "bearer":
        return credentials.token
    return credentials.username if credentials.type == "basic" else None


@blueprint.before_request
@inject
def _api_needs_a_secret(settings: Settings = Provide[Container.settings]) -> None:
    api = settings.url_prefix + API_PREFIX
    if request.url_rule is None or not request.url_rule.rule.startswith(api):
        return
    presented = (_presented_key() or "").encode()
    accepted = [key for key in (settings.stripe_secret_key, settings.admin_token) if key]
    if presented and any(hmac.compare_digest(presented, key.encode()) for key in accepted):
        return
    raise AuthenticationRequired(
        "the sandbox API needs Authorization: Bearer <STRIPE_SECRET_KEY or BILLING_ADMIN_TOKEN>"
    )


@blueprint.post("/sandbox/api/pay")
@inject
def api_pay(provider: PaymentProvider = Provide[Container.payment_provider]) -> Response:
    body = _body(PayBody)
    sandbox = _sandbox(provider)
    sandbox.pay(body.payment_id, body.card)
    return jsonify(sandbox.retrieve(body.payment_id))


@blueprint.post("/sandbox/api/confirm")
@inject
def api_confirm(provider: PaymentProvider = Provide[Container.payment_provider]) -> Response:
    body = _body(ConfirmBody)
    sandbox = _sandbox(provider)
    sandbox.confirm(body.payment_id, authenticate=body.authenticate)
    return jsonify(sandbox.retrieve(body.payment_id))


@blueprint.post("/sandbox/api/expire")
@inject
def api_expire(provider: PaymentProvider = Provide[Container.payment_provider]) -> Response:
    body = _body(ExpireBody)
    sandbox = _sandbox(provider)
    sandbox.expire_session(body.payment_id)
    return jsonify(sandbox.retrieve(body.payment_id))


@blueprint.get("/sandbox/api/objects/<object_id>")
@inject
def api_object(
    object_id: str, provider: PaymentProvider = Provide[Container.payment_provider]
) -> Response:
    return jsonify(_sandbox(provider).retrieve(object_id))


@blueprint.post("/sandbox/api/deliver")
@inject
def api_deliver(
    deliverer: WebhookDeliverer = Provide[Container.sandbox_deliverer],
) -> Response:
    pending = deliverer.deliver_pending()
    return jsonify(to_json(DeliveredJson([event.id for event in pending])))
