"""The ``Metrics`` port over prometheus-client, one ``CollectorRegistry`` per instance.

Counters and histograms (``increment``, ``observe``) are the ``Metrics`` port; gauges (``set``)
are values the metrics view reads from a service right before a scrape, such as the webhook
backlog.

A metric's label names are fixed when it is first used (or by ``LABELS`` for the ones we know):
Prometheus needs the same label names on every sample of a metric, so a missing label is
exported empty and an unknown one is dropped.

Under several worker processes (gunicorn), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory before the processes start: prometheus-client then keeps values in files there, and
``exposition()`` aggregates every process's files instead of this process's registry.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import generate_latest

_Metric = TypeVar("_Metric", Counter, Gauge, Histogram)

#: Label names of the metrics the services emit.
LABELS: Mapping[str, tuple[str, ...]] = {
    "billing_webhook_processed_total": ("type", "outcome", "code"),
    "billing_dispute_total": ("state",),
    "billing_webhook_processing_seconds": ("type", "outcome"),
    "billing_webhook_backlog": ("status",),
    "billing_duplicate_capture_total": ("policy",),
    "billing_disputes_open": (),
    "billing_receipt_emails_total": ("kind", "outcome"),
}


def _documentation(name: str) -> str:
    return name.removeprefix("billing_").replace("_", " ")


class PrometheusMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._counters: dict[str, Counter] = {}
        self._histograms: dict[str, Histogram] = {}
        self._gauges: dict[str, Gauge] = {}
        self._lock = threading.Lock()

    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        with self._lock:
            counter = self._counters.get(name)
            if counter is None:
                names = LABELS.get(name, tuple(sorted(labels or {})))
                counter = Counter(name, _documentation(name), names, registry=self.registry)
                self._counters[name] = counter
        _labelled(counter, labels).inc()

    def observe(self, name: str, seconds: float, labels: Mapping[str, str] | None = None) -> None:
        with self._lock:
            histogram = self._histograms.get(name)
            if histogram is None:
                names = LABELS.get(name, tuple(sorted(labels or {})))
                histogram = Histogram(name, _documentation(name), names, registry=self.registry)
                self._histograms[name] = histogram
        _labelled(histogram, labels).observe(seconds)

    def set(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """Set a gauge; under several processes the most recently set value is exported."""
        with self._lock:
            gauge = self._gauges.get(name)
            if gauge is None:
                names = LABELS.get(name, tuple(sorted(labels or {})))
                gauge = Gauge(
                    name,
                    _documentation(name),
                    names,
                    registry=self.registry,
                    multiprocess_mode="mostrecent",
                )
                self._gauges[name] = gauge
        _labelled(gauge, labels).set(value)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes, over every worker in multiprocess mode."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)

    def count(self, name: str, **labels: str) -> int:
        """A counter of this process summed over every label set that includes ``labels``."""
        total = 0.0
        wanted = set(labels.items())
        for metric in self.registry.collect():
            for sample in metric.samples:
                if sample.name == name and wanted <= set(sample.labels.items()):
                    total += sample.value
        return int(total)


def _labelled(metric: _Metric, labels: Mapping[str, str] | None) -> _Metric:
    names = metric._labelnames
    if not names:
        return metric
    values = labels or {}
    return metric.labels(*(str(values.get(n, "")) for n in names))
