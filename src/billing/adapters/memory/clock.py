"""A clock tests move by hand, and identifiers that count instead of guessing."""

from __future__ import annotations

import base64
import hashlib
import itertools
from datetime import UTC, datetime, timedelta


class FixedClock:
    """Always the same instant until ``advance`` moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class SequentialIds:
    """``ord_000001``, ``ord_000002``, … and tokens that are unique but predictable (tests only).

    A token is the SHA-256 of its number in base64url: it has the shape of the port's 256
    random bits (so a guest's ``Idempotency-Key`` made of it passes the guest key rule), but
    anyone can compute it.
    """

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._counter):06d}"

    def secret_token(self) -> str:
        digest = hashlib.sha256(f"token-{next(self._counter)}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
