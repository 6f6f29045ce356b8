"""The UnitOfWork contract: one suite over the memory, SQLite and PostgreSQL adapters.

Whatever adapter runs, entities come back equal to what was stored, nothing is kept without
``commit()``, an order is written only under its lock (or by the transaction that added it),
webhook events are journaled once and claimed by one delivery, and invoice
sequences have no gaps. The fake can never drift from the real thing unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from sqlalchemy import Engine

from billing.adapters.memory import MemoryUnitOfWorkFactory
from billing.adapters.sql import SqlUnitOfWorkFactory
from billing.domain.buyer import BillingDetails, PayerDetails
from billing.domain.catalog import Product
from billing.domain.customer import CustomerProfile
from billing.domain.dispute import Dispute
from billing.domain.dispute_status import DisputeStatus
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement
from billing.domain.errors import (
    DuplicateRecord,
    InvalidInput,
    InvoiceNotFound,
    OrderNotFound,
    RefundNotFound,
    UnknownProduct,
    WebhookEventNotFound,
)
from billing.domain.invoice import DocumentKind, InvoiceArtifact, TaxCategory
from billing.domain.money import Money
from billing.domain.order import Customer, Order, OrderItem
from billing.domain.outbox import OutboxJob
from billing.domain.payment import PaymentAttempt, PaymentMode
from billing.domain.refund import Refund, RefundOrigin
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.domain.tax import TaxRate
from billing.domain.webhook import WebhookEvent, WebhookStats, WebhookStatus
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory, UnlockedOrderWrite

from .sql_backends import empty_tables, migrated_sqlite_template, postgres_schema, sqlite_copy

NOW = datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
BACKENDS = ["memory", "sqlite", "postgres"]


# -- backends ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url) as engine:
        yield engine


@pytest.fixture(params=BACKENDS)
def uow_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    if request.param == "memory":
        yield MemoryUnitOfWorkFactory()
    elif request.param == "sqlite":
        factory = SqlUnitOfWorkFactory.from_url(
            sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
        )
        yield factory
        factory.engine.dispose()
    else:
        engine: Engine = request.getfixturevalue("postgres_engine")
        empty_tables(engine)
        yield SqlUnitOfWorkFactory(engine)


# -- builders ---------------------------------------------------------------------------------


def an_order(
    order_id: str = "ord_1",
    *,
    customer: Customer | None = None,
    payment_id: str | None = None,
    at: datetime = NOW,
) -> Order:
    order = Order.create(
        id=order_id,
        customer=customer or Customer(email="Guest@Example.com"),
        items=[
            OrderItem("ebook", "E-book", 1, 2900, "ebook:python"),
            OrderItem("stickers", "Stickers", 3, 500, None),
        ],
        currency="EUR",
        idempotency_key=f"key-{order_id}",
        at=at,
        access_token_sha256="ab" * 32,
    )
    if payment_id is not None:
        order.start_payment(payment_id, f"checkout:{order_id}", at)
    return order


def stored(factory: UnitOfWorkFactory, *entities: object) -> None:
    """Store entities (orders first) and commit."""
    with factory() as uow:
        for entity in entities:
            repository = {
                Order: uow.orders,
                PaymentAttempt: uow.payment_attempts,
                Refund: uow.refunds,
                Entitlement: uow.entitlements,
                CustomerProfile: uow.customers,
                InvoiceArtifact: uow.invoices,
            }[type(entity)]
            repository.add(entity)  # type: ignore[attr-defined]
        uow.commit()


def a_refund(refund_id: str = "ref_1", order_id: str = "ord_1", **changes: object) -> Refund:
    fields: dict[str, object] = {
        "id": refund_id,
        "order_id": order_id,
        "amount": 1000,
        "currency": "EUR",
        "status": RefundStatus.PENDING,
        "origin": RefundOrigin.APP,
        "created_at": NOW,
        "updated_at": NOW,
        "reason": "requested_by_customer",
    }
    fields.update(changes)
    return Refund(**fields)  # type: ignore[arg-type]


def an_event(event_id: str = "evt_1", **changes: object) -> WebhookEvent:
    fields: dict[str, object] = {
        "id": event_id,
        "type": "payment_intent.succeeded",
        "payload": '{"id": "' + event_id + '",  "object": "event", "data": {"amount": 4400}}\n',
        "received_at": NOW,
    }
    fields.update(changes)
    return WebhookEvent(**fields)  # type: ignore[arg-type]


def an_invoice(artifact_id: str, number: str, **changes: object) -> InvoiceArtifact:
    fields: dict[str, object] = {
        "id": artifact_id,
        "number": number,
        "kind": DocumentKind.INVOICE,
        "order_id": "ord_1",
        "created_at": NOW,
    }
    fields.update(changes)
    return InvoiceArtifact(**fields)  # type: ignore[arg-type]


# -- orders -----------------------------------------------------------------------------------


def test_an_order_comes_back_equal_with_items_and_transitions(
    uow_factory: UnitOfWorkFactory,
) -> None:
    order = an_order(payment_id="pi_1")
    order.mark_paid(order.total, "pi_1", "event:evt_1", NOW + timedelta(seconds=5))
    stored(uow_factory, order)

    with uow_factory() as uow:
        loaded = uow.orders.get("ord_1")

    assert loaded == order
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert [t.to_status for t in loaded.transitions] == [
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
    ]


def test_an_order_of_more_items_than_one_insert_takes_comes_back_in_order(
    uow_factory: UnitOfWorkFactory,
) -> None:
    items = [OrderItem(f"sku-{n}", f"Item {n}", 1, 100 + n, None) for n in range(37)]
    order = attrs.evolve(an_order(), items=items)  # 16 + 16 + 5 rows in the SQL adapter
    stored(uow_factory, order)

    with uow_factory() as uow:
        loaded = uow.orders.get("ord_1")

    assert list(loaded.items) == items


def test_save_stores_changes_and_appended_transitions(uow_factory: UnitOfWorkFactory) -> None:
    stored(uow_factory, an_order())
    later = NOW + timedelta(minutes=1)

    with uow_factory() as uow:
        order = uow.lock_order("ord_1")
        order.start_payment("pi_1", "checkout:1", later)
        uow.orders.save(order)
        uow.commit()
    with uow_factory() as uow:
        order = uow.lock_order("ord_1")
        order.mark_paid(Money(4400, "EUR"), "pi_1", "event:evt_1", later)
        order.disputed, order.amount_disputed_lost = True, 1200
        uow.orders.save(order)
        uow.commit()

    with uow_factory() as uow:
        loaded = uow.orders.get("ord_1")
    assert loaded == order
    assert loaded.status is OrderStatus.PAID
    assert loaded.amount_paid == 4400
    assert len(loaded.transitions) == 2


def test_an_entity_read_is_a_copy_until_saved(uow_factory: UnitOfWorkFactory) -> None:
    stored(uow_factory, an_order())

    with uow_factory() as uow:
        order = uow.orders.get("ord_1")
        order.cancel("user", NOW)
        uow.commit()  # never saved
    with uow_factory() as uow:
        assert uow.orders.get("ord_1").status is OrderStatus.DRAFT


def test_orders_are_found_by_payment_guest_and_user(uow_factory: UnitOfWorkFactory) -> None:
    guest = an_order("ord_g", customer=Customer(email="guest@example.com"), payment_id="pi_g")
    user = an_order("ord_u", customer=Customer(user_id="u1", email="guest@example.com"))
    stored(uow_factory, guest, user)

    with uow_factory() as uow:
        by_payment = uow.orders.find_by_payment("pi_g")
        assert uow.orders.find_by_payment("pi_missing") is None
        guests = uow.orders.list_for_guest("guest@example.com")
        users = uow.orders.list_for_user("u1")

    assert by_payment == guest
    assert [o.id for o in guests] == ["ord_g"]
    assert [o.id for o in users] == ["ord_u"]


def test_unknown_orders_are_order_not_found(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        with pytest.raises(OrderNotFound):
            uow.orders.get("nope")
        with pytest.raises(OrderNotFound):
            uow.lock_order("nope")


def test_lock_order_returns_the_stored_order(uow_factory: UnitOfWorkFactory) -> None:
    order = an_order()
    stored(uow_factory, order)
    with uow_factory() as uow:
        assert uow.lock_order("ord_1") == order


# -- transactions -----------------------------------------------------------------------------


def test_nothing_is_kept_without_commit(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(an_order())
        uow.invoices.allocate_sequence("INV", 2026)
        uow.webhook_events.add_if_absent(an_event())

    with uow_factory() as uow:
        with pytest.raises(OrderNotFound):
            uow.orders.get("ord_1")
        assert uow.webhook_events.find("evt_1") is None
        assert uow.invoices.allocate_sequence("INV", 2026) == 1


def test_an_error_in_the_block_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    def fail_half_way() -> None:
        with uow_factory() as uow:
            uow.orders.add(an_order())
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        fail_half_way()

    with uow_factory() as uow, pytest.raises(OrderNotFound):
        uow.orders.get("ord_1")


def test_rollback_forgets_uncommitted_changes(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(an_order("ord_kept"))
        uow.commit()
        uow.orders.add(an_order("ord_dropped"))
        uow.rollback()
        uow.commit()

    with uow_factory() as uow:
        assert uow.orders.get("ord_kept").id == "ord_kept"
        with pytest.raises(OrderNotFound):
            uow.orders.get("ord_dropped")


# -- payments, refunds, customers, entitlements -----------------------------------------------


def test_payment_attempts_round_trip(uow_factory: UnitOfWorkFactory) -> None:
    first = PaymentAttempt("att_1", "ord_1", PaymentMode.PAYMENT_INTENT, "pi:key", NOW)
    second = PaymentAttempt(
        "att_2", "ord_1", PaymentMode.CHECKOUT_SESSION, "cs:key", NOW + timedelta(seconds=1)
    )
    stored(uow_factory, an_order(), second, first)

    with uow_factory() as uow:
        attempt = uow.payment_attempts.find_by_key("pi:key")
        assert attempt == first
        assert uow.payment_attempts.find_by_key("pi:other") is None
        assert attempt is not None
        attempt.provider_payment_id, attempt.status = "pi_1", "failed"
        attempt.error_code = "card_declined"
        uow.payment_attempts.save(attempt)
        uow.commit()

    with uow_factory() as uow:
        assert uow.payment_attempts.list_for_order("ord_1") == [attempt, second]


def test_refunds_round_trip(uow_factory: UnitOfWorkFactory) -> None:
    refund = a_refund()
    stored(uow_factory, an_order(), refund)

    with uow_factory() as uow:
        assert uow.refunds.get("ref_1") == refund
        loaded = uow.refunds.get("ref_1")
        loaded.provider_refund_id = "re_1"
        loaded.report(RefundStatus.FAILED, NOW + timedelta(1), failure_reason="expired_card")
        uow.refunds.save(loaded)
        uow.commit()

    with uow_factory() as uow:
        assert uow.refunds.find_by_provider_id("re_1") == loaded
        assert uow.refunds.find_by_provider_id("re_other") is None
        assert uow.refunds.find("ref_missing") is None
        assert uow.refunds.list_for_order("ord_1") == [loaded]
        with pytest.raises(RefundNotFound):
            uow.refunds.get("ref_missing")


def test_customers_round_trip(uow_factory: UnitOfWorkFactory) -> None:
    profile = CustomerProfile("cus_1", NOW, user_id="u1", email="a@example.com")
    stored(uow_factory, profile)

    with uow_factory() as uow:
        loaded = uow.customers.find_by_user("u1")
        assert loaded == profile
        assert uow.customers.find_by_user("u2") is None
        assert loaded is not None
        loaded.provider_customer_id = "cus_stripe"
        uow.customers.save(loaded)
        uow.commit()

    with uow_factory() as uow:
        assert uow.customers.find_by_user("u1") == loaded


def test_entitlements_round_trip_and_follow_a_merge(uow_factory: UnitOfWorkFactory) -> None:
    guest = Customer(email="guest@example.com")
    ebook = Entitlement("ent_1", "ebook:python", "ord_1", guest, NOW)
    course = Entitlement("ent_2", "course:x", "ord_1", guest, NOW + timedelta(seconds=1))
    stored(uow_factory, an_order(customer=guest), ebook, course)

    with uow_factory() as uow:
        assert sorted(uow.entitlements.list_for_order("ord_1"), key=lambda e: e.id) == [
            ebook,
            course,
        ]
        assert uow.entitlements.list_for_guest("guest@example.com") == [ebook, course]
        for entitlement in uow.entitlements.list_for_guest("guest@example.com"):
            entitlement.customer = Customer(user_id="u1", email="guest@example.com")
            if entitlement.key == "course:x":
                entitlement.revoked_at = NOW + timedelta(days=1)
            uow.entitlements.save(entitlement)
        uow.commit()

    with uow_factory() as uow:
        assert uow.entitlements.list_for_guest("guest@example.com") == []
        merged = uow.entitlements.list_for_user("u1")
    assert [(e.id, e.active) for e in merged] == [("ent_1", True), ("ent_2", False)]


def test_entitlements_added_together_go_in_all_or_none(uow_factory: UnitOfWorkFactory) -> None:
    guest = Customer(email="guest@example.com")
    ebook = Entitlement("ent_1", "ebook:python", "ord_1", guest, NOW)
    course = Entitlement("ent_2", "course:x", "ord_1", guest, NOW)
    stored(uow_factory, an_order(customer=guest), ebook)

    with uow_factory() as uow:
        with pytest.raises(DuplicateRecord):
            uow.entitlements.add_all([course, ebook])  # ent_1 is stored already
        with pytest.raises(DuplicateRecord):
            uow.entitlements.add_all([course, attrs.evolve(course, key="video:y")])  # ent_2 twice
        assert uow.entitlements.list_for_order("ord_1") == [ebook]  # course did not stay in
        video = Entitlement("ent_3", "video:y", "ord_1", guest, NOW)
        uow.entitlements.add_all([course, video])  # the unit of work is still usable
        uow.commit()

    with uow_factory() as uow:
        stored_ids = sorted(e.id for e in uow.entitlements.list_for_order("ord_1"))
    assert stored_ids == ["ent_1", "ent_2", "ent_3"]


# -- disputes and duplicate captures ----------------------------------------------------------


def a_dispute(dispute_id: str, status: DisputeStatus, **changes: object) -> Dispute:
    fields: dict[str, object] = {
        "id": dispute_id,
        "order_id": "ord_1",
        "amount": 4400,
        "currency": "EUR",
        "status": status,
        "opened_at": NOW,
        "updated_at": NOW,
        "reason": "fraudulent",
    }
    fields.update(changes)
    return Dispute(**fields)  # type: ignore[arg-type]


def test_disputes_round_trip_and_list_the_soonest_due_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    later, soon = NOW + timedelta(days=9), NOW + timedelta(days=2)
    due_later = a_dispute("dp_later", DisputeStatus.NEEDS_RESPONSE, evidence_due_by=later)
    due_soon = a_dispute("dp_soon", DisputeStatus.UNDER_REVIEW, evidence_due_by=soon)
    no_date = a_dispute("dp_inquiry", DisputeStatus.WARNING_NEEDS_RESPONSE)
    lost = a_dispute("dp_lost", DisputeStatus.LOST, closed_at=NOW, opened_at=NOW - timedelta(1))
    stored(uow_factory, an_order())
    with uow_factory() as uow:
        for dispute in (due_later, lost, no_date, due_soon):
            uow.disputes.add(dispute)
        uow.commit()

    with uow_factory() as uow:
        assert uow.disputes.find("dp_soon") == due_soon
        assert uow.disputes.find("dp_missing") is None
        assert [d.id for d in uow.disputes.list(open_only=True)] == [
            "dp_soon",
            "dp_later",
            "dp_inquiry",
        ]
        assert [d.id for d in uow.disputes.list(limit=2)] == ["dp_soon", "dp_later"]
        assert [d.id for d in uow.disputes.list_for_order("ord_1")] == [
            "dp_lost",
            "dp_inquiry",
            "dp_later",
            "dp_soon",
        ]
        assert uow.disputes.count_open() == 3
        closing = uow.disputes.find("dp_soon")
        assert closing is not None
        closing.status, closing.closed_at = DisputeStatus.WON, NOW + timedelta(days=1)
        uow.disputes.save(closing)
        uow.commit()

    with uow_factory() as uow:
        assert uow.disputes.find("dp_soon") == closing
        assert uow.disputes.count_open() == 2


def test_a_dispute_and_a_duplicate_capture_are_recorded_once(
    uow_factory: UnitOfWorkFactory,
) -> None:
    capture = DuplicateCapture("pi_2", "ord_1", 4400, "EUR", NOW, "event:evt_2", "ref_1")
    stored(uow_factory, an_order(), a_refund(extra_payment_id="pi_2"))
    with uow_factory() as uow:
        uow.disputes.add(a_dispute("dp_1", DisputeStatus.NEEDS_RESPONSE))
        uow.duplicate_captures.add(capture)
        uow.commit()

    with uow_factory() as uow:
        with pytest.raises(InvalidInput):
            uow.duplicate_captures.add(attrs.evolve(capture, cause="event:evt_3"))
        with pytest.raises(InvalidInput):
            uow.disputes.add(a_dispute("dp_1", DisputeStatus.LOST))
        with pytest.raises(InvalidInput):  # one refund per extra payment
            uow.refunds.add(a_refund("ref_2", extra_payment_id="pi_2"))
        assert uow.duplicate_captures.find("pi_2") == capture
        assert uow.duplicate_captures.find("pi_1") is None
        assert uow.duplicate_captures.list_for_order("ord_1") == [capture]
        assert uow.refunds.get("ref_1").extra_payment_id == "pi_2"


# -- invoices ---------------------------------------------------------------------------------


def test_sequences_count_per_series_and_year(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        allocated = [uow.invoices.allocate_sequence("INV", 2026) for _ in range(3)]
        other_year = uow.invoices.allocate_sequence("INV", 2027)
        credit = uow.invoices.allocate_sequence("CN", 2026)
        uow.commit()

    assert allocated == [1, 2, 3]
    assert (other_year, credit) == (1, 1)


def test_a_rolled_back_allocation_leaves_no_gap(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        assert uow.invoices.allocate_sequence("INV", 2026) == 1
        uow.commit()
    with uow_factory() as uow:
        assert uow.invoices.allocate_sequence("INV", 2026) == 2  # never committed
    with uow_factory() as uow:
        assert uow.invoices.allocate_sequence("INV", 2026) == 2
        uow.commit()
    with uow_factory() as uow:
        assert uow.invoices.allocate_sequence("INV", 2026) == 3


def test_invoice_artifacts_round_trip(uow_factory: UnitOfWorkFactory) -> None:
    invoice = an_invoice("doc_1", "INV-2026-000001")
    credit = an_invoice("doc_2", "CN-2026-000001", kind=DocumentKind.CREDIT_NOTE, refund_id="ref_1")
    stored(uow_factory, an_order(), a_refund(), credit, invoice)

    with uow_factory() as uow:
        assert uow.invoices.get("doc_1") == invoice
        assert uow.invoices.find("ord_1", DocumentKind.INVOICE) == invoice
        assert uow.invoices.find("ord_1", DocumentKind.CREDIT_NOTE, "ref_1") == credit
        assert uow.invoices.find("ord_1", DocumentKind.CREDIT_NOTE) is None
        assert uow.invoices.find("ord_1", DocumentKind.CREDIT_NOTE, "ref_1", "dp_1") is None
        assert uow.invoices.find("ord_2", DocumentKind.INVOICE) is None
        with pytest.raises(InvoiceNotFound):
            uow.invoices.get("doc_missing")
        rendered = uow.invoices.get("doc_1")
        rendered.template_version, rendered.rendered_at = "v1", NOW + timedelta(minutes=1)
        rendered.html_key, rendered.html_sha256 = "billing/invoices/x.html", "1" * 64
        rendered.pdf_key, rendered.pdf_sha256 = "billing/invoices/x.pdf", "2" * 64
        uow.invoices.save(rendered)
        uow.commit()

    with uow_factory() as uow:
        assert uow.invoices.list_for_order("ord_1") == [credit, rendered]
        assert uow.invoices.list_all() == [credit, rendered]


def test_documents_are_found_by_their_refund_or_their_dispute(
    uow_factory: UnitOfWorkFactory,
) -> None:
    refund_note = an_invoice(
        "doc_1", "CN-2026-000001", kind=DocumentKind.CREDIT_NOTE, refund_id="ref_1"
    )
    dispute_note = an_invoice(
        "doc_2", "CN-2026-000002", kind=DocumentKind.CREDIT_NOTE, dispute_id="dp_1"
    )
    cancellation = an_invoice(
        "doc_3", "INV-2026-000002", kind=DocumentKind.CREDIT_NOTE_CANCELLATION, refund_id="ref_1"
    )
    stored(uow_factory, an_order(), a_refund())
    with uow_factory() as uow:
        uow.disputes.add(a_dispute("dp_1", DisputeStatus.LOST))
        for artifact in (refund_note, dispute_note, cancellation):
            uow.invoices.add(artifact)
        uow.commit()

    with uow_factory() as uow:
        find = uow.invoices.find
        assert find("ord_1", DocumentKind.CREDIT_NOTE, "ref_1") == refund_note
        assert find("ord_1", DocumentKind.CREDIT_NOTE, dispute_id="dp_1") == dispute_note
        assert find("ord_1", DocumentKind.CREDIT_NOTE_CANCELLATION, "ref_1") == cancellation
        assert find("ord_1", DocumentKind.CREDIT_NOTE) is None
        assert find("ord_1", DocumentKind.CREDIT_NOTE, dispute_id="dp_2") is None


def test_an_invoice_number_is_used_once(uow_factory: UnitOfWorkFactory) -> None:
    stored(uow_factory, an_order(), an_invoice("doc_1", "INV-2026-000001"))

    with uow_factory() as uow:
        with pytest.raises(InvalidInput):
            uow.invoices.add(an_invoice("doc_2", "INV-2026-000001"))
        uow.invoices.add(an_invoice("doc_3", "INV-2026-000002"))  # the transaction goes on
        uow.commit()

    with uow_factory() as uow:
        assert [a.id for a in uow.invoices.list_all()] == ["doc_1", "doc_3"]


# -- webhook events ---------------------------------------------------------------------------


def test_an_event_is_journaled_once_with_its_raw_payload(uow_factory: UnitOfWorkFactory) -> None:
    event = an_event(livemode=True, api_version="2025-06-30")
    with uow_factory() as uow:
        assert uow.webhook_events.add_if_absent(event) is True
        uow.commit()
    with uow_factory() as uow:
        assert uow.webhook_events.add_if_absent(an_event(type="changed")) is False
        uow.commit()

    with uow_factory() as uow:
        assert uow.webhook_events.get("evt_1") == event
        assert uow.webhook_events.get("evt_1").payload == event.payload  # byte for byte
        with pytest.raises(WebhookEventNotFound):
            uow.webhook_events.get("evt_missing")


@pytest.mark.parametrize(
    "payload",
    ["not json at all \u00e9", '{"note": "escaped NUL \\u0000 inside"}', "[1, 2.50, null]"],
)
def test_any_payload_text_is_kept_verbatim(uow_factory: UnitOfWorkFactory, payload: str) -> None:
    with uow_factory() as uow:
        uow.webhook_events.add_if_absent(an_event(payload=payload))
        uow.commit()
    with uow_factory() as uow:
        assert uow.webhook_events.get("evt_1").payload == payload


def test_a_claim_is_won_once_until_the_event_fails(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        uow.webhook_events.add_if_absent(an_event())
        claimed = uow.webhook_events.claim("evt_1")
        assert uow.webhook_events.claim("evt_1") is None  # held by this delivery
        uow.commit()

    assert claimed is not None
    assert (claimed.status, claimed.attempts) == (WebhookStatus.PROCESSING, 1)
    with uow_factory() as uow:
        assert uow.webhook_events.claim("evt_1") is None
        held = uow.webhook_events.get("evt_1")
        held.settle(WebhookStatus.FAILED, NOW, error="boom")
        uow.webhook_events.save(held)
        uow.commit()
    with uow_factory() as uow:
        again = uow.webhook_events.claim("evt_1")
        assert again is not None
        assert (again.status, again.attempts, again.last_error) == (
            WebhookStatus.PROCESSING,
            2,
            "boom",
        )
        again.settle(WebhookStatus.PROCESSED, NOW + timedelta(seconds=1))
        again.order_id = "ord_1"
        uow.webhook_events.save(again)
        uow.commit()

    with uow_factory() as uow:
        assert uow.webhook_events.claim("evt_1") is None
        assert uow.webhook_events.claim("evt_unknown") is None
        settled = uow.webhook_events.get("evt_1")
    assert settled == again
    assert settled.processed_at == NOW + timedelta(seconds=1)


def test_journal_and_claim_inserts_a_new_event_claimed_and_claims_a_known_one(
    uow_factory: UnitOfWorkFactory,
) -> None:
    event = an_event(livemode=True, api_version="2025-06-30")
    with uow_factory() as uow:
        claimed = uow.webhook_events.journal_and_claim(event)
        assert uow.webhook_events.journal_and_claim(event) is None  # held by this delivery
        uow.commit()
    assert claimed is not None
    assert (claimed.status, claimed.attempts) == (WebhookStatus.PROCESSING, 1)
    with uow_factory() as uow:
        stored = uow.webhook_events.get("evt_1")
        assert stored == claimed
        assert stored.payload == event.payload
        stored.settle(WebhookStatus.FAILED, NOW, error="boom")
        uow.webhook_events.save(stored)
        uow.commit()

    with uow_factory() as uow:  # a known, failed event: claimed again, payload unchanged
        again = uow.webhook_events.journal_and_claim(an_event(type="changed", payload="{}"))
        assert again is not None
        assert (again.status, again.attempts, again.type) == (
            WebhookStatus.PROCESSING,
            2,
            "payment_intent.succeeded",
        )
        assert again.payload == event.payload
        again.settle(WebhookStatus.PROCESSED, NOW)
        uow.webhook_events.save(again)
        uow.commit()
    with uow_factory() as uow:
        assert uow.webhook_events.journal_and_claim(event) is None  # settled is final
        assert uow.webhook_events.get("evt_1").attempts == 2


def test_the_journaled_status_is_the_committed_one(uow_factory: UnitOfWorkFactory) -> None:
    assert uow_factory.journaled_status("evt_1") is None
    with uow_factory() as uow:
        uow.webhook_events.add_if_absent(an_event())
        uow.commit()
    assert uow_factory.journaled_status("evt_1") is WebhookStatus.RECEIVED

    with uow_factory() as uow:
        held = uow.webhook_events.claim("evt_1")
        assert held is not None
        held.settle(WebhookStatus.PROCESSED, NOW)
        uow.webhook_events.save(held)
    assert uow_factory.journaled_status("evt_1") is WebhookStatus.RECEIVED  # rolled back

    with uow_factory() as uow:
        held = uow.webhook_events.claim("evt_1")
        assert held is not None
        held.settle(WebhookStatus.PROCESSED, NOW)
        uow.webhook_events.save(held)
        uow.commit()
    assert uow_factory.journaled_status("evt_1") is WebhookStatus.PROCESSED
    assert uow_factory.journaled_status("evt_other") is None


def test_the_journaled_event_is_the_committed_row(uow_factory: UnitOfWorkFactory) -> None:
    assert uow_factory.journaled_event("evt_1") is None
    event = an_event(order_id="ord_1", livemode=True, api_version="2025-01-27.acacia")
    with uow_factory() as uow:
        uow.webhook_events.add_if_absent(event)
        uow.commit()
    assert uow_factory.journaled_event("evt_1") == event

    with uow_factory() as uow:
        held = uow.webhook_events.claim("evt_1")
        assert held is not None
        held.settle(WebhookStatus.FAILED, NOW, error="boom")
        uow.webhook_events.save(held)
        assert uow_factory.journaled_event("evt_1") == event  # not committed yet
        uow.commit()
    journaled = uow_factory.journaled_event("evt_1")
    assert journaled == attrs.evolve(
        event, status=WebhookStatus.FAILED, attempts=1, last_error="boom"
    )
    assert journaled is not uow_factory.journaled_event("evt_1")  # a copy each time


def a_job(job_id: str = "job_1") -> OutboxJob:
    return OutboxJob.new(job_id, "render_document", {"artifact_id": "doc_1"}, NOW, timedelta(0))


def test_a_job_is_replaced_only_while_nothing_else_moved_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    with uow_factory() as uow:
        uow.outbox.add(a_job())
        uow.commit()
    with uow_factory() as uow:
        seen = uow.outbox.get("job_1")
    started = attrs.evolve(seen)
    started.start(NOW)
    again = attrs.evolve(started)  # a second runner, handed the job again, starts it too
    again.start(NOW + timedelta(seconds=1))
    done = attrs.evolve(started)  # the first runner's success
    done.succeed(NOW + timedelta(seconds=2))
    failed = attrs.evolve(again)  # the second runner's failure
    failed.fail("boom", NOW + timedelta(seconds=3))
    with uow_factory.autocommit() as uow:
        assert uow.outbox.replace(seen, started)
        assert not uow.outbox.replace(seen, again)  # its status moved since (published)
        assert uow.outbox.replace(started, again)
        assert not uow.outbox.replace(started, done)  # its attempts moved since (2)
        assert uow.outbox.replace(again, failed)
        assert not uow.outbox.replace(again, done)  # its status moved since (pending)
        assert not uow.outbox.replace(a_job("job_unknown"), done)
    with uow_factory() as uow:
        assert uow.outbox.get("job_1") == failed


def test_an_autocommit_unit_of_work_keeps_each_write_and_locks_no_order(
    uow_factory: UnitOfWorkFactory,
) -> None:
    stored(uow_factory, an_order())
    with uow_factory.autocommit() as uow:
        uow.outbox.add(a_job())
        with pytest.raises(UnlockedOrderWrite):
            uow.lock_order("ord_1")
        uow.rollback()  # nothing to roll back: the write is already durable
    with uow_factory() as uow:
        assert uow.outbox.get("job_1") == a_job()


def test_a_claim_without_commit_is_released(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        uow.webhook_events.add_if_absent(an_event())
        uow.commit()
    with uow_factory() as uow:
        assert uow.webhook_events.claim("evt_1") is not None
    with uow_factory() as uow:
        claimed = uow.webhook_events.claim("evt_1")
    assert claimed is not None
    assert claimed.attempts == 1


@pytest.mark.parametrize("status", [WebhookStatus.RECEIVED, WebhookStatus.PARKED])
def test_received_and_parked_events_are_claimable(
    uow_factory: UnitOfWorkFactory, status: WebhookStatus
) -> None:
    with uow_factory() as uow:
        uow.webhook_events.add_if_absent(an_event(status=status))
        assert uow.webhook_events.claim("evt_1") is not None


def test_events_are_listed_newest_first_and_by_order_oldest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    events = [
        an_event("evt_a", received_at=NOW, status=WebhookStatus.PARKED, order_id="ord_1"),
        an_event(
            "evt_b",
            received_at=NOW + timedelta(1),
            status=WebhookStatus.PROCESSED,
            order_id="ord_1",
        ),
        an_event("evt_c", received_at=NOW + timedelta(2), status=WebhookStatus.PARKED),
        an_event(
            "evt_d", received_at=NOW + timedelta(3), status=WebhookStatus.PARKED, order_id="ord_1"
        ),
    ]
    with uow_factory() as uow:
        for event in events:
            uow.webhook_events.add_if_absent(event)
        uow.commit()

    with uow_factory() as uow:
        everything = uow.webhook_events.list()
        parked = uow.webhook_events.list(WebhookStatus.PARKED, limit=2)
        for_order = uow.webhook_events.list_parked_for_order("ord_1")
        journal_of_order = uow.webhook_events.list_for_order("ord_1")

    assert [e.id for e in everything] == ["evt_d", "evt_c", "evt_b", "evt_a"]
    assert [e.id for e in parked] == ["evt_d", "evt_c"]
    assert [e.id for e in for_order] == ["evt_a", "evt_d"]
    assert [e.id for e in journal_of_order] == ["evt_a", "evt_b", "evt_d"]


def test_a_locked_order_reads_its_rows_with_the_transactions_own_writes(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """What the paying path asks of a locked order (its entitlements, its parked events, a
    document of it) follows what the same transaction wrote since the lock, and the next one."""
    guest = Customer(email="guest@example.com")
    stored(uow_factory, an_order(customer=guest), a_refund())
    ebook = Entitlement("ent_1", "ebook:python", "ord_1", guest, NOW)
    invoice = an_invoice("doc_1", "F-2026-000001")
    credit = an_invoice("doc_2", "A-2026-000001", kind=DocumentKind.CREDIT_NOTE, refund_id="ref_1")
    waiting = an_event("evt_w", status=WebhookStatus.PARKED, order_id="ord_1")

    with uow_factory() as uow:
        uow.lock_order("ord_1")
        assert uow.entitlements.list_for_order("ord_1") == []
        assert uow.webhook_events.list_parked_for_order("ord_1") == []
        assert uow.invoices.find("ord_1", DocumentKind.INVOICE) is None
        uow.entitlements.add_all([ebook])
        uow.invoices.add(invoice)
        uow.webhook_events.add_if_absent(waiting)
        assert uow.entitlements.list_for_order("ord_1") == [ebook]
        assert uow.invoices.find("ord_1", DocumentKind.INVOICE) == invoice
        assert uow.invoices.find("ord_1", DocumentKind.CREDIT_NOTE, "ref_1") is None
        assert uow.webhook_events.list_parked_for_order("ord_1") == [waiting]
        ebook.revoked_at = NOW
        uow.entitlements.save(ebook)
        uow.invoices.add(credit)
        assert uow.entitlements.list_for_order("ord_1") == [ebook]
        assert uow.invoices.find("ord_1", DocumentKind.CREDIT_NOTE, "ref_1") == credit
        disputed = attrs.evolve(invoice, kind=DocumentKind.CREDIT_NOTE, dispute_id="dp_1")
        uow.invoices.save(disputed)
        assert uow.invoices.find("ord_1", DocumentKind.CREDIT_NOTE, None, "dp_1") == disputed
        uow.invoices.save(invoice)
        uow.commit()

    with uow_factory() as uow:
        uow.lock_order("ord_1")
        assert uow.entitlements.list_for_order("ord_1") == [ebook]
        assert uow.invoices.find("ord_1", DocumentKind.INVOICE) == invoice
        assert uow.invoices.find("ord_1", DocumentKind.CREDIT_NOTE, "ref_1") == credit
        assert uow.invoices.find("ord_1", DocumentKind.CREDIT_NOTE, "ref_2") is None
        assert uow.webhook_events.list_parked_for_order("ord_1") == [waiting]
        claimed = uow.webhook_events.claim("evt_w")
        assert claimed is not None
        claimed.settle(WebhookStatus.PROCESSED, NOW)
        uow.webhook_events.save(claimed)
        assert uow.webhook_events.list_parked_for_order("ord_1") == []
        claimed.settle(WebhookStatus.PARKED, NOW)
        uow.webhook_events.save(claimed)  # parked again, in the same transaction
        assert [e.id for e in uow.webhook_events.list_parked_for_order("ord_1")] == ["evt_w"]


# -- catalog ----------------------------------------------------------------------------------


def test_the_catalog_serves_active_products(uow_factory: UnitOfWorkFactory) -> None:
    ebook = Product("ebook", "E-book", Money(2900, "EUR"), "ebook:python")
    yen = Product("poster", "Poster", Money(1500, "JPY"))
    retired = Product("old", "Old thing", Money(100, "EUR"), active=False)
    with uow_factory() as uow:
        for product in (yen, ebook, retired):
            uow.catalog.put(product)
        uow.commit()

    with uow_factory() as uow:
        assert uow.catalog.get("ebook") == ebook
        assert uow.catalog.get("poster") == yen
        with pytest.raises(UnknownProduct):
            uow.catalog.get("old")
        with pytest.raises(UnknownProduct):
            uow.catalog.get("missing")
        assert [p.sku for p in uow.catalog.list()] == ["ebook", "old", "poster"]


def test_putting_a_product_again_replaces_it(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        uow.catalog.put(Product("ebook", "E-book", Money(2900, "EUR"), "ebook:python"))
        uow.commit()
    repriced = Product("ebook", "E-book 2nd edition", Money(3900, "USD"), None)
    with uow_factory() as uow:
        uow.catalog.put(repriced)
        uow.commit()

    with uow_factory() as uow:
        assert uow.catalog.list() == [repriced]


# -- keys -------------------------------------------------------------------------------------


def test_ids_and_idempotency_keys_are_unique(uow_factory: UnitOfWorkFactory) -> None:
    stored(
        uow_factory,
        an_order(),
        PaymentAttempt("att_1", "ord_1", PaymentMode.PAYMENT_INTENT, "pi:key", NOW),
    )

    with uow_factory() as uow:
        with pytest.raises(InvalidInput):
            uow.orders.add(an_order())
        with pytest.raises(InvalidInput):
            uow.payment_attempts.add(
                PaymentAttempt("att_2", "ord_1", PaymentMode.PAYMENT_INTENT, "pi:key", NOW)
            )
        uow.refunds.add(a_refund())  # the unit of work is still usable
        uow.commit()

    with uow_factory() as uow:
        assert uow.refunds.get("ref_1").amount == 1000


def test_saving_an_entity_never_added_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        with pytest.raises(UnlockedOrderWrite):
            uow.orders.save(an_order())
        with pytest.raises(InvalidInput):
            uow.refunds.save(a_refund())


# -- every writer of an order locks it first --------------------------------------------------


def test_an_order_read_without_its_lock_cannot_be_saved(uow_factory: UnitOfWorkFactory) -> None:
    stored(uow_factory, an_order())

    with uow_factory() as uow:
        order = uow.orders.get("ord_1")
        order.cancel("stale", NOW)
        with pytest.raises(UnlockedOrderWrite):
            uow.orders.save(order)
        [listed] = uow.orders.list_for_guest("guest@example.com")
        with pytest.raises(UnlockedOrderWrite):
            uow.orders.save(listed)
        uow.commit()

    with uow_factory() as uow:
        assert uow.orders.get("ord_1").status is OrderStatus.DRAFT  # nothing was written


def test_an_order_added_or_locked_in_the_unit_of_work_can_be_saved(
    uow_factory: UnitOfWorkFactory,
) -> None:
    stored(uow_factory, an_order("ord_locked"))

    with uow_factory() as uow:
        added = an_order("ord_added")
        uow.orders.add(added)
        added.cancel("added here", NOW)
        uow.orders.save(added)
        uow.orders.get("ord_locked")  # a read before the lock does not count: the lock does
        locked = uow.lock_order("ord_locked")
        locked.cancel("locked here", NOW)
        uow.orders.save(locked)
        uow.commit()

    with uow_factory() as uow:
        assert uow.orders.get("ord_added").status is OrderStatus.CANCELED
        assert uow.orders.get("ord_locked").status is OrderStatus.CANCELED


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_end_of_the_transaction_ends_the_right_to_write(
    uow_factory: UnitOfWorkFactory, end: str
) -> None:
    stored(uow_factory, an_order("ord_locked"))

    with uow_factory() as uow:
        locked = uow.lock_order("ord_locked")
        added = an_order("ord_added")
        uow.orders.add(added)
        if end == "commit":
            uow.commit()
        else:
            uow.rollback()
        for order in (locked, added):
            order.cancel("after the lock ended", NOW)
            with pytest.raises(UnlockedOrderWrite):
                uow.orders.save(order)
        uow.orders.save(uow.lock_order("ord_locked"))  # locked again: fine


def _all_repositories(uow: UnitOfWork) -> list[object]:
    return [
        uow.orders,
        uow.payment_attempts,
        uow.refunds,
        uow.entitlements,
        uow.customers,
        uow.invoices,
        uow.webhook_events,
        uow.catalog,
    ]


def test_the_unit_of_work_satisfies_the_port(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        assert isinstance(uow, UnitOfWork)
        assert all(r is not None for r in _all_repositories(uow))


def test_webhook_stats_count_statuses_and_date_the_backlog(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        assert uow.webhook_events.stats() == WebhookStats(by_status={})
    events = (
        an_event("evt_old", received_at=NOW - timedelta(minutes=30), status=WebhookStatus.PARKED),
        an_event(
            "evt_done", received_at=NOW - timedelta(minutes=40), status=WebhookStatus.PROCESSED
        ),
        an_event("evt_failed", received_at=NOW - timedelta(minutes=5), status=WebhookStatus.FAILED),
        an_event("evt_new", received_at=NOW, status=WebhookStatus.PROCESSED),
    )
    with uow_factory() as uow:
        for event in events:
            uow.webhook_events.add_if_absent(event)
        uow.commit()

    with uow_factory() as uow:
        stats = uow.webhook_events.stats()

    assert stats == WebhookStats(
        by_status={"parked": 1, "processed": 2, "failed": 1},
        oldest_unsettled_at=NOW - timedelta(minutes=30),
        last_received_at=NOW,
    )


# -- VAT and the buyer --------------------------------------------------------------------------


def test_rates_lines_and_the_buyer_are_kept_as_sold(uow_factory: UnitOfWorkFactory) -> None:
    reduced = TaxRate(550, TaxCategory.REDUCED)
    exempt = TaxRate(0, TaxCategory.EXEMPT, "Art. 261-4-4° du CGI")
    ebook = Product("ebook", "E-book", Money(2900, "EUR"), "ebook:python", tax=reduced)
    training = Product("training", "Training", Money(1000, "EUR"), tax=exempt)
    order = Order.create(
        id="ord_taxed",
        customer=Customer(email="buyer@example.com"),
        items=[
            OrderItem("ebook", "E-book", 1, 2900, tax_rate=reduced, net=2749, tax=151),
            OrderItem("training", "Training", 2, 1000, tax_rate=exempt, net=2000, tax=0),
        ],
        currency="EUR",
        idempotency_key="key-taxed",
        at=datetime(2026, 1, 1, tzinfo=UTC),
        billing=BillingDetails(
            "Dupont SARL", "3 place du Marché\n69001 Lyon", "FR", "FR40303265045"
        ),
    )
    with uow_factory() as uow:
        uow.catalog.put(ebook)
        uow.catalog.put(training)
        uow.orders.add(order)
        uow.commit()
    with uow_factory() as uow:
        locked = uow.lock_order(order.id)
        locked.record_payer(PayerDetails(payment_method="Visa •••• 4242"))
        uow.orders.save(locked)
        uow.commit()

    with uow_factory() as uow:
        assert uow.catalog.get("ebook") == ebook
        assert uow.catalog.get("training") == training
        stored = uow.orders.get(order.id)
    assert stored.items == order.items
    assert stored.billing == order.billing
    assert stored.payment_method == "Visa •••• 4242"
    assert stored.taxes() == order.taxes()
    assert stored.total == Money(4900, "EUR")
