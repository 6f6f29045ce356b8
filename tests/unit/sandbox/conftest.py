"""Fixtures for the sandbox's unit tests: a provider over each store, a recording task queue.

Every test runs on the in-memory store and on a migrated SQLite file, the two stores the
sandbox ships with; sockets are refused so nothing leaves the process.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs
import pytest

from billing.adapters.memory import FixedClock
from billing.adapters.sandbox import (
    MemorySandboxStore,
    SandboxPaymentProvider,
    SandboxStore,
    SqlSandboxStore,
)
from billing.adapters.sql import make_engine, upgrade
from tests.contract.provider_objects import NOW

WEBHOOK_SECRET = "whsec_sandbox_unit"
BASE_URL = "https://shop.example"
SUCCESS_URL = f"{BASE_URL}/billing/success/"
CANCEL_URL = f"{BASE_URL}/billing/cancel/"


@attrs.define
class RecordingTasks:
    """A TaskQueue that only remembers what it was asked to run."""

    deferred: list[tuple[str, dict[str, str]]] = attrs.Factory(list)

    def defer(self, task: str, params: Mapping[str, str]) -> None:
        self.deferred.append((task, dict(params)))

    @property
    def event_ids(self) -> list[str]:
        return [params["event_id"] for _, params in self.deferred]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a sandbox unit test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sandbox-sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["memory", "sqlite"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[SandboxStore]:
    if request.param == "memory":
        yield MemorySandboxStore()
        return
    target = tmp_path / "billing.db"
    target.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{target}")
    yield SqlSandboxStore(engine)
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def tasks() -> RecordingTasks:
    return RecordingTasks()


@pytest.fixture
def provider(
    store: SandboxStore, clock: FixedClock, tasks: RecordingTasks
) -> SandboxPaymentProvider:
    return SandboxPaymentProvider(store, clock, tasks, WEBHOOK_SECRET, BASE_URL)
