"""schemathesis against ``/billing/openapi.json`` of a live app: no 5xx, answers match the
document.

The app runs as it does embedded (SQLite file, sandbox provider, demo catalog) behind a
werkzeug server thread on a loopback port, at billing's own ``/billing`` and, for the answers
as documented, at a host's ``/shop/billing`` too (the document's server is the mount prefix and
its paths are relative to it); schemathesis reads the document from it and sends
a bounded number of generated requests to every operation, as an administrator and a user
(so that the routes behind authentication are reached too). The checks are: no 5xx, and the
status, media type, body and headers of every answer as documented, and that a request the
document allows is not refused as invalid (400/422) — except where validity depends on what no
schema can say (a signature, the catalog's skus in a form's field names).

Then hostile input, where no 5xx is allowed either: schemathesis' negative mode (requests the
document forbids) on every operation, and every operation sent a JSON body nested 50,000 deep,
a 5,000-digit number and a megabyte of text in each of its query parameters and body fields;
each is refused as documented with an error body that echoes no more than a few hundred bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from billing.entrypoints.openapi import openapi_document
from billing.entrypoints.ops.crawl import routes_of

from .conftest import ADMIN_TOKEN, USER_HEADER, live_sandbox_app

EXAMPLES = 25
#: No 5xx, and every answer as documented (status, media type, body, headers).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: Operations whose valid requests a generator cannot make, and why.
UNGUESSABLE = {
    ("/webhooks/stripe/", "post"): "only a body signed with the webhook secret is valid",
    ("/shop/checkout", "post"): "a cart is quantity-<sku> fields of catalog skus, "
    "posted with the CSRF token of a session",
    ("/admin/orders", "get"): "?after= is only the cursor a previous page returned",
    ("/admin/refunds", "get"): "?after= is only the cursor a previous page returned",
}
CALLER = {"Authorization": f"Bearer {ADMIN_TOKEN}", USER_HEADER: "user-1"}


#: Billing's own mount, where every test runs; the documented answers are also checked under
#: a host's deeper prefix. The document's paths are relative to its server (the prefix), and
#: schemathesis appends them to it.
PREFIX = "/billing"
HOST_PREFIX = "/shop/billing"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_sandbox_app(tmp_path_factory.mktemp("live"), invoice_renderer="pdf") as (base, _):
        yield base


@pytest.fixture(scope="module")
def live_schema(live_url: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{live_url}{PREFIX}/openapi.json")


@pytest.fixture(scope="module", params=(PREFIX, HOST_PREFIX))
def mounted_schema(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[schemathesis.schemas.BaseSchema]:
    """The live document at each mount: ``/billing``'s is ``live_schema``; the other app is
    mounted at ``HOST_PREFIX``."""
    if request.param == PREFIX:
        yield request.getfixturevalue("live_schema")
        return
    root = tmp_path_factory.mktemp("host-prefix")
    with live_sandbox_app(root, invoice_renderer="pdf", url_prefix=HOST_PREFIX) as (base, _):
        schema = schemathesis.openapi.from_url(f"{base}{HOST_PREFIX}/openapi.json")
        assert schema.raw_schema["servers"][0]["url"] == HOST_PREFIX
        yield schema


def _operations() -> list[tuple[str, str]]:
    paths = openapi_document()["paths"]
    return [(path, method) for path, item in paths.items() for method in item]


@pytest.mark.parametrize(("path", "method"), _operations())
def test_every_operation_answers_without_5xx_and_as_documented(
    mounted_schema: schemathesis.schemas.BaseSchema, path: str, method: str
) -> None:
    operation = mounted_schema[path][method]
    checks = CHECKS if (path, method) in UNGUESSABLE else [*CHECKS, positive_data_acceptance]

    _send_generated(operation.as_strategy().map(_with_valid_check_digits), checks)


#: A VAT number that passes its check digits (which a JSON Schema cannot express; the invalid
#: ones are refused with 400, tests/unit/http/test_checkout_tax.py).
VALID_VAT_NUMBER = "FR40303265045"


def _with_valid_check_digits(case: schemathesis.Case) -> schemathesis.Case:
    body = case.body if isinstance(case.body, dict) else {}
    details = body.get("billing_details")
    if isinstance(details, dict) and "vat_number" in details:
        details["vat_number"] = VALID_VAT_NUMBER
    return case


def _send_generated(cases: SearchStrategy[schemathesis.Case], checks: list[Any]) -> None:
    """Send ``EXAMPLES`` requests drawn from ``cases`` as the caller, each validated."""

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=CALLER, checks=checks)

    call()


#: An error answer to hostile input stays small: what was sent is not echoed back whole.
MAX_ERROR_BYTES = 4096
DEEP_JSON = b"[" * 50_000 + b"]" * 50_000
LONG_NUMBER = "9" * 5_000
#: A megabyte (10**6: one value that still fits under the 1 MiB body limit).
MEGABYTE = "x" * 1_000_000
FORM_FIELD_BYTES = 400_000


def _small_error(response: httpx.Response | Any) -> None:
    if response.status_code >= 400:
        assert len(response.content) <= MAX_ERROR_BYTES, response.content[:200]


def errors_echo_little(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """A schemathesis check: an error body is at most ``MAX_ERROR_BYTES``."""
    _small_error(response)
    return None


def _operations_with_inputs() -> list[tuple[str, str]]:
    """The operations that take a parameter or a body: the others have nothing to make wrong."""
    paths = openapi_document()["paths"]
    return [
        (path, method)
        for path, method in _operations()
        if paths[path][method].get("parameters") or paths[path][method].get("requestBody")
    ]


@pytest.mark.parametrize(("path", "method"), _operations_with_inputs())
def test_every_operation_refuses_what_the_document_forbids_without_5xx(
    live_schema: schemathesis.schemas.BaseSchema, path: str, method: str
) -> None:
    negative = live_schema[path][method].as_strategy(generation_mode=GenerationMode.NEGATIVE)

    _send_generated(negative, [not_a_server_error, errors_echo_little])


def _hostile_requests(path: str, method: str) -> dict[str, dict[str, Any]]:
    operation = openapi_document()["paths"][path][method]
    query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    media = next(iter(operation.get("requestBody", {}).get("content", {"": None})))
    fields = []
    if media:
        schema = operation["requestBody"]["content"][media]["schema"]
        fields = list(schema.get("properties", {})) or ["items"]
    sent: dict[str, dict[str, Any]] = {
        "deep-json": {"content": DEEP_JSON, "headers": {"Content-Type": "application/json"}},
    }
    for value_name, value in (("long-number", LONG_NUMBER), ("megabyte", MEGABYTE)):
        if query and value_name != "megabyte":  # a megabyte of URL is the server's to refuse
            sent[f"query-{value_name}"] = {"params": dict.fromkeys(query, value)}
        if media == "application/json":
            sent[f"body-{value_name}"] = {"json": dict.fromkeys(fields, value)}
        elif media:  # one field, within what Werkzeug parses of a form (500 kB)
            sent[f"form-{value_name}"] = {"data": {fields[0]: value[:FORM_FIELD_BYTES]}}
    return sent


@pytest.mark.parametrize(("path", "method"), _operations())
def test_hostile_bodies_and_values_are_refused_on_every_operation_without_5xx(
    live_url: str, path: str, method: str
) -> None:
    routes = routes_of(openapi_document(), PREFIX)
    [route] = [r for r in routes if (r.path, r.method) == (path, method)]
    with httpx.Client(base_url=live_url, headers=CALLER, timeout=60) as client:
        for name, request in _hostile_requests(path, method).items():
            answer = client.request(method.upper(), route.url(), **request)

            where = f"{method.upper()} {path} with {name}"
            assert answer.status_code < 500, where
            assert answer.status_code in route.codes, (where, answer.status_code)
            _small_error(answer)
            if name == "deep-json":
                assert answer.status_code == 400, where
