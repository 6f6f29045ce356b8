"""A check that must answer within its own short timeout, whatever it waits on.

``SingleFlight`` runs a call on one background thread and waits for it at most ``timeout``
seconds. A call still running when the next caller comes (a database that stopped answering
keeps it waiting until its own timeouts give up) is waited for again rather than joined by
another one, so a hung dependency costs one thread, never one per probe.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """One call of ``call`` at a time, on a thread; its result, or ``TimeoutError``."""

    def __init__(self, call: Callable[[], T], name: str) -> None:
        self._call = call
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._running: Future[T] | None = None

    def result(self, timeout: float) -> T:
        """The result of the call in flight, or of a new one; ``TimeoutError`` past ``timeout``."""
        with self._lock:
            if self._running is None or self._running.done():
                context = contextvars.copy_context()  # the request's id for its log lines
                self._running = self._executor.submit(context.run, self._call)
            running = self._running
        return running.result(timeout)  # concurrent.futures' TimeoutError is the builtin

    def close(self) -> None:
        """Stop taking calls; one in flight finishes on its own (its timeouts bound it)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
