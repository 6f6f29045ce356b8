"""A second capture for an order already paid: the customer was charged twice.

It happens when two payments of one order both succeed (two tabs, a checkout retried once the
provider forgot its idempotency key, a Checkout Session completed twice). The extra payment is
recorded against the order, never counted as the order's own money, and by default given back
in full (``DuplicateCapturePolicy.REFUND``); ``FLAG`` only records it and alerts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs


class DuplicateCapturePolicy(StrEnum):
    REFUND = "refund"
    FLAG = "flag"


@attrs.define
class DuplicateCapture:
    """One extra payment of an order (one per provider payment id)."""

    payment_id: str
    order_id: str
    amount: int
    currency: str
    detected_at: datetime
    #: What revealed it: ``event:<id>``.
    cause: str
    #: The refund giving it back (None under the ``flag`` policy).
    refund_id: str | None = None
