"""The journal entry of one provider event and the statuses it goes through."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

import attrs


class WebhookStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"
    PARKED = "parked"  # cannot apply yet; re-run when its order moves


#: Statuses from which an event may be (re)claimed for processing.
CLAIMABLE: Final = frozenset({WebhookStatus.RECEIVED, WebhookStatus.FAILED, WebhookStatus.PARKED})
#: Statuses after which a new delivery of the same event is a duplicate.
SETTLED: Final = frozenset({WebhookStatus.PROCESSED, WebhookStatus.IGNORED})


@attrs.frozen
class WebhookStats:
    """What the journal holds: events per status, and how far behind processing is."""

    by_status: dict[str, int]
    oldest_unsettled_at: datetime | None = None  # received, processing, failed or parked
    last_received_at: datetime | None = None


@attrs.define
class WebhookEvent:
    id: str
    type: str
    payload: str
    received_at: datetime
    status: WebhookStatus = WebhookStatus.RECEIVED
    livemode: bool = False
    api_version: str | None = None
    attempts: int = 0
    last_error: str | None = None
    order_id: str | None = None
    processed_at: datetime | None = None

    def claim(self) -> None:
        self.status = WebhookStatus.PROCESSING
        self.attempts += 1

    def settle(self, status: WebhookStatus, at: datetime, *, error: str | None = None) -> None:
        self.status = status
        self.last_error = error
        self.processed_at = at if status in SETTLED else self.processed_at
