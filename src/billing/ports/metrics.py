"""Counters and timings, whatever system collects them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable


@runtime_checkable
class Metrics(Protocol):
    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None: ...

    def observe(
        self, name: str, seconds: float, labels: Mapping[str, str] | None = None
    ) -> None: ...
