"""Random interleavings of everything that can happen to orders, with the invariants checked
after every step.

A hypothesis ``RuleBasedStateMachine`` drives the real services (wired by the real container)
on the memory adapters: checkouts by guests and users, payment events delivered late, out of
order or twice, failed payments, app refunds (some refused by the provider, some lost in an
outage and retried), refunds made in the provider's dashboard, refunds that fail after they
succeeded, disputes won and lost, a customer charged twice, cancels, expiries and guest→user
merges. After every step:

- states only move forward (the one way back is a refund that failed after it succeeded), and
  the recorded transitions are append-only;
- refunded ≤ paid, and the refunded amount is exactly the sum of the order's succeeded refunds;
  what is reserved by refunds plus what disputes took never exceeds what was paid;
- each paid order has exactly one invoice; the invoice series (invoices and the cancellations
  of credit notes) has no gaps and no duplicates;
- each succeeded refund, each lost dispute has exactly one credit note (numbered without gaps
  either), each credit note whose refund then failed exactly one cancellation;
- the books balance: for every order, its documents add up to what it still holds;
- a second capture is given back once, in full, and never counts as the order's money;
- entitlements are active exactly for paid, not fully refunded orders that lost no dispute,
  held by the order's owner (after a merge, the user).
"""

from __future__ import annotations

import contextlib
from collections import Counter

import attrs
import hypothesis.strategies as st
from dependency_injector import providers
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from billing.adapters.invoices.text import TextRenderer
from billing.adapters.memory import (
    Delivery,
    FakeEvents,
    FakePaymentProvider,
    FixedClock,
    MemoryArtifactStore,
    MemoryUnitOfWorkFactory,
    SequentialIds,
)
from billing.adapters.memory.database import Tables
from billing.domain.catalog import Product
from billing.domain.dispute_status import DisputeStatus
from billing.domain.entitlement import entitlement_keys
from billing.domain.errors import BillingError, ProviderRejected, ProviderUnavailable
from billing.domain.invoice import DocumentKind, DocumentNumber
from billing.domain.money import Money
from billing.domain.order import Customer
from billing.domain.payment import PaymentMode
from billing.domain.refund import RESERVING
from billing.domain.refund_status import RefundStatus
from billing.domain.state import (
    ENTITLED_STATES,
    FORWARD,
    PAID_STATES,
    REFUND_REVERSALS,
    OrderTransition,
)
from billing.domain.tax import TaxRate
from billing.entrypoints.container import build_container, shutdown
from billing.entrypoints.settings import Settings
from billing.services.orders import CartLine

#: Three rates, so that the books balance with VAT split per rate on every document.
PRODUCTS = (
    Product("book", "A book", Money(2500, "EUR"), "library:book", tax=TaxRate(550)),
    Product("course", "A course", Money(7500, "EUR"), "course:stripe", tax=TaxRate(2000)),
    Product("sticker", "A sticker", Money(300, "EUR")),
)
GUESTS = ("ann@example.com", "bob@example.com")
USERS = ("user-1", "user-2")
CARTS = (("book",), ("course", "sticker"), ("book", "course"), ("sticker",))

pick = st.integers(min_value=0, max_value=1_000_000)
quarters = st.integers(min_value=1, max_value=4)


class OrderLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        container = build_container(Settings.in_memory(enabled=True))
        self.clock = FixedClock()
        container.clock.override(providers.Object(self.clock))
        container.ids.override(providers.Object(SequentialIds()))
        container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
        container.renderer.override(providers.Singleton(TextRenderer))
        self.container = container
        provider = container.payment_provider()
        assert isinstance(provider, FakePaymentProvider)
        self.provider = provider
        self.events = FakeEvents(provider)
        factory = container.uow_factory()
        assert isinstance(factory, MemoryUnitOfWorkFactory)
        self.factory = factory
        with factory() as uow:
            for product in PRODUCTS:
                uow.catalog.put(product)
            uow.commit()
        self.payments: dict[str, str] = {}  # order id → provider payment id
        self.waiting: list[Delivery] = []  # sent by the provider, not delivered yet
        self.delivered: list[Delivery] = []
        self.history: dict[str, list[OrderTransition]] = {}
        self.twice: dict[str, str] = {}  # order id → its second payment

    # -- helpers -------------------------------------------------------------------------------

    def _tables(self) -> Tables:
        return self.factory.database.tables

    def _payment(self, n: int) -> tuple[str, str]:
        order_id = sorted(self.payments)[n % len(self.payments)]
        return order_id, self.payments[order_id]

    def _deliver(self, delivery: Delivery) -> None:
        self.container.webhooks().receive(delivery.payload, delivery.signature)
        self.delivered.append(delivery)

    def _send(self, delivery: Delivery, now: bool) -> None:
        if now:
            self._deliver(delivery)
        else:
            self.waiting.append(delivery)

    # -- what customers, the provider and the operators do -------------------------------------

    @rule(guest=st.booleans(), who=pick, cart=pick)
    def checkout(self, guest: bool, who: int, cart: int) -> None:
        customer = (
            Customer(email=GUESTS[who % len(GUESTS)])
            if guest
            else Customer(user_id=USERS[who % len(USERS)])
        )
        lines = [CartLine(sku) for sku in CARTS[cart % len(CARTS)]]
        order = self.container.orders().create_order(customer, lines).order
        result = self.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
        self.payments[order.id] = result.payment.id

    @initialize(cart=pick)
    def two_customers_check_out(self, cart: int) -> None:
        self.checkout(guest=True, who=0, cart=cart)
        self.checkout(guest=False, who=0, cart=cart + 1)

    def _payable(self) -> list[str]:
        return sorted(
            payment_id
            for payment_id in self.payments.values()
            if self.provider.payments[payment_id].status not in ("succeeded", "canceled")
        )

    @precondition(lambda self: self._payable())
    @rule(n=pick, now=st.booleans())
    def customer_pays(self, n: int, now: bool) -> None:
        payable = self._payable()
        self._send(self.events.payment_succeeded(payable[n % len(payable)]), now)

    @precondition(lambda self: self.payments)
    @rule(n=pick, now=st.booleans())
    def card_declined(self, n: int, now: bool) -> None:
        _, payment_id = self._payment(n)
        self._send(self.events.payment_failed(payment_id), now)

    @precondition(lambda self: self.payments)
    @rule(n=pick, now=st.booleans())
    def payment_expires(self, n: int, now: bool) -> None:
        _, payment_id = self._payment(n)
        if self.provider.payments[payment_id].status == "succeeded":
            return
        payment = self.provider.payments[payment_id]  # the session expires at the provider
        self.provider.payments[payment_id] = attrs.evolve(payment, status="canceled")
        self._send(self.events.payment_canceled(payment_id), now)

    @precondition(lambda self: self.waiting)
    @rule(n=pick)
    def a_late_event_arrives(self, n: int) -> None:
        self._deliver(self.waiting.pop(n % len(self.waiting)))

    @precondition(lambda self: self.delivered)
    @rule(n=pick)
    def an_event_is_delivered_again(self, n: int) -> None:
        self._deliver(self.delivered[n % len(self.delivered)])

    @precondition(lambda self: self.payments)
    @rule(n=pick, part=quarters, fault=st.sampled_from(["", "refused", "outage"]))
    def admin_refunds(self, n: int, part: int, fault: str) -> None:
        order_id, _ = self._payment(n)
        if fault == "refused":
            self.provider.fail_next(ProviderRejected("the card was closed"))
        elif fault == "outage":
            self.provider.fail_next(ProviderUnavailable("timeout"))
        order = self._tables().orders[order_id]
        amount = max(1, order.total.amount * part // 4)
        try:
            self.container.refunds().refund(order_id, amount if part < 4 else None)
        except BillingError:
            pass  # refused by the policy or the provider: the invariants say what must hold
        finally:
            self.provider._failures.clear()

    def _pending_refunds(self) -> list[str]:
        refunds = self._tables().refunds.values()
        return sorted(r.id for r in refunds if r.status is RefundStatus.PENDING)

    @precondition(lambda self: self._pending_refunds())
    @rule(n=pick)
    def a_pending_refund_is_sent_again(self, n: int) -> None:
        pending = self._pending_refunds()
        with contextlib.suppress(BillingError):
            self.container.refunds().retry(pending[n % len(pending)])

    @precondition(lambda self: self.payments)
    @rule(n=pick, part=quarters, now=st.booleans())
    def refund_in_the_dashboard(self, n: int, part: int, now: bool) -> None:
        _, payment_id = self._payment(n)
        payment = self.provider.payments[payment_id]
        try:
            refund = self.provider.refund_from_dashboard(
                payment_id, max(1, payment.amount.amount * part // 4)
            )
        except ProviderRejected:
            return  # not paid at the provider, or nothing left to refund
        self._send(self.events.refund_updated(refund.id), now)

    @precondition(lambda self: self.provider.refunds)
    @rule(n=pick, now=st.booleans())
    def a_refund_fails_after_it_succeeded(self, n: int, now: bool) -> None:
        succeeded = sorted(
            r.id for r in self.provider.refunds.values() if r.status is RefundStatus.SUCCEEDED
        )
        if not succeeded:
            return
        refund = self.provider.report_refund(succeeded[n % len(succeeded)], RefundStatus.FAILED)
        self._send(self.events.refund_updated(refund.id), now)

    def _paid_at_provider(self) -> list[str]:
        return sorted(
            payment_id
            for payment_id in self.payments.values()
            if self.provider.payments[payment_id].status == "succeeded"
        )

    @precondition(lambda self: self._paid_at_provider())
    @rule(n=pick, status=st.sampled_from(sorted(DisputeStatus)), now=st.booleans())
    def cardholder_disputes(self, n: int, status: DisputeStatus, now: bool) -> None:
        """A dispute of the whole payment (one per payment, at whatever step it has reached)."""
        paid = self._paid_at_provider()
        payment_id = paid[n % len(paid)]
        taken = sum(
            r.amount.amount
            for r in self.provider.refunds.values()
            if r.payment_id == payment_id and r.status in RESERVING
        )
        if taken:  # Stripe disputes what is still held; keep the rule simple: untouched ones
            return
        delivery = self.events.dispute(payment_id, status, dispute_id=f"dp_{payment_id}")
        self._send(delivery, now)

    @precondition(lambda self: self._paid_at_provider())
    @rule(n=pick, now=st.booleans())
    def customer_pays_twice(self, n: int, now: bool) -> None:
        """A second PaymentIntent of an order, made and paid (once per order here)."""
        paid = self._paid_at_provider()
        payment_id = paid[n % len(paid)]
        order_id = self.provider.orders_by_payment[payment_id]
        if order_id in self.twice:
            return
        order = self._tables().orders[order_id]
        second = self.provider.create_payment_intent(order, f"pi:twice:{order_id}")
        self.twice[order_id] = second.id
        self._send(self.events.payment_succeeded(second.id), now)

    @precondition(lambda self: self.payments)
    @rule(n=pick)
    def customer_cancels(self, n: int) -> None:
        order_id, _ = self._payment(n)
        with contextlib.suppress(BillingError):  # paid already: not cancelable
            self.container.orders().cancel(order_id)

    @rule(who=pick, user=pick)
    def guest_signs_up(self, who: int, user: int) -> None:
        email, user_id = GUESTS[who % len(GUESTS)], USERS[user % len(USERS)]
        self.container.entitlements().merge_guest(email, user_id)

    @rule()
    def time_passes(self) -> None:
        self.clock.advance(minutes=7)

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def states_only_move_forward(self) -> None:
        for order in self._tables().orders.values():
            seen = self.history.get(order.id, [])
            assert order.transitions[: len(seen)] == seen, "transitions are append-only"
            for step in order.transitions[len(seen) :]:
                forward = step.to_status in FORWARD[step.from_status]
                reversal = step.to_status in REFUND_REVERSALS.get(step.from_status, frozenset())
                assert forward or reversal, step
            if order.transitions:
                assert order.status is order.transitions[-1].to_status
            if any(t.to_status in PAID_STATES for t in order.transitions):
                assert order.status in PAID_STATES, "a paid order never goes back to unpaid"
            self.history[order.id] = list(order.transitions)

    @invariant()
    def refunded_never_exceeds_paid(self) -> None:
        tables = self._tables()
        for order in tables.orders.values():
            refunds = [
                r for r in tables.refunds.values() if r.order_id == order.id and r.of_the_order
            ]
            succeeded = sum(r.amount for r in refunds if r.status is RefundStatus.SUCCEEDED)
            held = sum(
                r.amount
                for r in refunds
                if r.status in (RefundStatus.PENDING, RefundStatus.SUCCEEDED)
            )
            assert 0 <= order.amount_refunded <= order.amount_paid
            assert order.amount_refunded == succeeded
            assert held + order.amount_disputed_lost <= order.amount_paid
            assert order.amount_paid == (order.total.amount if order.status in PAID_STATES else 0)

    @invariant()
    def one_invoice_per_paid_order_and_no_gaps(self) -> None:
        tables = self._tables()
        invoices = [d for d in tables.invoices.values() if d.kind is DocumentKind.INVOICE]
        per_order = Counter(d.order_id for d in invoices)
        paid = {o.id for o in tables.orders.values() if o.status in PAID_STATES}
        assert set(per_order) == paid
        assert all(count == 1 for count in per_order.values())
        series = [d for d in tables.invoices.values() if d.number.startswith("INV-")]
        numbers = sorted(DocumentNumber.parse(d.number).sequence for d in series)
        assert numbers == list(range(1, len(series) + 1))

    @invariant()
    def a_credit_note_per_succeeded_refund(self) -> None:
        tables = self._tables()
        notes = [d for d in tables.invoices.values() if d.kind is DocumentKind.CREDIT_NOTE]
        per_refund = Counter(d.refund_id for d in notes if d.dispute_id is None)
        per_dispute = Counter(d.dispute_id for d in notes if d.dispute_id is not None)
        assert all(count == 1 for count in [*per_refund.values(), *per_dispute.values()])
        for refund in tables.refunds.values():
            if refund.status is RefundStatus.SUCCEEDED and refund.of_the_order:
                assert per_refund[refund.id] == 1, refund
            if not refund.of_the_order:
                assert per_refund[refund.id] == 0, "nothing was invoiced for a second capture"
        assert set(per_refund) <= set(tables.refunds)
        lost = {d.id for d in tables.disputes.values() if d.lost}
        assert set(per_dispute) == lost
        numbers = sorted(DocumentNumber.parse(d.number).sequence for d in notes)
        assert numbers == list(range(1, len(notes) + 1))
        canceled = Counter(
            d.refund_id
            for d in tables.invoices.values()
            if d.kind is DocumentKind.CREDIT_NOTE_CANCELLATION
        )
        assert all(count == 1 for count in canceled.values())
        for refund_id in canceled:
            assert per_refund[refund_id] == 1
            assert tables.refunds[refund_id].status in (RefundStatus.FAILED, RefundStatus.CANCELED)

    @invariant()
    def the_books_balance(self) -> None:
        tables = self._tables()
        invoices = self.container.invoices()
        for order in tables.orders.values():
            documents = [d for d in tables.invoices.values() if d.order_id == order.id]
            contents = [invoices.document(d.id) for d in documents]
            booked = sum(content.booked for content in contents)
            held = order.amount_paid - order.amount_refunded - order.amount_disputed_lost
            assert booked == held, (order.id, booked, held)
            for content in contents:  # and each document's VAT adds up to its total
                assert sum(t.gross for t in content.taxes) == content.total, content.number
                assert all(t.net + t.tax == t.gross for t in content.taxes), content.number

    @invariant()
    def a_second_capture_is_given_back_once(self) -> None:
        tables = self._tables()
        extra = {r.id: r for r in tables.refunds.values() if not r.of_the_order}
        for capture in tables.duplicate_captures.values():
            order = tables.orders[capture.order_id]
            assert capture.payment_id != order.provider_payment_id
            assert capture.refund_id is not None
            refund = extra[capture.refund_id]
            assert (refund.extra_payment_id, refund.amount) == (capture.payment_id, capture.amount)
            at_provider = [
                r for r in self.provider.refunds.values() if r.payment_id == capture.payment_id
            ]
            given_back = sum(r.amount.amount for r in at_provider if r.status in RESERVING)
            assert given_back <= capture.amount, "a second capture is never given back twice"
            ours = [r for r in at_provider if r.reference == refund.id]
            by_hand = [r for r in at_provider if r.reference is None]  # the dashboard's
            assert len(ours) <= 1
            # Succeeded in full; or failed (logged for a person to handle): at the provider
            # later, or refused because someone refunded that payment in the dashboard first.
            assert refund.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED)
            if refund.status is RefundStatus.SUCCEEDED:  # (its failure may be on its way)
                assert [r.amount.amount for r in ours] == [capture.amount]
            elif ours:
                assert ours[0].status is RefundStatus.FAILED
            else:
                assert by_hand, "refused by the provider only when refunded there already"
        assert len(extra) == len(tables.duplicate_captures)

    @invariant()
    def entitlements_for_paid_orders_of_their_owner(self) -> None:
        tables = self._tables()
        for order in tables.orders.values():
            held = [e for e in tables.entitlements.values() if e.order_id == order.id]
            active = {e.key for e in held if e.active}
            entitled = order.status in ENTITLED_STATES and not order.lost_a_dispute
            expected = set(entitlement_keys(order)) if entitled else set()
            assert active == expected, (order.status, active, expected)
            assert all(e.customer == order.customer for e in held)

    def teardown(self) -> None:
        tables = self._tables()
        statuses = Counter(str(order.status) for order in tables.orders.values())
        for status in statuses:
            event(f"ended with a {status} order")
        if tables.duplicate_captures:
            event("a second capture was given back")
        if any(d.lost for d in tables.disputes.values()):
            event("a dispute was lost")
        if any(d.kind is DocumentKind.CREDIT_NOTE_CANCELLATION for d in tables.invoices.values()):
            event("a credit note was canceled")
        shutdown(self.container)  # its relay thread must not wake up in a later example


OrderLife.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_order_life = OrderLife.TestCase


def test_money_lost_to_a_dispute_is_not_refunded_in_the_dashboard_too() -> None:
    """Found by a 600-example run: the fake refunded a payment whose dispute was lost, and the
    order then held more than it was paid. Money lost to a dispute has left the provider too:
    the fake refuses to refund it again, and the books stay within what was paid."""
    life = OrderLife()
    try:
        life.two_customers_check_out(cart=0)
        life.customer_pays(n=0, now=True)
        life.cardholder_disputes(n=0, now=True, status=DisputeStatus.LOST)
        life.refund_in_the_dashboard(n=0, now=True, part=1)
        life.refunded_never_exceeds_paid()
        life.the_books_balance()
    finally:
        shutdown(life.container)
