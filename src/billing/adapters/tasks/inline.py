"""``InlineJobPublisher``: runs each job in the caller's thread, right after its commit.

The embedded default: no broker, no worker process. The job row records the outcome (done, or
failed and pending again after a backoff); a relay thread, started on first use, hands over
again every job that is due (retries, and any job whose hand-off was lost) every
``relay_every`` seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from billing.background import StoppableThread
from billing.domain.outbox import OutboxJob

log = logging.getLogger(__name__)

Run = Callable[[str], object]


class InlineJobPublisher:
    def __init__(
        self, run: Run, relay: Callable[[], object] | None = None, relay_every: float = 30.0
    ) -> None:
        self._run = run
        self._relay = relay
        self._relay_every = relay_every
        self._lock = threading.Lock()
        self._thread: StoppableThread | None = None
        self._stop = threading.Event()

    def publish(self, jobs: Sequence[OutboxJob]) -> None:
        self._start_relay()
        for job in jobs:
            try:
                self._run(job.id)
            except Exception:  # recorded on the row when possible; the relay retries it
                log.exception("inline job %s (%s) failed", job.id, job.task)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the relay thread and wait for it (tests, shutdown)."""
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _start_relay(self) -> None:
        if self._relay is None or self._relay_every <= 0:
            return
        with self._lock:
            if self._stop.is_set():
                return  # closed: a job published during shutdown runs inline, not relayed
            if self._thread is None or not self._thread.is_alive():
                self._thread = StoppableThread(
                    name="billing-job-relay", run=self._relay_loop, stop=self.close
                )
                self._thread.start()

    def _relay_loop(self) -> None:
        assert self._relay is not None
        while not self._stop.wait(self._relay_every):
            try:
                self._relay()
            except Exception:
                log.warning("inline relay failed", exc_info=True)
