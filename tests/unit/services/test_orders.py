"""Orders are priced from the catalog only, and canceled only while unpaid."""

from __future__ import annotations

import hashlib

import pytest

from billing.domain.errors import InvalidInput, OrderNotCancelable, UnknownProduct
from billing.domain.state import OrderStatus
from billing.services.orders import CartLine

from .conftest import GUEST, USER, World


def test_an_order_takes_its_prices_from_the_catalog(world: World) -> None:
    created = world.container.orders().create_order(
        USER, [CartLine("book", 2), CartLine("sticker")]
    )

    order = world.order(created.order.id)
    assert [(i.sku, i.quantity, i.unit_amount) for i in order.items] == [
        ("book", 2, 2500),
        ("sticker", 1, 300),
    ]
    assert order.total.amount == 5300
    assert order.status is OrderStatus.DRAFT
    assert created.access_token is None


def test_a_guest_gets_a_token_of_which_only_the_digest_is_stored(world: World) -> None:
    created = world.container.orders().create_order(GUEST, [CartLine("book")])

    assert created.access_token
    stored = world.order(created.order.id)
    assert stored.customer.email == "guest@example.com"
    assert stored.access_token_sha256 == hashlib.sha256(created.access_token.encode()).hexdigest()


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        ([CartLine("nope")], UnknownProduct),
        ([CartLine("retired")], UnknownProduct),
        ([], InvalidInput),
        ([CartLine("book", 0)], InvalidInput),
        ([CartLine("book", 1001)], InvalidInput),
        ([CartLine("book"), CartLine("manga")], InvalidInput),
        ([CartLine("book"), CartLine("book")], InvalidInput),
    ],
)
def test_bad_carts_are_refused_and_nothing_is_stored(
    world: World, lines: list[CartLine], error: type[Exception]
) -> None:
    with pytest.raises(error):
        world.container.orders().create_order(GUEST, lines)
    with world.uow_factory() as uow:
        assert uow.orders.list_for_guest("guest@example.com") == []


def test_canceling_an_unpaid_order_cancels_its_payment_first(world: World) -> None:
    order, payment_id = world.pending_order()

    canceled = world.container.orders().cancel(order.id)

    assert canceled.status is OrderStatus.CANCELED
    assert world.provider.payments[payment_id].status == "canceled"
    assert world.order(order.id).status is OrderStatus.CANCELED


def test_a_paid_order_cannot_be_canceled(world: World) -> None:
    order, payment_id = world.paid_order()

    with pytest.raises(OrderNotCancelable):
        world.container.orders().cancel(order.id)
    assert world.order(order.id).status is OrderStatus.PAID
    assert world.provider.payments[payment_id].status == "succeeded"


def test_a_cancel_racing_the_payment_is_not_cancelable_and_changes_nothing(
    world: World,
) -> None:
    order, payment_id = world.pending_order()
    world.provider.complete(payment_id)  # paid at the provider, its event not here yet

    with pytest.raises(OrderNotCancelable) as refused:
        world.container.orders().cancel(order.id)

    assert refused.value.code == "order_not_cancelable"
    assert world.order(order.id).status is OrderStatus.PENDING_PAYMENT
    paid = world.events.payment_succeeded(payment_id)
    world.container.webhooks().receive(paid.payload, paid.signature)
    assert world.order(order.id).status is OrderStatus.PAID
