"""Provider events in provider-neutral terms: what a verified webhook tells us."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from billing.domain.buyer import PayerDetails
from billing.domain.dispute import DisputeReport
from billing.domain.money import Money
from billing.domain.payment import ProviderRefund


class EventKind(StrEnum):
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_CANCELED = "payment_canceled"  # includes an expired checkout session
    PAYMENT_PENDING = "payment_pending"  # processing or requires_action: nothing to change
    REFUND_UPDATED = "refund_updated"  # created, updated, failed, charge.refunded
    #: A dispute created, updated, closed, its funds withdrawn or reinstated: ``dispute``
    #: says where it stands now.
    DISPUTE_UPDATED = "dispute_updated"
    #: What a charge says about the payer (billing details, card): nothing else changes.
    PAYER_REPORTED = "payer_reported"
    UNHANDLED = "unhandled"  # a type we do not act on


@attrs.frozen
class ProviderEvent:
    """A verified event. ``payload`` is the raw body, kept verbatim for the journal."""

    id: str
    type: str
    kind: EventKind
    created_at: datetime
    payload: str = attrs.field(repr=False)
    livemode: bool = False
    api_version: str | None = None
    order_id: str | None = None
    payment_id: str | None = None
    amount: Money | None = None
    refunds: tuple[ProviderRefund, ...] = ()
    failure_code: str | None = None
    dispute: DisputeReport | None = None
    #: The payer's billing details and payment method, when the event carries them.
    payer: PayerDetails | None = None

    @property
    def concerns_an_order(self) -> bool:
        return self.order_id is not None or self.payment_id is not None
