"""Metrics adapters: Prometheus exposition for production."""

from .prometheus import PrometheusMetrics

__all__ = ["PrometheusMetrics"]
