"""Checkout as a caller asks for it: an order at catalog prices and its payment, once per request.

A client that retries a checkout (same caller, same ``Idempotency-Key``) gets the same order and
the same payment. No lookup table is needed: the order id itself is derived from an HMAC of the
server secret over the caller's identity and the key, so the retry finds the order it made.

A key means something only inside a scope its client alone holds (as with Stripe's own keys).
A logged-in user's scope is the user id, which the host authenticated: any key will do. A guest
has no account, so the key itself must be the guest's secret (``domain.guest_key``: at least
128 random bits, weak keys refused with 400), and the guest's order token is derived from it:
an HMAC of the server secret over the order id *and* the key. A retried guest checkout can so
show the token again, although only its SHA-256 is stored, while the email and the order id,
which others may know, are never enough to make it. A guest checkout without a key gets a random
token, shown once. Anyone holding the server secret and a guest's key can mint that guest's
token: the secret is a credential (``BILLING_SECRET_KEY``). A token is checked against its
stored SHA-256 alone, so rotating the secret leaves every token working; only a retry of a
checkout begun before the rotation then makes a new order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence

import attrs

from billing.domain.buyer import BillingDetails
from billing.domain.errors import BillingError, DuplicateRecord, InvalidInput, OrderNotFound
from billing.domain.guest_key import require_unguessable_guest_key
from billing.domain.identity import Caller
from billing.domain.order import Customer, Order
from billing.domain.payment import PaymentAttempt, PaymentMode, ProviderPayment
from billing.ports.clock import Clock, IdGenerator
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.retry import retry_on_conflict

from .orders import CartLine, priced_order
from .payments import PaymentService, ReturnUrls

log = logging.getLogger(__name__)

MAX_REQUEST_KEY_LENGTH = 255
IDEMPOTENCY_KEY_FIELD = "Idempotency-Key"


class CheckoutKeyReused(BillingError):
    """The same ``Idempotency-Key`` came back with another cart or another buyer."""

    code = "idempotency_key_conflict"


@attrs.frozen
class CheckoutRequest:
    """What a caller may ask for: skus and quantities, a payment mode, a guest email. No price."""

    lines: tuple[CartLine, ...]
    mode: PaymentMode = PaymentMode.PAYMENT_INTENT
    email: str | None = None
    #: The client's ``Idempotency-Key``: the same key (for the same caller) gives the same order.
    request_key: str | None = None
    #: The buyer's name, address and VAT number for the invoice (optional; a retry keeps the
    #: details of the request that made the order).
    billing: BillingDetails | None = None


@attrs.frozen
class CheckoutReceipt:
    order: Order
    payment: ProviderPayment
    provider: str
    publishable_key: str | None
    #: For a guest only: the token that proves ownership of the order (≥ 128 bits).
    order_token: str | None = attrs.field(default=None, repr=False)


class OrderTokens:
    """Values derived from the server secret: keyed guest tokens and request-keyed order ids.

    Without a configured secret a random one is made for this process: retries are then only
    recognised by the same process (tokens keep working: only their SHA-256 is checked).
    """

    def __init__(self, secret: str) -> None:
        if not secret:
            log.warning("BILLING_SECRET_KEY is not set: using a random secret for this process")
            secret = secrets.token_urlsafe(32)
        self._secret = secret.encode()

    def _mac(self, *parts: str) -> bytes:
        message = b"\x00".join(part.encode() for part in parts)
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def token_for(self, order_id: str, request_key: str) -> str:
        """The token of a guest's order made with ``request_key``: 256 bits, URL-safe. It needs
        the key (the guest's secret), never the order id alone (which is public)."""
        mac = self._mac("order-token", order_id, request_key)
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def order_id_for(self, identity: str, request_key: str) -> str:
        """The id of the order a caller's checkout with ``request_key`` makes (96 bits)."""
        return "ord_" + self._mac("checkout", identity, request_key).hex()[:24]


def customer_of(caller: Caller, email: str | None) -> Customer:
    """The buyer: the logged-in user (with an optional email), else a guest by email."""
    if caller.user_id is not None:
        return Customer(user_id=caller.user_id, email=email)
    if email is None:
        raise InvalidInput("a guest checkout needs an email", field="email")
    return Customer(email=email)


def _identity(customer: Customer) -> str:
    return f"user:{customer.user_id}" if customer.user_id is not None else f"guest:{customer.email}"


def _checked_request_key(customer: Customer, key: str | None) -> str | None:
    """The request key, if any: printable ASCII for everyone, and a guest's must be a secret."""
    if key is None:
        return None
    if not 0 < len(key) <= MAX_REQUEST_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise InvalidInput(
            f"an Idempotency-Key has 1 to {MAX_REQUEST_KEY_LENGTH} printable ASCII characters",
            field=IDEMPOTENCY_KEY_FIELD,
        )
    if customer.is_guest:
        require_unguessable_guest_key(key, IDEMPOTENCY_KEY_FIELD)
    return key


def _same_cart(order: Order, lines: Sequence[CartLine]) -> bool:
    ordered = sorted((item.sku, item.quantity) for item in order.items)
    return ordered == sorted((line.sku, line.quantity) for line in lines)


@attrs.frozen
class CheckoutService:
    _uow_factory: UnitOfWorkFactory
    _payments: PaymentService
    _tokens: OrderTokens
    _clock: Clock
    _ids: IdGenerator
    _provider_name: str
    _publishable_key: str | None
    _public_base_url: str
    #: Where the host mounted the routes (the success and cancel pages are under it).
    _url_prefix: str = "/billing"
    _prices_include_tax: bool = True

    def checkout(self, caller: Caller, request: CheckoutRequest) -> CheckoutReceipt:
        """Create (or find again, for a retried request key) the order, then its payment."""
        customer = customer_of(caller, request.email)
        key = _checked_request_key(customer, request.request_key)
        if key is None:
            order_id = self._ids.new_id("ord")
        else:
            order_id = self._tokens.order_id_for(_identity(customer), key)
        token = self._guest_token(customer, order_id, key)
        keyed = key is not None
        try:
            order, attempt = self._order(customer, request, order_id, token, keyed=keyed)
        except DuplicateRecord:  # a concurrent retry of this request inserted the order first
            order, attempt = self._order(customer, request, order_id, token, keyed=keyed)
        recorded = (attempt, order) if attempt is not None else None
        urls = self._urls(order.id)
        result = self._payments.checkout(order.id, request.mode, urls, recorded)
        return CheckoutReceipt(
            result.order, result.payment, self._provider_name, self._publishable_key, token
        )

    def _guest_token(self, customer: Customer, order_id: str, key: str | None) -> str | None:
        """A guest's order token: derived from the guest's secret key, else random."""
        if not customer.is_guest:
            return None
        return self._ids.secret_token() if key is None else self._tokens.token_for(order_id, key)

    @retry_on_conflict
    def _order(
        self,
        customer: Customer,
        request: CheckoutRequest,
        order_id: str,
        access_token: str | None,
        *,
        keyed: bool,
    ) -> tuple[Order, PaymentAttempt | None]:
        """The order of this request: found again (its attempt is then looked up under its
        lock), or added together with its payment attempt in one transaction."""
        with self._uow_factory() as uow:
            existing = _find(uow, order_id) if keyed else None
            if existing is not None:
                if existing.customer != customer or not _same_cart(existing, request.lines):
                    raise CheckoutKeyReused(
                        "this Idempotency-Key was used for another checkout",
                        field=IDEMPOTENCY_KEY_FIELD,
                    )
                return existing, None
            order = priced_order(
                uow,
                customer,
                request.lines,
                order_id=order_id,
                idempotency_key=self._ids.secret_token(),
                at=self._clock.now(),
                access_token=access_token,
                prices_include_tax=self._prices_include_tax,
                billing=request.billing,
            )
            uow.orders.add(order)
            attempt = self._payments.first_attempt(uow, order, request.mode)
            uow.commit()
        return order, attempt

    def _urls(self, order_id: str) -> ReturnUrls:
        base = self._public_base_url.rstrip("/") + self._url_prefix
        return ReturnUrls(
            success_url=f"{base}/success/?order={order_id}",
            cancel_url=f"{base}/cancel/?order={order_id}",
        )


def _find(uow: UnitOfWork, order_id: str) -> Order | None:
    try:
        return uow.orders.get(order_id)
    except OrderNotFound:
        return None
