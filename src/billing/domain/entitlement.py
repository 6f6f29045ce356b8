"""Entitlements: what a customer holds because an order is paid and not fully refunded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from billing.domain.order import Customer, Order
from billing.domain.state import ENTITLED_STATES


@attrs.define
class Entitlement:
    """One right (``key``) held by a customer through one order."""

    id: str
    key: str
    order_id: str
    customer: Customer
    granted_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def entitlement_keys(order: Order) -> list[str]:
    """The distinct entitlement keys an order's items carry, in item order."""
    return list(dict.fromkeys(i.entitlement_key for i in order.items if i.entitlement_key))


def should_hold(order: Order) -> bool:
    """Entitlements exist exactly while the order is paid, not fully refunded, and has lost no
    dispute (a chargeback the bank decided for the cardholder takes back what it bought)."""
    return order.status in ENTITLED_STATES and not order.lost_a_dispute


def owned_by_guest(customer: Customer, email: str) -> bool:
    """Whether ``customer`` is the guest identity of ``email`` (and so may be merged)."""
    return customer.user_id is None and customer.email == email


def merged_customer(customer: Customer, user_id: str) -> Customer:
    """The same buyer, now attached to a user account."""
    return Customer(user_id=user_id, email=customer.email)


def active_keys(entitlements: Iterable[Entitlement]) -> set[str]:
    return {e.key for e in entitlements if e.active}
