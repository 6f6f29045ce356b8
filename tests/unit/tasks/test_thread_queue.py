"""The sandbox's worker-thread queue runs deferred deliveries and sweeps when idle."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest

from billing.adapters.tasks.thread_queue import Job, ThreadTaskQueue


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


def test_with_reorder_the_waiting_jobs_run_together_in_its_order() -> None:
    gate = threading.Event()
    ran: list[str] = []
    batches: list[list[str]] = []

    def handler(params: Mapping[str, str]) -> None:
        gate.wait(timeout=5)  # the first job holds the worker while the others queue up
        ran.append(params["event_id"])

    def reorder(batch: list[Job]) -> list[Job]:
        batches.append([params["event_id"] for _, params in batch])
        return list(reversed(batch))

    queue = ThreadTaskQueue({"deliver": handler}, reorder=reorder)
    for number in range(6):
        queue.defer("deliver", {"event_id": f"evt_{number}"})
    gate.set()
    queue.join()

    assert sorted(ran) == [f"evt_{n}" for n in range(6)]
    assert ran == [event for batch in batches for event in reversed(batch)]
    assert max(len(batch) for batch in batches) > 1


def test_a_reorder_that_loses_a_job_is_ignored() -> None:
    ran: list[str] = []
    gate = threading.Event()

    def handler(params: Mapping[str, str]) -> None:
        gate.wait(timeout=5)
        ran.append(params["event_id"])

    queue = ThreadTaskQueue({"deliver": handler}, reorder=lambda batch: batch[1:])
    for number in range(4):
        queue.defer("deliver", {"event_id": f"evt_{number}"})
    gate.set()
    queue.join()

    assert ran == ["evt_0", "evt_1", "evt_2", "evt_3"]


def test_stop_runs_what_was_deferred_then_ends_the_worker() -> None:
    ran: list[str] = []
    workers: list[threading.Thread] = []

    def handler(params: Mapping[str, str]) -> None:
        ran.append(params["event_id"])
        workers.append(threading.current_thread())

    queue = ThreadTaskQueue({"deliver": handler})
    queue.defer("deliver", {"event_id": "evt_1"})
    queue.defer("deliver", {"event_id": "evt_2"})

    queue.stop()

    assert ran == ["evt_1", "evt_2"]
    assert not any(worker.is_alive() for worker in workers)
    queue.defer("deliver", {"event_id": "evt_3"})  # a new worker takes over
    queue.join()
    assert ran == ["evt_1", "evt_2", "evt_3"]
    queue.stop()
