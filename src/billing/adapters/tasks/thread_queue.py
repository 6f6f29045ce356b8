"""``ThreadTaskQueue``: a ``TaskQueue`` on a worker thread of the serving process, for the
sandbox's deliveries (the container wires it to the sandbox's deliverer).

Delivering inline would POST to this very app from inside the request that paid, which a
single-threaded server (gunicorn's sync worker) cannot answer until that request ends. The
worker thread starts on first use (after gunicorn forks), runs each deferred job, and when idle
for ``sweep_every`` seconds runs ``sweep`` (the deliverer's ``deliver_pending``), so an event
whose delivery failed is sent again until it gets through. With ``reorder`` (the deliverer's
``arrange``, when rehearsing shuffled deliveries) it takes every job waiting at once and runs
them in the order ``reorder`` gives. It serves the embedded default
(``BILLING_TASK_BROKER=inline``); with a broker the deliveries are outbox jobs that
``billing worker`` runs instead.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable, Mapping

from billing.background import StoppableThread

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, str]], None]
Job = tuple[str, dict[str, str]]
#: Put on the queue by ``stop`` to wake the worker; never run.
_WAKE: Job = ("", {})
#: Seconds of idleness between two sweeps, unless the caller says otherwise.
SWEEP_EVERY = 30.0


class ThreadTaskQueue:
    def __init__(
        self,
        handlers: Mapping[str, Handler],
        sweep: Callable[[], object] | None = None,
        sweep_every: float = SWEEP_EVERY,
        reorder: Callable[[list[Job]], list[Job]] | None = None,
    ) -> None:
        self._handlers = dict(handlers)
        self._sweep = sweep
        self._sweep_every = sweep_every
        self._reorder = reorder
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: StoppableThread | None = None
        self._stopping = False

    def defer(self, task: str, params: Mapping[str, str]) -> None:
        if task not in self._handlers:
            raise KeyError(f"no handler for task {task!r}")
        self._start()
        self._jobs.put((task, dict(params)))

    def join(self) -> None:
        """Wait until every job deferred so far has run (tests, shutdown)."""
        self._jobs.join()

    def stop(self, timeout: float = 5.0) -> None:
        """Run the jobs deferred so far, then end the worker thread (tests, shutdown); a later
        ``defer`` starts a new one."""
        with self._lock:
            thread = self._thread
            if thread is None or not thread.is_alive() or thread is threading.current_thread():
                return
            self._stopping = True
            self._jobs.put(_WAKE)
        thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._thread = StoppableThread(
                    name="billing-sandbox-deliveries", run=self._work, stop=self.stop
                )
                self._thread.start()

    def _work(self) -> None:
        while True:
            try:
                first = self._jobs.get(timeout=self._sweep_every)
            except queue.Empty:
                self._run("sweep", self._sweep)
                continue
            for job in self._batch(first):
                try:
                    if job is not _WAKE:
                        task, params = job
                        self._run(task, functools.partial(self._handlers[task], params))
                finally:
                    self._jobs.task_done()
            with self._lock:
                if self._stopping and self._jobs.empty():
                    self._thread = None
                    return

    def _batch(self, first: Job) -> list[Job]:
        """``first`` alone, or with every job waiting, in the order ``reorder`` gives."""
        if self._reorder is None:
            return [first]
        batch = [first]
        while True:
            try:
                batch.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        try:
            arranged = self._reorder(batch)
        except Exception:
            log.warning("sandbox: reordering the deliveries failed", exc_info=True)
            return batch
        if sorted(map(id, arranged)) != sorted(map(id, batch)):  # each job once: join() counts
            log.warning("sandbox: reordering changed the deliveries; kept their order")
            return batch
        return arranged

    @staticmethod
    def _run(name: str, job: Callable[[], object] | None) -> None:
        if job is None:
            return
        try:
            job()
        except Exception:  # the event stays pending in the store; the next sweep retries it
            log.warning("sandbox: %s failed", name, exc_info=True)
