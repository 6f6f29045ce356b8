"""``shutdown(container)`` stops what the container started: the inline relay's thread ends."""

from __future__ import annotations

import threading

from billing.entrypoints.container import build_container, shutdown
from billing.entrypoints.settings import Settings


def relay_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "billing-job-relay"]


def test_shutdown_ends_the_inline_relay_thread() -> None:
    before = relay_threads()
    container = build_container(Settings.in_memory(task_broker="inline"))
    container.job_publisher().publish([])  # first use starts its relay thread
    started = [t for t in relay_threads() if t not in before]

    shutdown(container)
    for thread in started:
        thread.join(timeout=5)

    assert len(started) == 1
    assert not started[0].is_alive()
