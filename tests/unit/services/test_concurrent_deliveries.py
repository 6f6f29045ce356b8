"""Deliveries racing each other apply once (the PostgreSQL proof is in tests/integration)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from billing.domain.state import OrderStatus
from billing.services.webhooks import DUPLICATE

from .conftest import World


def test_eight_simultaneous_deliveries_of_one_event_apply_once(world: World) -> None:
    order, payment_id = world.pending_order()
    delivery = world.events.payment_succeeded(payment_id)
    webhooks = world.container.webhooks()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(
            pool.map(lambda _: webhooks.receive(delivery.payload, delivery.signature), range(8))
        )

    assert sorted(o.outcome for o in outcomes) == [DUPLICATE] * 7 + ["processed"]
    paid = world.order(order.id)
    assert paid.status is OrderStatus.PAID
    assert len(paid.transitions) == 2
    with world.uow_factory() as uow:
        assert len(uow.invoices.list_for_order(order.id)) == 1


def test_simultaneous_refunds_never_exceed_what_was_paid(world: World) -> None:
    order, _ = world.paid_order()
    refunds = world.container.refunds()

    def attempt(_: int) -> str:
        try:
            refunds.refund(order.id, 3000)
        except Exception as error:  # the losers are refused with a code
            return getattr(error, "code", "unexpected")
        return "ok"

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(6)))

    assert sorted(results) == ["ok"] * 3 + ["refund_exceeds_refundable"] * 3
    assert world.order(order.id).amount_refunded == 9000
    assert sum(r.amount.amount for r in world.provider.refunds.values()) == 9000
