"""``billing db upgrade`` and ``billing catalog load`` on a SQLite file, and the container
choosing its storage from the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from billing.adapters.memory import FakeEvents, FakePaymentProvider, MemoryUnitOfWorkFactory
from billing.adapters.sql import SqlUnitOfWorkFactory
from billing.adapters.sql.migrate import current_revision
from billing.domain.identity import Caller
from billing.domain.payment import PaymentMode
from billing.entrypoints.cli import main
from billing.entrypoints.container import build_container
from billing.entrypoints.settings import Settings
from billing.services.checkout import CheckoutRequest
from billing.services.orders import CartLine


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"BILLING_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'billing.db'}"}


def test_db_upgrade_creates_and_migrates_the_sqlite_file(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)

    assert result.exit_code == 0, result.output
    factory = SqlUnitOfWorkFactory.from_url(env["BILLING_DATABASE_URL"])
    assert current_revision(factory.engine) is not None
    with factory() as uow:
        assert uow.catalog.list() == []
    factory.engine.dispose()


def test_db_upgrade_reports_an_unreachable_database() -> None:
    env = {"BILLING_DATABASE_URL": "postgresql+psycopg://u:hunter2@127.0.0.1:9/x?connect_timeout=2"}

    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)

    assert result.exit_code == 2
    assert "BILLING_DATABASE_URL: nothing answers on 127.0.0.1:9" in result.output
    assert "hunter2" not in result.output


def test_catalog_load_stores_the_demo_catalog_and_then_a_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    demo = runner.invoke(main, ["catalog", "load", "--demo"], env=env)
    own = tmp_path / "catalog.json"
    own.write_text(
        json.dumps([{"sku": "poster", "name": "Poster", "unit_amount": 1500, "currency": "JPY"}])
    )
    loaded = runner.invoke(main, ["catalog", "load", str(own)], env=env)

    assert demo.exit_code == 0, demo.output
    assert loaded.exit_code == 0, loaded.output
    assert "poster\t1500 JPY\t-" in loaded.output
    factory = SqlUnitOfWorkFactory.from_url(env["BILLING_DATABASE_URL"])
    with factory() as uow:
        skus = [p.sku for p in uow.catalog.list()]
    factory.engine.dispose()
    assert "poster" in skus
    assert len(skus) > 1


def test_catalog_load_refuses_a_bad_file_with_its_reason(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps([{"sku": "x", "name": "X", "unit_amount": 9.99, "currency": "EUR"}]))

    result = CliRunner().invoke(main, ["catalog", "load", str(bad)], env=env)

    assert result.exit_code == 1
    assert "unit_amount has the wrong type" in result.output


def test_catalog_load_needs_a_file_or_demo(env: dict[str, str]) -> None:
    assert CliRunner().invoke(main, ["catalog", "load"], env=env).exit_code == 2


def test_settings_in_code_and_from_the_environment_share_their_defaults(
    env: dict[str, str],
) -> None:
    from_env = build_container(Settings.from_env(env)).uow_factory()
    in_code = build_container(Settings(database_url=env["BILLING_DATABASE_URL"])).uow_factory()
    in_memory = build_container(Settings.from_env(env | {"BILLING_STORAGE": "memory"}))

    assert isinstance(from_env, SqlUnitOfWorkFactory)
    assert isinstance(in_code, SqlUnitOfWorkFactory)
    assert isinstance(in_memory.uow_factory(), MemoryUnitOfWorkFactory)
    assert Settings() == Settings.from_env({})
    from_env.engine.dispose()
    in_code.engine.dispose()


def test_catalog_list_prints_the_active_products(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    own = tmp_path / "catalog.json"
    own.write_text(
        json.dumps(
            [
                {"sku": "poster", "name": "Poster", "unit_amount": 1500, "currency": "JPY"},
                {"sku": "old", "name": "Old", "unit_amount": 1, "currency": "EUR", "active": False},
            ]
        )
    )
    assert runner.invoke(main, ["catalog", "load", str(own)], env=env).exit_code == 0

    listed = runner.invoke(main, ["catalog", "list"], env=env)

    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == ["poster\tPoster\t1500 JPY\t-", "1 product(s)"]


def test_orders_list_pages_newest_first_and_orders_show_prints_one(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(main, ["catalog", "load", "--demo"], env=env).exit_code == 0
    settings = Settings.from_env(env, payment_provider="fake", invoice_renderer="text")
    container = build_container(settings)
    made = [
        container.checkout()
        .checkout(
            Caller(user_id=f"user-{n}"),
            CheckoutRequest(lines=(CartLine("ebook-python", 1),), mode=PaymentMode.PAYMENT_INTENT),
        )
        .order.id
        for n in range(3)
    ]
    container.database_engine().dispose()

    first = runner.invoke(main, ["orders", "list", "--limit", "2"], env=env)
    cursor = first.output.splitlines()[-1].split("--after ")[1]
    second = runner.invoke(main, ["orders", "list", "--limit", "2", "--after", cursor], env=env)
    shown = runner.invoke(main, ["orders", "show", made[0]], env=env)

    assert first.exit_code == 0, first.output
    listed = [line.split("\t")[0] for line in first.output.splitlines()[:2]]
    listed += [second.output.splitlines()[0].split("\t")[0]]
    assert sorted(listed) == sorted(made)
    assert second.output.splitlines()[-1] == "1 order(s)"
    assert "\tpending_payment\tuser-" in first.output
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["id"] == made[0]
    assert [p["mode"] for p in body["payments"]] == ["payment_intent"]


def test_webhooks_show_prints_an_event_and_its_raw_payload(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(main, ["catalog", "load", "--demo"], env=env).exit_code == 0
    container = build_container(Settings.from_env(env, payment_provider="fake"))
    paying = container.checkout().checkout(
        Caller(user_id="user-1"),
        CheckoutRequest(lines=(CartLine("sticker-pack", 1),), mode=PaymentMode.PAYMENT_INTENT),
    )
    provider = container.payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    delivery = FakeEvents(provider).payment_succeeded(paying.payment.id)
    container.webhooks().receive(delivery.payload, delivery.signature)
    event_id = json.loads(delivery.payload)["id"]
    container.database_engine().dispose()

    shown = runner.invoke(main, ["webhooks", "show", event_id], env=env)
    missing = runner.invoke(main, ["webhooks", "show", "evt_none"], env=env)

    assert shown.exit_code == 0, shown.output
    assert f"id\t{event_id}" in shown.output
    assert shown.output.splitlines()[-1] == delivery.payload.decode()
    assert missing.exit_code == 1
    assert "Traceback" not in missing.output
