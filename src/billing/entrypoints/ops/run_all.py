"""``run_all``: the smoke test, then the crawler (starting also from the smoke order's pages),
one summary table, and whether everything passed."""

from __future__ import annotations

import attrs
import httpx

from .crawl import run_crawl
from .results import Check, failures, summary_table
from .smoke import DEFAULT_SKU, run_smoke


@attrs.frozen
class RunAllReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return not failures(self.checks)

    @property
    def failed(self) -> list[str]:
        return [f"{check.suite}: {check.name}" for check in failures(self.checks)]

    def table(self) -> str:
        return summary_table(self.checks)


def run_all(
    client: httpx.Client,
    admin_token: str | None = None,
    *,
    sku: str = DEFAULT_SKU,
    timeout: float = 30.0,
    stripe: httpx.Client | None = None,
) -> RunAllReport:
    smoke = run_smoke(client, admin_token, sku=sku, timeout=timeout, stripe=stripe)
    seeds = [smoke.success_page] if smoke.success_page else []
    crawl = run_crawl(client, admin_token, seeds)
    return RunAllReport((*smoke.checks, *crawl))
