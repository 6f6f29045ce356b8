"""The administrators' order listing's query string: filters, the keyset cursor, the limit.

The cursor (``?after=``) is the ``next`` of the previous page: the (created_at, id) of its last
order, base64url-encoded. It is opaque to clients, and checked like any other input.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime

from billing.domain.errors import InvalidInput
from billing.domain.state import OrderStatus
from billing.ports.listings import MAX_PAGE, OrderQuery, Position

from .query import enum_param, limit_param

DEFAULT_PAGE = 50


def encode_cursor(position: Position | None) -> str | None:
    if position is None:
        return None
    at, row_id = position
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def cursor_param(raw: str | None) -> Position | None:
    if not raw:
        return None
    try:
        at, _, row_id = base64.urlsafe_b64decode(raw.encode("ascii")).decode().partition("|")
        position = (_aware(datetime.fromisoformat(at)), row_id)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidInput("after is the next cursor of a previous page", field="after") from None
    if not row_id:
        raise InvalidInput("after is the next cursor of a previous page", field="after")
    return position


def page_limit(raw: str | None) -> int:
    return limit_param(raw, maximum=MAX_PAGE, default=DEFAULT_PAGE)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _time(args: Mapping[str, str], name: str) -> datetime | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        return _aware(datetime.fromisoformat(raw))
    except ValueError:
        raise InvalidInput(f"{name} is an ISO 8601 date or time", field=name) from None


def order_query(args: Mapping[str, str]) -> OrderQuery:
    return OrderQuery(
        status=enum_param(args.get("status"), OrderStatus, "status"),
        email=args.get("email") or None,
        user_id=args.get("user_id") or None,
        created_from=_time(args, "created_from"),
        created_before=_time(args, "created_before"),
        after=cursor_param(args.get("after")),
        limit=page_limit(args.get("limit")),
    )
