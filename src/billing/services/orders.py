"""Creating orders from the catalog, reading and canceling them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

import attrs

from billing.domain.buyer import BillingDetails
from billing.domain.errors import InvalidInput, OrderNotCancelable, PaymentNotCancelable
from billing.domain.order import Customer, Order, OrderItem
from billing.domain.state import PAYABLE_STATES
from billing.domain.tax import line_tax
from billing.ports.clock import Clock, IdGenerator
from billing.ports.payments import PaymentProvider
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.retry import retry_on_conflict


@attrs.frozen
class CartLine:
    """What a client may send: a sku and a quantity. Never a price."""

    sku: str
    quantity: int = 1


@attrs.frozen
class CreatedOrder:
    order: Order
    #: For a guest only, shown once: the token that proves ownership of the order.
    access_token: str | None = attrs.field(default=None, repr=False)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def price_items(
    uow: UnitOfWork, lines: Sequence[CartLine], *, prices_include_tax: bool = True
) -> tuple[list[OrderItem], str]:
    """Order items at catalog prices with their tax (``domain/tax.py``: per line), and their
    common currency. ``prices_include_tax``: the catalog's prices are gross (B2C), else net
    and the tax is added to what is charged."""
    if not lines:
        raise InvalidInput("a cart needs at least one item", field="items")
    items: list[OrderItem] = []
    currencies: set[str] = set()
    for line in lines:
        product = uow.catalog.get(line.sku)
        currencies.add(product.price.currency)
        item = OrderItem(
            sku=product.sku,
            name=product.name,
            quantity=line.quantity,
            unit_amount=product.price.amount,
            entitlement_key=product.entitlement_key,
            tax_rate=product.tax,
            unit_includes_tax=prices_include_tax,
        )
        amount = item.quantity * item.unit_amount
        taxed = line_tax(amount, product.tax.rate_bp, includes_tax=prices_include_tax)
        items.append(attrs.evolve(item, net=taxed.net, tax=taxed.tax))
    if len(currencies) != 1:
        raise InvalidInput("every item of an order must be in one currency", field="items")
    return items, currencies.pop()


def priced_order(
    uow: UnitOfWork,
    customer: Customer,
    lines: Sequence[CartLine],
    *,
    order_id: str,
    idempotency_key: str,
    at: datetime,
    access_token: str | None,
    prices_include_tax: bool = True,
    billing: BillingDetails | None = None,
) -> Order:
    """A new order at catalog prices; only the digest of a guest's access token is kept."""
    items, currency = price_items(uow, lines, prices_include_tax=prices_include_tax)
    return Order.create(
        id=order_id,
        customer=customer,
        items=items,
        currency=currency,
        idempotency_key=idempotency_key,
        at=at,
        access_token_sha256=token_digest(access_token) if access_token else None,
        billing=billing,
    )


@attrs.frozen
class OrderService:
    _uow_factory: UnitOfWorkFactory
    _provider: PaymentProvider
    _clock: Clock
    _ids: IdGenerator
    _prices_include_tax: bool = True

    @retry_on_conflict
    def create_order(self, customer: Customer, lines: Sequence[CartLine]) -> CreatedOrder:
        token = self._ids.secret_token() if customer.is_guest else None
        with self._uow_factory() as uow:
            order = priced_order(
                uow,
                customer,
                lines,
                order_id=self._ids.new_id("ord"),
                idempotency_key=self._ids.secret_token(),
                at=self._clock.now(),
                access_token=token,
                prices_include_tax=self._prices_include_tax,
            )
            uow.orders.add(order)
            uow.commit()
        return CreatedOrder(order, token)

    def get(self, order_id: str) -> Order:
        with self._uow_factory() as uow:
            return uow.orders.get(order_id)

    def cancel(self, order_id: str, cause: str = "canceled_by_customer") -> Order:
        """Cancel an unpaid order: the provider's payment first, so it can no longer succeed.
        A payment that went through meanwhile (its event not here yet) makes the order
        OrderNotCancelable, as when its event has arrived."""
        order = self.get(order_id)
        if order.status not in PAYABLE_STATES:
            raise OrderNotCancelable(f"order {order_id} is {order.status}", order_id=order_id)
        if order.provider_payment_id is not None:
            try:
                self._provider.cancel_payment(order.provider_payment_id)
            except PaymentNotCancelable as error:
                raise OrderNotCancelable(
                    f"order {order_id} was paid meanwhile: it can no longer be canceled",
                    order_id=order_id,
                ) from error
        return self._cancel_locked(order_id, cause)

    @retry_on_conflict
    def _cancel_locked(self, order_id: str, cause: str) -> Order:
        with self._uow_factory() as uow:
            order = uow.lock_order(order_id)
            if order.status not in PAYABLE_STATES:  # paid meanwhile: the provider refused above
                raise OrderNotCancelable(f"order {order_id} is {order.status}", order_id=order_id)
            order.cancel(cause, self._clock.now())
            uow.orders.save(order)
            uow.commit()
        return order
