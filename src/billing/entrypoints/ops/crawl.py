"""The crawler: every route of the OpenAPI document and every page reachable from the HTML
pages, each answering a status code it may answer.

Without credentials, a protected route (one whose OpenAPI ``security`` does not allow an
anonymous caller) must refuse: any of its documented 4xx codes (401, 403, 404…) is a pass, a
2xx is a failure. Public GET routes must answer 2xx (or their documented 404 when the path
names an id, since the crawl's ids do not exist); public POST routes get an empty JSON body
and must refuse it with a documented 4xx, so the crawl never creates anything. Path parameters
are filled with ids that do not exist. A 5xx, or a code the document does not list, fails.
With an admin token, admin GET routes without path parameters must also answer 2xx to it.

The document is read at ``openapi.json`` under billing's address (the client's base URL); its
``servers`` entry, resolved against the document's own URL as OpenAPI has it, is where billing
is mounted (``/billing``, a host's ``/shop/billing``…), and every documented path is under it.

Links (``a``/``link`` ``href``, ``img``/``script`` ``src``) of every HTML answer on the same
host are followed (and their redirects: the success page moves a ``?token=`` into a cookie)
and must end in a 2xx; other hosts are not fetched.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

import attrs
import httpx

from .results import Check, not_billing

SUITE = "crawl"
#: Relative to billing's address: httpx appends it to the client's base URL.
OPENAPI_PATH = "/openapi.json"
MISSING_ID = "crawl-missing"
MAX_PAGES = 200
_PARAMETER = re.compile(r"\{([^}]+)\}")
#: Path parameters given a real value: a format, a packaged font (the route is public).
_SAMPLE_VALUES = {"fmt": "pdf", "font": "DejaVuSans.ttf"}
_METHODS = ("get", "post", "put", "patch", "delete")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "link": "href", "img": "src", "script": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.links.append(value)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


@attrs.frozen
class Route:
    method: str
    path: str  # as documented, relative to its server, e.g. /orders/{order_id}
    codes: frozenset[int]
    protected: bool
    admin_only: bool
    #: The path of the document's server: where billing is mounted, e.g. /shop/billing.
    base: str = ""

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.base}{self.path}"

    def url(self) -> str:
        """The absolute path called: the mount prefix, then path parameters filled in."""
        filled = _PARAMETER.sub(lambda m: _SAMPLE_VALUES.get(m.group(1), MISSING_ID), self.path)
        return self.base + filled

    def expected(self) -> frozenset[int]:
        """The codes that pass when called without credentials."""
        if self.protected or self.method != "get":
            return frozenset(c for c in self.codes if 400 <= c < 500)
        found = frozenset(c for c in self.codes if 200 <= c < 300)
        # A public page of an id (the sandbox's hosted page) is called with one that does not
        # exist: its documented 404 is the right answer.
        return found | ({404} & self.codes) if _PARAMETER.search(self.path) else found


def server_of(document: dict[str, Any], location: httpx.URL) -> str:
    """The path of the document's first server, resolved against the document's ``location``
    (OpenAPI's rule for a relative server URL), without its trailing slash: ``/shop/billing``.
    No ``servers``: ``/``, OpenAPI's default."""
    servers = document.get("servers") or [{"url": "/"}]
    return location.join(str(servers[0].get("url", "/"))).path.rstrip("/")


def routes_of(document: dict[str, Any], base: str = "") -> list[Route]:
    """The operations of ``document``; ``base``: its server's path (``server_of``)."""
    found = []
    for path, operations in document.get("paths", {}).items():
        for method in _METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            security = operation.get("security")
            codes = frozenset(int(c) for c in operation.get("responses", {}) if c.isdigit())
            protected = security is not None and {} not in security
            admin_only = protected and all(set(s) == {"admin"} for s in security)
            found.append(Route(method, path, codes, protected, admin_only, base))
    return found


@attrs.define
class Crawl:
    client: httpx.Client
    admin_token: str | None = None
    checks: list[Check] = attrs.Factory(list)
    _seen: set[str] = attrs.Factory(set)
    _pages: deque[tuple[str, str]] = attrs.Factory(deque)  # (url, found on)

    def run(self, seeds: Iterable[str] = ()) -> list[Check]:
        started = time.monotonic()
        location = self.client.build_request("GET", OPENAPI_PATH).url
        try:
            answer = self.client.get(location)
            document = answer.json() if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as error:
            answer, document = None, None
            detail = f"{type(error).__name__}: {error}"
        if not isinstance(document, dict):
            detail = detail if answer is None else f"{answer.status_code} {answer.text[:200]}"
            if answer is not None and answer.status_code == 404:
                detail = f"404: {not_billing(self.client)}"
            self._add("GET " + location.path, False, detail, started)
            return self.checks
        for route in routes_of(document, server_of(document, location)):
            self._route(route)
        for seed in seeds:
            self._enqueue(seed, "the smoke test")
        self._follow_pages()
        return self.checks

    def _route(self, route: Route) -> None:
        started = time.monotonic()
        url = route.url()
        try:
            if route.method == "get":
                answer = self.client.get(self._absolute(url))
            else:
                answer = self.client.request(route.method.upper(), self._absolute(url), json={})
        except httpx.HTTPError as error:
            self._add(route.name, False, f"{type(error).__name__}: {error}", started)
            return
        expected = route.expected()
        ok = answer.status_code in expected
        who = "without credentials" if route.protected else "anonymous"
        detail = f"{answer.status_code} {who} (expected {sorted(expected)})"
        if not ok:
            detail += f": {answer.text[:200]}"
        self._add(route.name, ok, detail, started)
        if ok and route.method == "get" and _is_html(answer):
            self._seen.add(url)
            self._collect(answer, url)
        named = _PARAMETER.search(route.path) is not None
        if self.admin_token and route.admin_only and route.method == "get" and not named:
            self._admin(route)

    def _admin(self, route: Route) -> None:
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        try:
            answer = self.client.get(self._absolute(route.url()), headers=headers)
            ok, detail = answer.is_success, f"{answer.status_code} as admin"
        except httpx.HTTPError as error:
            ok, detail = False, f"{type(error).__name__}: {error}"
        self._add(f"{route.name} (admin)", ok, detail, started)

    def _follow_pages(self) -> None:
        while self._pages and len(self._seen) < MAX_PAGES:
            url, source = self._pages.popleft()
            started = time.monotonic()
            try:
                answer = self.client.get(self._absolute(url), follow_redirects=True)
            except httpx.HTTPError as error:
                self._add(f"link {_short(url)}", False, f"{type(error).__name__}: {error}", started)
                continue
            ok = answer.is_success
            detail = f"{answer.status_code}, linked from {source}"
            self._add(f"link {_short(url)}", ok, detail, started)
            if ok and _is_html(answer):
                self._collect(answer, url)

    def _collect(self, answer: httpx.Response, url: str) -> None:
        for link in links_of(answer.text):
            self._enqueue(str(answer.url.join(link)), _short(url))

    def _enqueue(self, link: str, source: str) -> None:
        target = self.client.base_url.join(link)
        if target.scheme not in ("http", "https") or target.host != self.client.base_url.host:
            return  # another site, mailto:, javascript:…: not ours to check
        if target.port != self.client.base_url.port:
            return
        relative = target.raw_path.decode("ascii")  # path and query, no fragment
        if relative not in self._seen:
            self._seen.add(relative)
            self._pages.append((relative, source))

    def _absolute(self, path: str) -> httpx.URL:
        """``path`` (absolute, the prefix included) on the instance: not appended to the
        client's base URL, which ends with the prefix already."""
        return self.client.base_url.join(path)

    def _add(self, name: str, ok: bool, detail: str, started: float) -> None:
        self.checks.append(Check(SUITE, name, ok, detail, time.monotonic() - started))


def _is_html(answer: httpx.Response) -> bool:
    return str(answer.headers.get("content-type", "")).startswith("text/html")


def _short(url: str) -> str:
    return url.split("?", 1)[0]


def run_crawl(
    client: httpx.Client, admin_token: str | None = None, seeds: Iterable[str] = ()
) -> list[Check]:
    """Crawl the instance behind ``client``; ``seeds`` are extra pages to start from."""
    return Crawl(client, admin_token).run(seeds)
