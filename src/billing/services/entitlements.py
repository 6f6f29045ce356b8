"""Entitlements follow the order: granted when paid, revoked when fully refunded, merged from a
guest into the user account that later claims the guest's email.

A merge writes orders that a payment, a refund or another merge may be writing at the same
moment, so it locks each of them first, in the order of their ids (two merges never wait for
each other), reads them again under the lock, and only then writes them and their
entitlements (which the other writers also change only under the order's lock).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from billing.domain.customer import CustomerProfile
from billing.domain.entitlement import (
    Entitlement,
    entitlement_keys,
    merged_customer,
    owned_by_guest,
    should_hold,
)
from billing.domain.order import Customer, Order
from billing.ports.clock import Clock, IdGenerator
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.retry import retry_on_conflict


@attrs.frozen
class MergeResult:
    orders: int
    entitlements: int


@attrs.frozen
class EntitlementService:
    _uow_factory: UnitOfWorkFactory
    _clock: Clock
    _ids: IdGenerator

    def sync(self, uow: UnitOfWork, order: Order, at: datetime) -> None:
        """Make the order's entitlements match its state, inside the caller's transaction."""
        existing = {e.key: e for e in uow.entitlements.list_for_order(order.id)}
        hold = should_hold(order)
        granted = []
        for key in entitlement_keys(order):
            entitlement = existing.get(key)
            if hold and entitlement is None:
                granted.append(
                    Entitlement(self._ids.new_id("ent"), key, order.id, order.customer, at)
                )
            elif entitlement is not None and hold != entitlement.active:
                entitlement.revoked_at = None if hold else at
                uow.entitlements.save(entitlement)
        if granted:
            uow.entitlements.add_all(granted)  # one statement for all of an order's items

    def active_for(self, customer: Customer) -> list[Entitlement]:
        with self._uow_factory() as uow:
            if customer.user_id is not None:
                found = uow.entitlements.list_for_user(customer.user_id)
            else:
                assert customer.email is not None  # a Customer has one or the other
                found = uow.entitlements.list_for_guest(customer.email)
        return [e for e in found if e.active]

    @retry_on_conflict
    def merge_guest(self, email: str, user_id: str) -> MergeResult:
        """Attach a guest's orders and entitlements to a user. Running it again changes nothing."""
        email = Customer(user_id=user_id, email=email).email or ""  # both checked
        with self._uow_factory() as uow:
            candidates = sorted(order.id for order in uow.orders.list_for_guest(email))
            locked = [uow.lock_order(order_id) for order_id in candidates]
            orders = [order for order in locked if owned_by_guest(order.customer, email)]
            entitlements = 0
            for order in orders:
                order.attach_to_user(user_id)
                uow.orders.save(order)
                entitlements += self._merge_entitlements(uow, order.id, email, user_id)
            if uow.customers.find_by_user(user_id) is None:
                uow.customers.add(
                    CustomerProfile(
                        self._ids.new_id("cus"), self._clock.now(), user_id=user_id, email=email
                    )
                )
            uow.commit()
        return MergeResult(len(orders), entitlements)

    @staticmethod
    def _merge_entitlements(uow: UnitOfWork, order_id: str, email: str, user_id: str) -> int:
        """Move the guest's entitlements of a locked order to the user; how many moved."""
        moved = 0
        for entitlement in uow.entitlements.list_for_order(order_id):
            if owned_by_guest(entitlement.customer, email):
                entitlement.customer = merged_customer(entitlement.customer, user_id)
                uow.entitlements.save(entitlement)
                moved += 1
        return moved
