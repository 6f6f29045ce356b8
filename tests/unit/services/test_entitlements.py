"""Entitlements follow payment and full refund, and move from a guest to a user once."""

from __future__ import annotations

from billing.domain.order import Customer
from billing.services.orders import CartLine

from .conftest import GUEST, USER, World


def keys(world: World, customer: Customer) -> set[str]:
    return {e.key for e in world.container.entitlements().active_for(customer)}


def test_paying_grants_the_items_entitlements(world: World) -> None:
    world.paid_order(USER, CartLine("book"), CartLine("sticker"))

    assert keys(world, USER) == {"library:book"}


def test_an_unpaid_order_grants_nothing(world: World) -> None:
    world.pending_order(USER)

    assert keys(world, USER) == set()


def test_a_full_refund_revokes_and_a_partial_one_keeps(world: World) -> None:
    order, _ = world.paid_order(USER)
    world.container.refunds().refund(order.id, 100)
    assert keys(world, USER) == {"library:book", "course:stripe"}

    world.container.refunds().refund(order.id)
    assert keys(world, USER) == set()


def test_merging_a_guest_into_a_user_moves_orders_and_entitlements_once(world: World) -> None:
    order, _ = world.paid_order(GUEST)
    service = world.container.entitlements()

    first = service.merge_guest("GUEST@example.com", "user-9")
    commits = world.uow_factory.database.commits
    second = service.merge_guest("guest@example.com", "user-9")

    assert (first.orders, first.entitlements) == (1, 2)
    assert (second.orders, second.entitlements) == (0, 0)
    merged = world.order(order.id)
    assert merged.customer == Customer(user_id="user-9", email="guest@example.com")
    assert merged.access_token_sha256 is None  # the guest token no longer opens it
    assert keys(world, Customer(user_id="user-9")) == {"library:book", "course:stripe"}
    assert keys(world, GUEST) == set()
    with world.uow_factory() as uow:
        profile = uow.customers.find_by_user("user-9")
    assert profile is not None
    assert profile.email == "guest@example.com"
    assert world.uow_factory.database.commits == commits + 1  # the second merge wrote nothing new


def test_a_merge_moves_only_the_guests_orders_and_their_entitlements(world: World) -> None:
    guest_paid, _ = world.paid_order(GUEST)
    guest_pending, _ = world.pending_order(GUEST)
    other_guest, _ = world.paid_order(Customer(email="other@example.com"))
    users, _ = world.paid_order(USER)

    merged = world.container.entitlements().merge_guest("guest@example.com", "user-9")

    assert (merged.orders, merged.entitlements) == (2, 2)
    owners = {o: world.order(o).customer.user_id for o in (guest_paid.id, guest_pending.id)}
    assert owners == {guest_paid.id: "user-9", guest_pending.id: "user-9"}
    assert world.order(other_guest.id).customer == Customer(email="other@example.com")
    assert world.order(other_guest.id).access_token_sha256 is not None
    assert world.order(users.id).customer == USER
    assert keys(world, Customer(email="other@example.com")) == {"library:book", "course:stripe"}
    assert keys(world, USER) == {"library:book", "course:stripe"}
