"""The ``Identity`` port over the current Flask request.

- A user: the id in the trusted header that the host's gateway sets (``BILLING_USER_HEADER``,
  off unless configured: the gateway must strip that header from what clients send), or what a
  host-provided callable returns (``Container.user_loader``).
- A guest: an order token in ``X-Order-Token``, in ``Authorization: Bearer …``, in ``?token=``
  or in the HttpOnly cookie the storefront sets.
- An administrator: ``Authorization: Bearer <BILLING_ADMIN_TOKEN>``, compared in constant time,
  or a user the host's ``is_admin(user_id)`` callable says is one.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import request
from werkzeug.wrappers import Response

from billing.domain.identity import Caller

from ..mounting import mount_path

UserLoader = Callable[[], str | None]
AdminCheck = Callable[[str], bool]
ORDER_TOKEN_HEADER = "X-Order-Token"  # noqa: S105 - a header name
ORDER_TOKEN_COOKIE = "billing_order_token"  # noqa: S105 - a cookie name


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class RequestIdentity:
    def __init__(
        self,
        user_header: str = "",
        admin_token: str = "",
        user_loader: UserLoader | None = None,
        admin_check: AdminCheck | None = None,
    ) -> None:
        self._user_header = user_header
        self._admin_token = admin_token
        self._user_loader = user_loader
        self._admin_check = admin_check

    def current(self) -> Caller:
        bearer = _bearer()
        is_admin = bool(self._admin_token) and bearer is not None
        is_admin = is_admin and hmac.compare_digest(
            (bearer or "").encode(), self._admin_token.encode()
        )
        token = (
            request.headers.get(ORDER_TOKEN_HEADER)
            or request.args.get("token")
            or request.cookies.get(ORDER_TOKEN_COOKIE)
        )
        if token is None and bearer is not None and not is_admin:
            token = bearer
        user = self._user()
        if not is_admin and user is not None and self._admin_check is not None:
            is_admin = bool(self._admin_check(user))
        return Caller(user_id=user, guest_token=token or None, is_admin=is_admin)

    def _user(self) -> str | None:
        if self._user_loader is not None:
            user = self._user_loader()
            if user:
                return user
        if self._user_header:
            return request.headers.get(self._user_header, "").strip() or None
        return None


def remember_order_token(response: Response, token: str) -> None:
    """Keep a guest's order token in the HttpOnly cookie that the pages under ``/billing/``
    send back: links need no ``?token=``, so no token sits in an address, a history or a log."""
    response.set_cookie(
        ORDER_TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path=mount_path(),
    )
