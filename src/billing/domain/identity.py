"""Who is calling: a user, a guest holding an order token, or an administrator."""

from __future__ import annotations

import attrs


@attrs.frozen
class Caller:
    user_id: str | None = None
    guest_token: str | None = attrs.field(default=None, repr=False)
    is_admin: bool = False

    @property
    def anonymous(self) -> bool:
        return self.user_id is None and self.guest_token is None and not self.is_admin
