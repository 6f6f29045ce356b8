"""Who is calling the service."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from billing.domain.identity import Caller


@runtime_checkable
class Identity(Protocol):
    def current(self) -> Caller: ...
