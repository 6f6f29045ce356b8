"""Time budgets at start: the defaults fit, settings that do not are refused with one line,
``billing serve`` hands gunicorn its timeout, and health's database check never hangs it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from billing.adapters.memory import MemoryUnitOfWorkFactory
from billing.adapters.memory.clock import FixedClock
from billing.adapters.stripe import StripeConfig
from billing.entrypoints import cli
from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.settings import Settings
from billing.entrypoints.time_budgets import sql_timeouts, stripe_worst_case
from billing.services.health import DatabaseCheck
from tests.seller import SELLER_FIELDS

POSTGRES = "postgresql+psycopg://billing@db.example:5432/shop"
STRIPE = {
    "payment_provider": "stripe",
    "stripe_secret_key": "sk_test_budgets",
    "secret_key": "s" * 32,
    **SELLER_FIELDS,
}


def test_the_defaults_fit_every_wait_in_the_budget_and_the_budget_in_gunicorns() -> None:
    settings = Settings(database_url=POSTGRES, **STRIPE)

    assert sql_timeouts(settings).worst_case == 16  # pool 5 + an answer 5 + 1 + connect 5
    assert stripe_worst_case(settings) == 22.5  # 3 attempts of (2 + 5) + 0.5 + 1
    assert settings.request_budget_seconds == 25 < settings.worker_timeout_seconds == 30


def test_the_stripe_clients_worst_case_counts_every_attempt_and_pause() -> None:
    config = StripeConfig("sk_test_x", connect_timeout=1, read_timeout=1, max_network_retries=4)

    assert config.worst_case == 5 * 2 + (0.5 + 1 + 2 + 4)


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"request_budget_seconds": 30}, "not below gunicorn's timeout"),
        ({"worker_timeout_seconds": 20}, "not below gunicorn's timeout"),
        ({"database_url": POSTGRES, "database_statement_timeout_seconds": 20}, "PostgreSQL"),
        ({"database_url": POSTGRES, "database_pool_timeout_seconds": 30}, "PostgreSQL"),
        ({**STRIPE, "stripe_read_timeout_seconds": 30}, "Stripe may keep a request waiting"),
        ({**STRIPE, "stripe_max_network_retries": 5}, "Stripe may keep a request waiting"),
    ],
)
def test_a_wait_longer_than_the_budget_is_refused_naming_the_budget(
    given: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings(**given)

    assert refused.value.variable == "BILLING_REQUEST_BUDGET_SECONDS"
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


def test_only_the_dependencies_in_use_count() -> None:
    """SQLite and the sandbox do not use PostgreSQL's or Stripe's timeouts."""
    Settings(database_statement_timeout_seconds=60, stripe_read_timeout_seconds=60)


def test_the_environment_is_read_and_checked_the_same_way() -> None:
    with pytest.raises(ConfigurationError, match="BILLING_REQUEST_BUDGET_SECONDS: is 40 s"):
        Settings.from_env({"BILLING_REQUEST_BUDGET_SECONDS": "40"})
    with pytest.raises(ConfigurationError, match="BILLING_DATABASE_CONNECT_TIMEOUT_SECONDS"):
        Settings.from_env({"BILLING_DATABASE_CONNECT_TIMEOUT_SECONDS": "1"})  # libpq's floor: 2


def _serve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str
) -> tuple[Result, list[list[str]]]:
    """``billing serve`` up to its exec of gunicorn: its result, and the argv it ran."""
    ran: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execve", lambda path, argv, environment: ran.append(argv))
    monkeypatch.chdir(tmp_path)
    base = {"BILLING_DATABASE_URL": f"sqlite:///{tmp_path}/b.db", "BILLING_SECRET_KEY": "k" * 32}
    result = CliRunner().invoke(cli.main, ["serve", "--port", "8126"], env={**base, **env})
    return result, ran


def test_serve_sets_gunicorns_timeout_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result, ran = _serve(monkeypatch, tmp_path, BILLING_WORKER_TIMEOUT_SECONDS="45")

    assert result.exit_code == 0, result.output
    [argv] = ran
    assert argv[argv.index("--timeout") + 1] == "45"


def test_serve_refuses_a_budget_gunicorn_would_cut_short_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result, ran = _serve(monkeypatch, tmp_path, BILLING_REQUEST_BUDGET_SECONDS="30")

    assert result.exit_code == 2
    assert result.stderr.startswith("billing: BILLING_REQUEST_BUDGET_SECONDS: is 30 s")
    assert result.stderr.count("\n") == 1
    assert ran == []


class HungDatabase(MemoryUnitOfWorkFactory):
    """Units of work that do not start until ``release`` is set; counts how many were asked."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.started = 0

    @contextmanager
    def _hung(self) -> Iterator[Any]:
        self.started += 1
        self.release.wait(10)
        with super().__call__() as uow:
            yield uow

    def __call__(self) -> Any:
        return self._hung()


def test_health_reports_a_database_that_does_not_answer_and_probes_it_once_at_a_time() -> None:
    database = HungDatabase()
    check = DatabaseCheck(database, FixedClock(), timeout=0.05)
    try:
        first, second = check(), check()
        during = database.started
        database.release.set()
        for _ in range(100):
            answered = check()
            if answered is not None:
                break
    finally:
        check.close()

    assert (first, second) == (None, None)
    assert answered is not None
    assert answered.dead_jobs == 0
    assert during == 1  # the hung check was waited for again, not joined by a second one
