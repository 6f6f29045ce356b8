"""Metrics kept in a dictionary, for tests to read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

Labels = tuple[tuple[str, str], ...]


def _key(labels: Mapping[str, str] | None) -> Labels:
    return tuple(sorted((labels or {}).items()))


class RecordingMetrics:
    def __init__(self) -> None:
        self.counters: Counter[tuple[str, Labels]] = Counter()
        self.timings: list[tuple[str, float, Labels]] = []
        self.gauges: dict[tuple[str, Labels], float] = {}

    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        self.counters[(name, _key(labels))] += 1

    def observe(self, name: str, seconds: float, labels: Mapping[str, str] | None = None) -> None:
        self.timings.append((name, seconds, _key(labels)))

    def set(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """A gauge, as the metrics view sets it before a scrape."""
        self.gauges[(name, _key(labels))] = value

    def count(self, name: str, **labels: str) -> int:
        """The counter ``name`` summed over every label set that includes ``labels``."""
        wanted = set(labels.items())
        return sum(
            n for (metric, key), n in self.counters.items() if metric == name and wanted <= set(key)
        )
