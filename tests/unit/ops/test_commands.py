"""The command line of the operations: durations, the summary table, ``billing reconcile``."""

from __future__ import annotations

from datetime import timedelta

import click
import pytest
from click.testing import CliRunner
from dependency_injector import providers

from billing.entrypoints.cli import main
from billing.entrypoints.ops import commands
from billing.entrypoints.ops.results import Check, billing_url, summary_table
from billing.services.reconciliation import ReconciliationService
from tests.unit.services.conftest import World
from tests.unit.services.conftest import world as world


@pytest.mark.parametrize(
    ("text", "expected"),
    [("72h", timedelta(hours=72)), ("30d", timedelta(days=30)), ("90m", timedelta(minutes=90))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert commands.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "72", "h", "1w", "-3h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(click.BadParameter):
        commands.parse_duration(text)


@pytest.mark.parametrize(
    ("url", "billing"),
    [
        ("http://h:8000", "http://h:8000/billing"),  # a bare host: the default prefix
        ("http://h:8000/", "http://h:8000/billing"),
        ("http://h:8000/billing", "http://h:8000/billing"),
        (" http://h:8000/billing/?from=banner#top ", "http://h:8000/billing"),
        ("https://shop.test/shop/billing/", "https://shop.test/shop/billing"),
        ("https://shop.test/shop/billing/openapi.json", "https://shop.test/shop/billing"),
        ("http://h:8000/openapi.json", "http://h:8000"),  # billing at the root
    ],
)
def test_the_base_url_is_where_billing_is_mounted(url: str, billing: str) -> None:
    assert billing_url(url) == billing


def test_the_summary_names_every_failure() -> None:
    table = summary_table(
        [
            Check("smoke", "health", True, "enabled", 0.1),
            Check("crawl", "GET /billing/metrics", False, "500 anonymous", 0.01),
        ]
    )

    lines = table.splitlines()
    assert lines[0].split() == ["suite", "check", "result", "time", "detail"]
    assert lines[1].split() == ["smoke", "health", "ok", "0.10s", "enabled"]
    assert lines[2].split()[:5] == ["crawl", "GET", "/billing/metrics", "FAIL", "0.01s"]
    assert lines[-2:] == ["1 passed, 1 failed", "FAILED: crawl: GET /billing/metrics"]


@pytest.fixture
def cli_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(commands, "build_container", lambda: world.container)
    return world


def billing(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_billing_reconcile_lists_then_applies_then_finds_nothing(cli_world: World) -> None:
    order, payment_id = cli_world.pending_order()
    missed = cli_world.events.payment_succeeded(payment_id)  # never delivered

    code, listed = billing("reconcile", "--since", "72h")

    assert code == 1
    assert f"missed_event\t{missed.event_id}\t{order.id}\t" in listed
    assert f"unpaid_order\t{missed.event_id}\t{order.id}\t" in listed
    assert listed.splitlines()[-1] == "2 drift(s) left; --apply feeds the missed events"
    assert cli_world.order(order.id).status == "pending_payment"

    code, applied = billing("reconcile", "--apply")

    assert code == 0, applied
    assert f"applied\t{missed.event_id}\t{order.id}\tprocessed" in applied
    assert applied.splitlines()[-1] == "no drift left"
    assert cli_world.order(order.id).status == "paid"

    code, again = billing("reconcile", "--apply")

    assert (code, again.splitlines()[1:]) == (0, ["no drift"])


def test_billing_reconcile_reports_a_provider_without_an_event_log(cli_world: World) -> None:
    without_log = ReconciliationService(
        cli_world.uow_factory, object(), cli_world.container.webhooks(), cli_world.clock
    )  # type: ignore[arg-type]
    cli_world.container.reconciliation.override(providers.Object(without_log))

    code, output = billing("reconcile")

    assert code == 1
    assert "provider_misconfigured: this payment provider cannot list its events" in output
