"""Fixtures shared by every test layer.

Tests that need PostgreSQL take ``postgres_url``: it reads ``BILLING_TEST_DATABASE_URL``.
Outside CI, when that variable is unset, those tests are skipped with a visible reason;
in CI (``CI=true``) a missing database is an error, never a silent skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from billing.correlation import correlation_id


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("BILLING_TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail("CI must set BILLING_TEST_DATABASE_URL to a PostgreSQL server")
    pytest.skip("BILLING_TEST_DATABASE_URL is not set: PostgreSQL tests not run")


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("BILLING_TEST_REDIS_URL")
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail("CI must set BILLING_TEST_REDIS_URL to a Redis server")
    pytest.skip("BILLING_TEST_REDIS_URL is not set: Redis tests not run")


@pytest.fixture(autouse=True)
def no_correlation_id_leaks() -> Iterator[None]:
    """Each test starts and ends outside any request or job: a correlation id left behind
    would be carried into the next test's logs and outgoing headers."""
    assert correlation_id.get() is None, "a previous test left a correlation id behind"
    yield
    assert correlation_id.get() is None, "this test left a correlation id behind"
