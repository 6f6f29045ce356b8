"""A NUL character anywhere in a request is a 400, on SQLite and on PostgreSQL alike.

PostgreSQL refuses a text parameter holding NUL outright (even in a ``WHERE``), so without the
app's guard these requests were 500s there while SQLite answered them normally.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from tests.contract.sql_backends import postgres_schema

from billing.adapters.sql import make_engine, metadata, upgrade
from billing.entrypoints.container import build_container
from billing.entrypoints.demo import load_demo_catalog
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings

ADMIN = {"Authorization": "Bearer admin-token-nul"}
GUEST = {"email": "guest@example.com"}


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'billing.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as engine:
        yield engine


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[FlaskClient]:
    settings = Settings(
        enabled=True,
        storage="sql",
        database_url=engine.url.render_as_string(hide_password=False),
        payment_provider="sandbox",
        media_root=str(tmp_path / "media"),
        admin_token=ADMIN["Authorization"].removeprefix("Bearer "),
        secret_key="server-secret-nul-characters",
    )
    container = build_container(settings)
    container.database_engine.override(providers.Object(engine))
    load_demo_catalog(container)
    yield create_app(container=container).test_client()
    container.unwire()


def orders_in(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(metadata.tables["billing_orders"])
        ).scalar_one()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/billing/checkout/", {"items": [{"sku": "ebook\x00"}], **GUEST}),
        ("post", "/billing/checkout/", {"items": [{"sku": "ebook-python"}], "email": "a\x00@b.io"}),
        ("post", "/billing/checkout/", {"items": [{"sku": "ebook-python", "\x00": 1}], **GUEST}),
        ("get", "/billing/orders/ord_%00", None),
        ("post", "/billing/orders/ord_%00/cancel", None),
        ("post", "/billing/orders/ord_%00/refunds", {"reason": "requested_by_customer"}),
        ("get", "/billing/orders/ord_1/invoice.pdf?token=%00", None),
        ("get", "/billing/success/?order=ord_%00", None),
        ("post", "/billing/customers/merge", {"email": "a@b.io", "user_id": "u\x00"}),
        ("get", "/billing/sandbox/checkout/pi_%00", None),
    ],
)
def test_a_nul_character_is_refused_and_changes_nothing(
    client: FlaskClient, engine: Engine, method: str, path: str, body: dict[str, Any] | None
) -> None:
    answer = getattr(client, method)(path, json=body, headers=ADMIN)

    assert answer.status_code == 400
    assert answer.json["code"] == "invalid_input"
    assert orders_in(engine) == 0


def test_the_same_requests_without_nul_are_answered_normally(
    client: FlaskClient, engine: Engine
) -> None:
    created = client.post("/billing/checkout/", json={"items": [{"sku": "ebook-python"}], **GUEST})
    missing = client.get("/billing/orders/ord_0", headers=ADMIN)

    assert created.status_code == 201
    assert missing.status_code == 404
    assert orders_in(engine) == 1
