"""schemathesis against ``/billing/openapi.json`` of a live app: no 5xx, answers match the
document.

The app runs as it does embedded (SQLite file, sandbox provider, demo catalog) behind a
werkzeug server thread on a loopback port; schemathesis reads the document from it and sends
a bounded number of generated requests to every operation, as an administrator and a user
(so that the routes behind authentication are reached too). The checks are: no 5xx, and the
status, media type, body and headers of every answer as documented, and that a request the
document allows is not refused as invalid (400/422) — except where validity depends on what no
schema can say (a signature, the catalog's skus in a form's field names).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from billing.adapters.sql import upgrade
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.openapi import openapi_document
from billing.entrypoints.settings import Settings

from .conftest import ADMIN_TOKEN, SERVER_SECRET, USER_HEADER

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
    ("/billing/webhooks/stripe/", "post"): "only a body signed with the webhook secret is valid",
    ("/billing/shop/checkout", "post"): "a cart is quantity-<sku> fields of catalog skus",
}
CALLER = {"Authorization": f"Bearer {ADMIN_TOKEN}", USER_HEADER: "user-1"}


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("live")
    database_url = f"sqlite:///{root / 'billing.db'}"
    upgrade(database_url)
    server = make_server("127.0.0.1", 0, app=None, threaded=True)  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{server.server_port}"
    settings_ = Settings(
        enabled=True,
        storage="sql",
        database_url=database_url,
        payment_provider="sandbox",
        media_root=str(root / "media"),
        admin_token=ADMIN_TOKEN,
        user_header=USER_HEADER,
        secret_key=SERVER_SECRET,
        public_base_url=base,
        demo_catalog=True,
    )
    app = create_app(settings_)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(10)
    app.extensions["billing.container"].unwire()


@pytest.fixture(scope="module")
def live_schema(live_url: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{live_url}/billing/openapi.json")


def _operations() -> list[tuple[str, str]]:
    paths = openapi_document()["paths"]
    return [(path, method) for path, item in paths.items() for method in item]


@pytest.mark.parametrize(("path", "method"), _operations())
def test_every_operation_answers_without_5xx_and_as_documented(
    live_schema: schemathesis.schemas.BaseSchema, path: str, method: str
) -> None:
    operation = live_schema[path][method]
    checks = CHECKS if (path, method) in UNGUESSABLE else [*CHECKS, positive_data_acceptance]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=CALLER, checks=checks)

    call()
