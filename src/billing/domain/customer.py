"""The customer profile: the link between a user account, an email and a provider customer."""

from __future__ import annotations

from datetime import datetime

import attrs


@attrs.define
class CustomerProfile:
    id: str
    created_at: datetime
    user_id: str | None = None
    email: str | None = None
    provider_customer_id: str | None = None
