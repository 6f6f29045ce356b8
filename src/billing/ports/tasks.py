"""Deferring work (invoice rendering, ...) to run after the current transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable


@runtime_checkable
class TaskQueue(Protocol):
    def defer(self, task: str, params: Mapping[str, str]) -> None:
        """Run ``task`` with ``params`` later, at least once. Called after commit."""
        ...
