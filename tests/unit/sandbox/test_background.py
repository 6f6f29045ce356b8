"""The sandbox's worker-thread queue runs deferred deliveries and sweeps when idle."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest

from billing.adapters.sandbox.background import ThreadTaskQueue


def test_deferred_jobs_run_on_the_worker_thread_in_order() -> None:
    ran: list[tuple[str, str]] = []

    def handler(params: Mapping[str, str]) -> None:
        ran.append((params["event_id"], threading.current_thread().name))

    queue = ThreadTaskQueue({"sandbox_deliver_event": handler})
    queue.defer("sandbox_deliver_event", {"event_id": "evt_1"})
    queue.defer("sandbox_deliver_event", {"event_id": "evt_2"})
    queue.join()

    assert ran == [
        ("evt_1", "billing-sandbox-deliveries"),
        ("evt_2", "billing-sandbox-deliveries"),
    ]


def test_a_failing_job_does_not_stop_the_worker_and_idle_time_sweeps() -> None:
    swept = threading.Event()
    ran: list[str] = []

    def handler(params: Mapping[str, str]) -> None:
        ran.append(params["event_id"])
        if params["event_id"] == "evt_1":
            raise RuntimeError("endpoint down")

    queue = ThreadTaskQueue({"deliver": handler}, sweep=swept.set, sweep_every=0.01)
    queue.defer("deliver", {"event_id": "evt_1"})
    queue.defer("deliver", {"event_id": "evt_2"})
    queue.join()

    assert ran == ["evt_1", "evt_2"]
    assert swept.wait(timeout=5)


def test_an_unknown_task_is_refused_at_once() -> None:
    with pytest.raises(KeyError):
        ThreadTaskQueue({}).defer("other", {})
