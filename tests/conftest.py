"""Fixtures shared by every test layer.

Tests that need PostgreSQL take ``postgres_url``: it reads ``BILLING_TEST_DATABASE_URL``.
Outside CI, when that variable is unset, those tests are skipped with a visible reason;
in CI (``CI=true``) a missing database is an error, never a silent skip. The same goes for
Redis (``redis_url``, ``BILLING_TEST_REDIS_URL``) and RabbitMQ (``amqp_url``,
``BILLING_TEST_AMQP_URL``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from billing.background import StoppableThread
from billing.correlation import correlation_id


def _server_url(variable: str, server: str) -> str:
    """The URL in ``variable``; when unset, a visible skip outside CI and a failure in CI."""
    url = os.environ.get(variable)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must set {variable} to a {server} server")
    pytest.skip(f"{variable} is not set: {server} tests not run")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _server_url("BILLING_TEST_DATABASE_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _server_url("BILLING_TEST_REDIS_URL", "Redis")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return _server_url("BILLING_TEST_AMQP_URL", "RabbitMQ")


@pytest.fixture(autouse=True)
def nothing_leaks_into_the_next_test() -> Iterator[None]:
    """Each test starts and ends outside any request or job, with the ``BILLING_*`` environment
    it found: a correlation id or a setting left behind would change the next test."""
    assert correlation_id.get() is None, "a previous test left a correlation id behind"
    settings = _billing_environment()
    yield
    assert correlation_id.get() is None, "this test left a correlation id behind"
    assert _billing_environment() == settings, "this test changed the BILLING_* environment"


def _billing_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name.startswith("BILLING_")}


@pytest.fixture(autouse=True)
def _background_loops_end_with_their_test() -> Iterator[None]:
    """Stop every relay or delivery loop a test started: left running, it would wake up in a
    later test and act on that test's tables (or on a database already dropped)."""
    before = set(threading.enumerate())
    yield
    for thread in threading.enumerate():
        if isinstance(thread, StoppableThread) and thread not in before:
            thread.stop()
