"""Time and randomness, as ports so that tests control them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@runtime_checkable
class IdGenerator(Protocol):
    def new_id(self, prefix: str) -> str:
        """A new unique identifier such as ``ord_…``."""
        ...

    def secret_token(self) -> str:
        """An unguessable token of at least 128 random bits (idempotency keys, guest tokens)."""
        ...
