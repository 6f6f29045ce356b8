"""What a check found, a client for the instance under test, and the summary table."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import httpx

USER_AGENT = "billing-ops-check"


@attrs.frozen
class Check:
    """One named check: ``ok`` or not, with what was seen."""

    suite: str
    name: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0


def base_of(url: str) -> str:
    """``http://host:port`` from what an operator types (``…/``, ``…/billing/`` included)."""
    url = url.strip().rstrip("/")
    return url.removesuffix("/billing").rstrip("/")


def make_client(base_url: str, timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(
        base_url=base_of(base_url),
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def failures(checks: Sequence[Check]) -> list[Check]:
    return [check for check in checks if not check.ok]


def summary_table(checks: Sequence[Check]) -> str:
    """A plain-text table, one line per check, then the count and the names of failures."""
    rows = [("suite", "check", "result", "time", "detail")]
    rows += [
        (c.suite, c.name, "ok" if c.ok else "FAIL", f"{c.seconds:.2f}s", c.detail) for c in checks
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + f"  {row[4]}"
        for row in rows
    ]
    failed = failures(checks)
    lines.append(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    if failed:
        lines.append("FAILED: " + ", ".join(f"{c.suite}: {c.name}" for c in failed))
    return "\n".join(line.rstrip() for line in lines)
