"""Checkout creates one payment per order at the provider, whatever happens in between."""

from __future__ import annotations

import pytest

from billing.domain.errors import OrderNotPayable, ProviderUnavailable
from billing.domain.payment import PaymentMode
from billing.domain.state import OrderStatus
from billing.services.payments import ReturnUrls

from .conftest import World

URLS = ReturnUrls("https://shop.test/ok", "https://shop.test/cancel")


def creations(world: World) -> list[str | None]:
    return [c.idempotency_key for c in world.provider.calls if c.operation.startswith("create_")]


def test_checkout_moves_the_order_to_pending_payment(world: World) -> None:
    order = world.new_order()

    result = world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)

    assert result.order.status is OrderStatus.PENDING_PAYMENT
    assert result.payment.amount == order.total
    assert result.payment.client_secret
    stored = world.order(order.id)
    assert stored.provider_payment_id == result.payment.id
    assert creations(world) == [f"pi:{order.idempotency_key}"]


def test_checkout_twice_gives_the_same_single_payment(world: World) -> None:
    order = world.new_order()
    payments = world.container.payments()

    first = payments.checkout(order.id, PaymentMode.PAYMENT_INTENT)
    second = payments.checkout(order.id, PaymentMode.PAYMENT_INTENT)

    assert second.payment == first.payment
    assert len(world.provider.payments) == 1
    assert len(creations(world)) == 1
    with world.uow_factory() as uow:
        assert len(uow.payment_attempts.list_for_order(order.id)) == 1


def test_a_provider_outage_is_retryable_and_the_retry_reuses_the_key(world: World) -> None:
    order = world.new_order()
    world.provider.fail_next(ProviderUnavailable("timeout"))

    with pytest.raises(ProviderUnavailable):
        world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
    with world.uow_factory() as uow:
        [attempt] = uow.payment_attempts.list_for_order(order.id)
    assert (attempt.status, attempt.error_code) == ("failed", "provider_unavailable")
    assert world.order(order.id).status is OrderStatus.DRAFT

    result = world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
    assert result.order.status is OrderStatus.PENDING_PAYMENT
    assert creations(world) == [f"pi:{order.idempotency_key}"] * 2
    assert len(world.provider.payments) == 1


def test_an_answer_lost_after_the_provider_created_the_payment_is_healed(world: World) -> None:
    order = world.new_order()
    world.provider.fail_next(ProviderUnavailable("connection reset"), after_effect=True)

    with pytest.raises(ProviderUnavailable):
        world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
    result = world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)

    assert list(world.provider.payments) == [result.payment.id]
    with world.uow_factory() as uow:
        [attempt] = uow.payment_attempts.list_for_order(order.id)
    assert attempt.provider_payment_id == result.payment.id


def test_a_checkout_session_needs_return_urls_and_keeps_its_own_key(world: World) -> None:
    order = world.new_order()
    payments = world.container.payments()
    with pytest.raises(OrderNotPayable):
        payments.checkout(order.id, PaymentMode.CHECKOUT_SESSION)

    result = payments.checkout(order.id, PaymentMode.CHECKOUT_SESSION, URLS)

    assert result.payment.checkout_url
    assert creations(world) == [f"cs:{order.idempotency_key}"]


def test_an_order_is_paid_by_one_mode_only(world: World) -> None:
    order, _ = world.pending_order()

    with pytest.raises(OrderNotPayable):
        world.container.payments().checkout(order.id, PaymentMode.CHECKOUT_SESSION, URLS)
    assert len(world.provider.payments) == 1


def test_a_paid_order_returns_its_payment_and_stays_paid(world: World) -> None:
    order, payment_id = world.paid_order()

    result = world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)

    assert result.payment.id == payment_id
    assert world.order(order.id).status is OrderStatus.PAID
    assert len(world.provider.payments) == 1


def test_a_canceled_order_cannot_start_a_payment(world: World) -> None:
    order = world.new_order()
    world.container.orders().cancel(order.id)

    with pytest.raises(OrderNotPayable):
        world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
    assert world.provider.payments == {}


def test_a_retry_after_the_provider_forgot_the_key_finds_the_payment_it_made(
    world: World,
) -> None:
    order = world.new_order()
    world.provider.fail_next(ProviderUnavailable("connection reset"), after_effect=True)
    with pytest.raises(ProviderUnavailable):  # made at the provider, the answer lost
        world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
    world.clock.advance(hours=25)  # the provider forgets keys after 24 hours

    result = world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)

    assert list(world.provider.payments) == [result.payment.id]
    assert [c.operation for c in world.provider.calls] == [
        "create_payment_intent",
        "find_payment_intent",
    ]
    assert world.order(order.id).provider_payment_id == result.payment.id


def test_a_late_retry_creates_the_payment_when_the_provider_has_none(world: World) -> None:
    order = world.new_order()
    world.provider.fail_next(ProviderUnavailable("timeout"))  # refused before it took effect
    with pytest.raises(ProviderUnavailable):
        world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
    world.clock.advance(hours=25)

    result = world.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)

    assert list(world.provider.payments) == [result.payment.id]
    assert creations(world) == [f"pi:{order.idempotency_key}"] * 2
