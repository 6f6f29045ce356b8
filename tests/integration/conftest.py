"""The webhook inbox on both databases: ``inbox`` runs a test once on a fresh copy of a migrated
SQLite file and once on a private PostgreSQL schema emptied first (``webhook_inbox_app``).

A module that needs another inbox (SQLite only, say) defines its own fixtures of these names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.contract.sql_backends import migrated_sqlite_template, postgres_schema
from tests.integration.webhook_inbox_app import Inbox, postgres_inbox, sqlite_inbox


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("webhook-inbox"))


@pytest.fixture(scope="module")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres"])
def inbox(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Inbox]:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        engine: Engine = request.getfixturevalue("postgres_engine")
        with postgres_inbox(url, engine) as made:
            yield made
    else:
        with sqlite_inbox(tmp_path, sqlite_template) as made:
            yield made
