"""Entitlement rules: which keys an order grants, when they are held, guest → user merge."""

from __future__ import annotations

import attrs
import pytest

from billing.domain.entitlement import (
    Entitlement,
    active_keys,
    entitlement_keys,
    merged_customer,
    owned_by_guest,
    should_hold,
)
from billing.domain.errors import InvalidInput
from billing.domain.order import Customer, OrderItem
from billing.domain.state import OrderStatus

from .builders import AT, BOOK, COURSE, LATER, STICKER, new_order, order_in, paid_order

S = OrderStatus


def test_keys_are_the_distinct_item_keys_in_item_order() -> None:
    manga = OrderItem("manga", "A manga", 1, 900, "library:book")  # same key as BOOK
    order = new_order(COURSE, STICKER, BOOK, manga)
    assert entitlement_keys(order) == ["course:stripe", "library:book"]


def test_an_order_without_keyed_items_grants_nothing() -> None:
    assert entitlement_keys(new_order(STICKER)) == []


@pytest.mark.parametrize(
    ("status", "held"),
    [
        (S.DRAFT, False),
        (S.PENDING_PAYMENT, False),
        (S.CANCELED, False),
        (S.PAID, True),
        (S.PARTIALLY_REFUNDED, True),
        (S.REFUNDED, False),
    ],
)
def test_entitlements_are_held_while_paid_and_not_fully_refunded(
    status: OrderStatus, held: bool
) -> None:
    assert should_hold(order_in(status)) is held


def test_a_full_refund_revokes_and_its_reversal_restores() -> None:
    order = paid_order()
    assert should_hold(order)
    order.settle_refunds(order.amount_paid, "event:refund", AT)
    assert not should_hold(order)
    order.settle_refunds(0, "event:refund-failed", LATER)
    assert should_hold(order)


def test_a_guest_is_recognised_by_their_email_only() -> None:
    guest = Customer(email="Guest@Example.com ")
    assert owned_by_guest(guest, "guest@example.com")
    assert not owned_by_guest(guest, "other@example.com")
    assert not owned_by_guest(
        Customer(user_id="u1", email="guest@example.com"), "guest@example.com"
    )


def test_merging_attaches_the_user_and_keeps_the_email() -> None:
    guest = Customer(email="guest@example.com")
    merged = merged_customer(guest, "user-1")
    assert merged == Customer(user_id="user-1", email="guest@example.com")
    assert not merged.is_guest
    assert guest.is_guest


def test_merging_twice_changes_nothing() -> None:
    guest = Customer(email="guest@example.com")
    once = merged_customer(guest, "user-1")
    assert merged_customer(once, "user-1") == once
    # Once merged, the customer is no longer a guest that another merge could claim.
    assert not owned_by_guest(once, "guest@example.com")


def test_active_keys_skip_revoked_entitlements() -> None:
    customer = Customer(email="guest@example.com")
    held = Entitlement("e1", "library:book", "ord-1", customer, AT)
    revoked = Entitlement("e2", "course:stripe", "ord-1", customer, AT, revoked_at=LATER)
    assert held.active
    assert not revoked.active
    assert active_keys([held, revoked]) == {"library:book"}
    assert active_keys([attrs.evolve(held, revoked_at=LATER)]) == set()


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "a@b",
        "@example.com",
        "a b@example.com",
        "a\x00b@example.com",
        "a\u2028b@example.com",
        "a" * 309 + "@example.com",
    ],
)
def test_a_customer_email_must_look_like_one(email: str) -> None:
    with pytest.raises(InvalidInput):
        Customer(email=email)


def test_a_customer_email_keeps_its_longest_legal_length() -> None:
    email = "a" * 308 + "@example.com"

    assert Customer(email=email).email == email


@pytest.mark.parametrize("user_id", ["", "u\x00", "u\n1", "u" * 256])
def test_a_user_id_is_one_to_255_printable_characters(user_id: str) -> None:
    with pytest.raises(InvalidInput, match="user id"):
        Customer(user_id=user_id)

    assert Customer(user_id="u" * 255).user_id == "u" * 255


def test_a_customer_needs_a_user_or_an_email() -> None:
    with pytest.raises(InvalidInput):
        Customer()
