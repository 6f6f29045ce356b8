"""The Order aggregate: who buys what, at which server-side price, and where it stands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from billing.domain.buyer import BillingDetails, PayerDetails
from billing.domain.dispute import Dispute, any_open, lost_amount
from billing.domain.errors import (
    AmountMismatch,
    IllegalTransition,
    InvalidInput,
    OrderNotPayable,
)
from billing.domain.events import OrderStatusChanged
from billing.domain.invoice import TaxLine
from billing.domain.money import Money
from billing.domain.state import (
    PAID_STATES,
    PAYABLE_STATES,
    OrderStatus,
    OrderTransition,
    apply_transition,
)
from billing.domain.tax import LineTax, TaxedAmount, TaxRate, line_tax, totals

#: RFC 5321's limits on a mailbox; a user id is the host application's, stored as given.
MAX_EMAIL_LENGTH = 320
MAX_USER_ID_LENGTH = 255
#: The most units of one product in one order.
MAX_QUANTITY = 1000


def _normalise_email(value: str | None) -> str | None:
    if value is None:
        return None
    email = value.strip().lower()
    local, _, domain = email.partition("@")
    malformed = not local or "." not in domain or " " in email or not email.isprintable()
    if malformed or len(email) > MAX_EMAIL_LENGTH:
        raise InvalidInput(f"not an email address: {value!r}", field="email")
    return email


def _check_user_id(_: object, __: object, value: str | None) -> None:
    if value is not None and not (0 < len(value) <= MAX_USER_ID_LENGTH and value.isprintable()):
        raise InvalidInput(
            f"a user id has 1 to {MAX_USER_ID_LENGTH} printable characters", field="user_id"
        )


@attrs.frozen
class Customer:
    """The buyer: a logged-in user (``user_id``), a guest (``email`` only), or a user with email."""

    user_id: str | None = attrs.field(default=None, validator=_check_user_id)
    email: str | None = attrs.field(default=None, converter=_normalise_email)

    def __attrs_post_init__(self) -> None:
        if self.user_id is None and self.email is None:
            raise InvalidInput("a customer needs a user id or an email", field="customer")

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


@attrs.frozen
class OrderItem:
    """One line of an order, priced from the catalog (never from the client).

    ``unit_amount`` is the catalog's price, gross when ``unit_includes_tax`` (the catalog's
    prices include the tax) and net otherwise. The line keeps the rate it was sold at and
    its ``net`` and ``tax`` (``domain/tax.py``'s rule): a later change of the catalog never
    changes what was sold. ``net`` is None on lines sold before rates existed: the whole
    amount is then net, untaxed.
    """

    sku: str
    name: str
    quantity: int
    unit_amount: int
    entitlement_key: str | None = None
    tax_rate: TaxRate = attrs.field(factory=TaxRate)
    net: int | None = None
    tax: int = 0
    unit_includes_tax: bool = True

    def __attrs_post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InvalidInput("quantity must be an integer", sku=self.sku)
        if not 1 <= self.quantity <= MAX_QUANTITY:
            raise InvalidInput(f"quantity must be between 1 and {MAX_QUANTITY}", sku=self.sku)
        if self.unit_amount < 0:
            raise InvalidInput("a unit price cannot be negative", sku=self.sku)
        if self.net is not None and (self.net < 0 or self.tax < 0):
            raise InvalidInput("a line's net and tax cannot be negative", sku=self.sku)
        if self.net is None and self.tax:
            raise InvalidInput("a line with a tax needs its net", sku=self.sku)

    @property
    def _computed(self) -> LineTax | None:
        """The line's net and tax by the one rule, from what it was sold at (None: untaxed).

        The stored ``net`` and ``tax`` are the record of the sale; these are derived again so
        that a line corrected by an operator (its unit price) stays consistent."""
        if self.net is None:
            return None
        amount = self.quantity * self.unit_amount
        return line_tax(amount, self.tax_rate.rate_bp, includes_tax=self.unit_includes_tax)

    @property
    def line_amount(self) -> int:
        """What the line costs, tax included (gross): what is charged."""
        computed = self._computed
        return self.quantity * self.unit_amount if computed is None else computed.gross

    @property
    def net_amount(self) -> int:
        computed = self._computed
        return self.line_amount if computed is None else computed.net

    @property
    def tax_amount(self) -> int:
        computed = self._computed
        return 0 if computed is None else computed.tax

    @property
    def taxed(self) -> TaxedAmount:
        return TaxedAmount(self.tax_rate, self.net_amount, self.tax_amount)


@attrs.define
class Order:
    """An order and the record of every state it went through."""

    id: str
    customer: Customer
    items: tuple[OrderItem, ...]
    currency: str
    idempotency_key: str
    created_at: datetime
    updated_at: datetime
    status: OrderStatus = OrderStatus.DRAFT
    provider_payment_id: str | None = None
    amount_paid: int = 0
    amount_refunded: int = 0
    #: True while a dispute of the order's payment is open.
    disputed: bool = False
    #: The money lost to the cardholder in disputes the bank decided against us.
    amount_disputed_lost: int = 0
    #: SHA-256 of the guest's order token (the token itself is only ever shown once).
    access_token_sha256: str | None = None
    transitions: list[OrderTransition] = attrs.Factory(list)
    #: The buyer's billing details: given at checkout, else reported by the provider.
    billing: BillingDetails | None = None
    #: How it was paid, as the provider reported it ("Visa •••• 4242"); "" when unknown.
    payment_method: str = ""

    @classmethod
    def create(
        cls,
        *,
        id: str,
        customer: Customer,
        items: Sequence[OrderItem],
        currency: str,
        idempotency_key: str,
        at: datetime,
        access_token_sha256: str | None = None,
        billing: BillingDetails | None = None,
    ) -> Order:
        if not items:
            raise InvalidInput("an order needs at least one item", field="items")
        skus = [item.sku for item in items]
        if len(set(skus)) != len(skus):
            raise InvalidInput("each sku may appear once per order", field="items")
        order = cls(
            id=id,
            customer=customer,
            items=tuple(items),
            currency=Money.zero(currency).currency,
            idempotency_key=idempotency_key,
            created_at=at,
            updated_at=at,
            access_token_sha256=access_token_sha256,
            billing=billing if billing is not None and not billing.empty else None,
        )
        if order.total.amount <= 0:
            raise InvalidInput("an order total must be positive", field="items")
        return order

    @property
    def total(self) -> Money:
        return Money(sum(item.line_amount for item in self.items), self.currency)

    @property
    def taxed_lines(self) -> list[TaxedAmount]:
        return [item.taxed for item in self.items]

    def taxes(self, exemption_reason: str = "") -> tuple[TaxLine, ...]:
        """Net, VAT and gross per rate (``domain/tax.py``); empty for an order sold before
        rates existed. Their grosses add up to ``total``."""
        if any(item.net is None for item in self.items):
            return ()
        return totals(self.taxed_lines, exemption_reason)

    @property
    def paid_at(self) -> datetime | None:
        """When the order first became paid (from its transitions)."""
        return next((t.at for t in self.transitions if t.to_status is OrderStatus.PAID), None)

    def record_payer(self, payer: PayerDetails | None) -> None:
        """Take what the provider reports about the payer: its billing details only when the
        buyer gave none at checkout (what the buyer typed for the invoice wins), the payment
        method when first known."""
        if payer is None:
            return
        if self.billing is None and payer.billing is not None and not payer.billing.empty:
            self.billing = payer.billing
        if payer.payment_method and not self.payment_method:
            self.payment_method = payer.payment_method

    @property
    def refundable(self) -> int:
        """What is still held of the payment: paid, less refunded, less lost to disputes."""
        return max(0, self.amount_paid - self.amount_refunded - self.amount_disputed_lost)

    @property
    def lost_a_dispute(self) -> bool:
        return self.amount_disputed_lost > 0

    def settle_disputes(self, disputes: Sequence[Dispute], at: datetime) -> None:
        """Take the flag and the lost amount from the order's disputes (all of them)."""
        disputed, lost = any_open(disputes), lost_amount(disputes)
        if (disputed, lost) != (self.disputed, self.amount_disputed_lost):
            self.disputed, self.amount_disputed_lost = disputed, lost
            self.updated_at = at

    def transition(
        self, to: OrderStatus, cause: str, at: datetime, *, reversal: bool = False
    ) -> list[OrderStatusChanged]:
        """Apply one transition of the state machine; see ``state.apply_transition``."""
        step = apply_transition(self.status, self.transitions, to, cause, at, reversal=reversal)
        if step is None:
            return []
        self.transitions.append(step)
        self.status = to
        self.updated_at = at
        return [OrderStatusChanged(self.id, step.from_status, to, cause, at)]

    def start_payment(self, payment_id: str, cause: str, at: datetime) -> list[OrderStatusChanged]:
        if self.status not in PAYABLE_STATES:
            raise OrderNotPayable(f"order {self.id} is {self.status}", order_id=self.id)
        self.provider_payment_id = payment_id
        return self.transition(OrderStatus.PENDING_PAYMENT, cause, at)

    def mark_paid(
        self, amount: Money, payment_id: str | None, cause: str, at: datetime
    ) -> list[OrderStatusChanged]:
        """Record the provider's confirmation that ``amount`` was captured for this order.

        The amount must be exactly the order total: anything else is refused unchanged.
        """
        if amount != self.total:
            raise AmountMismatch(
                f"paid {amount} for an order of {self.total}",
                order_id=self.id,
                expected=self.total.amount,
                received=amount.amount,
                expected_currency=self.currency,
                received_currency=amount.currency,
            )
        if self.status in PAID_STATES:
            # Already paid (maybe partly refunded since): a late or repeated confirmation,
            # even under another event id, changes nothing and never pulls the order back.
            return []
        if self.status not in PAYABLE_STATES:
            return self.transition(OrderStatus.PAID, cause, at)  # CANCELED: IllegalTransition
        events: list[OrderStatusChanged] = []
        if payment_id is not None:
            self.provider_payment_id = payment_id
        if self.status is OrderStatus.DRAFT:
            # The provider proves a payment exists even if our own checkout never finished.
            events += self.transition(OrderStatus.PENDING_PAYMENT, cause, at)
        events += self.transition(OrderStatus.PAID, cause, at)
        self.amount_paid = amount.amount
        return events

    def attach_to_user(self, user_id: str) -> None:
        """A guest's order joins the user account that proved the guest's email: from now on
        the user reads it, and the guest's token no longer opens it (it may have been shared,
        forwarded or logged; the account is the credential now)."""
        self.customer = Customer(user_id=user_id, email=self.customer.email)
        self.access_token_sha256 = None

    def cancel(self, cause: str, at: datetime) -> list[OrderStatusChanged]:
        return self.transition(OrderStatus.CANCELED, cause, at)

    def settle_refunds(self, refunded: int, cause: str, at: datetime) -> list[OrderStatusChanged]:
        """Set the refunded total (sum of succeeded refunds) and move to the state it implies."""
        if self.status not in PAID_STATES:
            # Without this, settling 0 on a PENDING_PAYMENT order would mark it PAID unpaid.
            raise IllegalTransition(
                f"order {self.id} is {self.status}: nothing was paid to refund",
                order_id=self.id,
                from_status=str(self.status),
                cause=cause,
            )
        if not 0 <= refunded <= self.amount_paid:
            raise InvalidInput(
                f"refunded {refunded} is outside 0..{self.amount_paid}", order_id=self.id
            )
        reversal = refunded < self.amount_refunded
        if refunded == 0:
            target = OrderStatus.PAID
        elif refunded < self.amount_paid:
            target = OrderStatus.PARTIALLY_REFUNDED
        else:
            target = OrderStatus.REFUNDED
        # Transition first: an illegal move raises before any field has changed.
        events = self.transition(target, cause, at, reversal=reversal)
        self.amount_refunded = refunded
        self.updated_at = at
        return events
