"""The real clock and the real source of randomness."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    """Ids with 80 random bits after a readable prefix; tokens with 256 random bits."""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(10)}"

    def secret_token(self) -> str:
        return secrets.token_urlsafe(32)
