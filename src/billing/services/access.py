"""What a caller may do: every use case reached from outside, checked against who is calling.

An order is visible to its user, to the guest holding its token, and to an administrator. To
anyone else it does not exist: they get OrderNotFound, exactly as for an unknown id, so that
probing ids tells nothing. Refunds and merges are for administrators (the host application).
"""

from __future__ import annotations

import hmac

import attrs

from billing.domain.dispute import Dispute
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement
from billing.domain.errors import BillingError, InvalidInput, OrderNotFound
from billing.domain.identity import Caller
from billing.domain.invoice import DocumentKind, InvoiceArtifact
from billing.domain.order import Customer, Order
from billing.domain.refund import Refund
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

from .entitlements import EntitlementService, MergeResult
from .invoices import InvoiceService
from .orders import OrderService, token_digest
from .refunds import RefundService

DOCUMENT_FORMATS = frozenset({"html", "pdf"})


class AuthenticationRequired(BillingError):
    """The use case needs a logged-in user and the caller is none."""

    code = "authentication_required"


class AdminRequired(BillingError):
    """The use case is for administrators (the host application's server) only."""

    code = "admin_required"


def may_see(caller: Caller, order: Order) -> bool:
    """Whether ``caller`` is the order's user, holds its guest token, or is an administrator."""
    if caller.is_admin:
        return True
    if caller.user_id is not None and order.customer.user_id == caller.user_id:
        return True
    if caller.guest_token is not None and order.access_token_sha256 is not None:
        return hmac.compare_digest(token_digest(caller.guest_token), order.access_token_sha256)
    return False


def _not_found(order_id: str) -> OrderNotFound:
    return OrderNotFound(f"no order {order_id}", order_id=order_id)


def _visible_order(uow: UnitOfWork, caller: Caller, order_id: str) -> Order:
    order = uow.orders.get(order_id)
    if not may_see(caller, order):
        raise _not_found(order_id)
    return order


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise AdminRequired("this operation needs the administrator token")


@attrs.frozen
class OrderDetails:
    order: Order
    refunds: tuple[Refund, ...]
    documents: tuple[InvoiceArtifact, ...]
    disputes: tuple[Dispute, ...] = ()
    duplicate_captures: tuple[DuplicateCapture, ...] = ()


@attrs.frozen
class DocumentFile:
    document: InvoiceArtifact
    format: str
    content: bytes = attrs.field(repr=False)


@attrs.frozen
class AccessService:
    _uow_factory: UnitOfWorkFactory
    _orders: OrderService
    _refunds: RefundService
    _entitlements: EntitlementService
    _invoices: InvoiceService

    def order_details(self, caller: Caller, order_id: str) -> OrderDetails:
        """The order with its refunds, documents, disputes and extra payments, for someone
        allowed to see it."""
        with self._uow_factory() as uow:
            order = _visible_order(uow, caller, order_id)
            refunds = uow.refunds.list_for_order(order_id)
            documents = uow.invoices.list_for_order(order_id)
            disputes = uow.disputes.list_for_order(order_id)
            captures = uow.duplicate_captures.list_for_order(order_id)
        return OrderDetails(
            order, tuple(refunds), tuple(documents), tuple(disputes), tuple(captures)
        )

    def cancel(self, caller: Caller, order_id: str) -> Order:
        """Cancel an unpaid order of the caller's (any order, for an administrator)."""
        self._check(caller, order_id)
        cause = "canceled_by_admin" if caller.is_admin else "canceled_by_customer"
        return self._orders.cancel(order_id, cause)

    def refund(
        self, caller: Caller, order_id: str, amount: int | None, reason: str | None
    ) -> Refund:
        """Refund a paid order: administrators only; to anyone else the order does not exist."""
        if not caller.is_admin:
            raise _not_found(order_id)
        return self._refunds.refund(order_id, amount, reason)

    def document(self, caller: Caller, order_id: str, document_id: str, fmt: str) -> DocumentFile:
        """An invoice or credit note file of an order the caller may see."""
        if fmt not in DOCUMENT_FORMATS:
            raise InvalidInput(f"a document is html or pdf, not {fmt!r}", field="format")
        with self._uow_factory() as uow:
            _visible_order(uow, caller, order_id)
            documents = {d.id: d for d in uow.invoices.list_for_order(order_id)}
        if document_id not in documents:
            raise _not_found(order_id)
        return DocumentFile(documents[document_id], fmt, self._invoices.file(document_id, fmt))

    def invoice(self, caller: Caller, order_id: str, fmt: str) -> DocumentFile:
        """The invoice file of an order the caller may see (404 until the order is paid)."""
        with self._uow_factory() as uow:
            _visible_order(uow, caller, order_id)
            invoice = uow.invoices.find(order_id, DocumentKind.INVOICE)
        if invoice is None:
            raise _not_found(order_id)
        return self.document(caller, order_id, invoice.id, fmt)

    def entitlements(self, caller: Caller) -> list[Entitlement]:
        """The active entitlements of the logged-in user."""
        if caller.user_id is None:
            raise AuthenticationRequired("entitlements belong to a logged-in user")
        return self._entitlements.active_for(Customer(user_id=caller.user_id))

    def merge(self, caller: Caller, email: str, user_id: str) -> MergeResult:
        """Attach a guest email's orders and entitlements to a user (the host app proved it)."""
        require_admin(caller)
        return self._entitlements.merge_guest(email, user_id)

    def _check(self, caller: Caller, order_id: str) -> None:
        with self._uow_factory() as uow:
            _visible_order(uow, caller, order_id)
