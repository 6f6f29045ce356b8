"""What a check found, a client for the instance under test, and the summary table."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import httpx

USER_AGENT = "billing-ops-check"
DEFAULT_PREFIX = "/billing"
DOCUMENT = "openapi.json"


@attrs.frozen
class Check:
    """One named check: ``ok`` or not, with what was seen."""

    suite: str
    name: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0


def billing_url(url: str) -> str:
    """Where billing is mounted, from what an operator types: the storefront's address
    (``http://host:8000/billing/``, ``https://shop.example/shop/billing``), or its OpenAPI
    document's (``…/openapi.json``, the one way to name a billing mounted at the root). A bare
    ``http://host:port`` is billing's default mount, ``/billing``."""
    given = httpx.URL(url.strip())
    path = given.path.rstrip("/")
    if path.endswith("/" + DOCUMENT) or path == DOCUMENT:
        path = path.removesuffix(DOCUMENT).rstrip("/")
    elif not path:
        path = DEFAULT_PREFIX
    return str(given.copy_with(path=path or "/", query=None, fragment=None)).rstrip("/")


def not_billing(client: httpx.Client) -> str:
    """What a 404 from billing's own health or document means: the address is not billing's."""
    where = str(client.base_url).rstrip("/")
    return (
        f"no billing at {where}: --base-url is billing's address as a browser opens its "
        "storefront, its prefix included (e.g. http://host:8000/shop/billing/), or, "
        "served at the root, its document's (http://host:8000/openapi.json)"
    )


def make_client(base_url: str, timeout: float = 10.0) -> httpx.Client:
    """A client whose relative paths (``/health/``) are billing's, wherever it is mounted: httpx
    appends them to the client's base URL, which is billing's address (``billing_url``)."""
    return httpx.Client(
        base_url=billing_url(base_url),
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
