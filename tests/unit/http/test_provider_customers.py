"""A logged-in user's payments are attached to one customer at the provider, created once
under ``cus:{user_id}`` and kept in the user's ``CustomerProfile``; a guest pays without one."""

from __future__ import annotations

from billing.domain.errors import ProviderUnavailable

from .conftest import Shop, user


def profile_customer(shop: Shop, user_id: str) -> str | None:
    with shop.container.uow_factory()() as uow:
        profile = uow.customers.find_by_user(user_id)
    return None if profile is None else profile.provider_customer_id


def customer_calls(shop: Shop) -> list[str | None]:
    return [c.idempotency_key for c in shop.provider.calls if c.operation == "create_customer"]


def test_a_users_payments_share_one_customer_created_once(shop: Shop) -> None:
    _, first = shop.user_order("user-1")
    _, second = shop.user_order("user-1")

    customer = shop.provider.customer_of[first]
    assert customer is not None
    assert customer.startswith("cus_")
    assert shop.provider.customer_of[second] == customer
    assert shop.provider.customers[customer] == ("user-1", None)
    assert profile_customer(shop, "user-1") == customer
    assert customer_calls(shop) == ["cus:user-1"]  # the second checkout read it back


def test_each_user_has_their_own_customer_and_a_guest_none(shop: Shop) -> None:
    _, alice = shop.user_order("alice")
    _, bob = shop.user_order("bob")
    _, _, guest = shop.guest_order()

    assert shop.provider.customer_of[alice] != shop.provider.customer_of[bob]
    assert shop.provider.customer_of[guest] is None
    assert customer_calls(shop) == ["cus:alice", "cus:bob"]


def test_a_checkout_session_is_attached_too(shop: Shop) -> None:
    answer = shop.checkout(user("user-1"), mode="checkout_session")

    assert answer.status_code == 201, answer.json
    assert shop.provider.customer_of[answer.json["payment"]["id"]] == profile_customer(
        shop, "user-1"
    )


def test_a_customer_created_before_a_failure_is_found_again_by_its_key(shop: Shop) -> None:
    shop.provider.fail_next(ProviderUnavailable("timeout"), after_effect=True)

    failed = shop.checkout(user("user-1"))
    retried = shop.checkout(user("user-1"))

    assert failed.status_code == 503
    assert failed.json["retryable"] is True
    assert retried.status_code == 201, retried.json
    assert len(shop.provider.customers) == 1  # the same key gave the same customer back
    assert profile_customer(shop, "user-1") in shop.provider.customers


def test_a_profile_made_by_a_merge_gets_its_customer(shop: Shop) -> None:
    shop.container.entitlements().merge_guest("ada@example.com", "user-1")  # profile, no id
    assert profile_customer(shop, "user-1") is None

    _, payment = shop.user_order("user-1")

    assert profile_customer(shop, "user-1") == shop.provider.customer_of[payment]
