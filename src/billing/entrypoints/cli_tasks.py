"""``billing worker`` and ``billing tasks``: the processes that run deferred jobs, and the
commands that show and re-queue them.

A worker process runs Dramatiq's consumer and worker threads on the broker at
``BILLING_TASK_BROKER`` plus the outbox relay (with the inline broker: the relay only, running
due jobs itself). ``--processes`` > 1 starts that many such processes and restarts any that
dies. Workers hold nothing but their current job: start and stop as many as needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

import click

from billing.domain.outbox import OutboxStatus

from .container import build_container
from .installation import installation_settings
from .settings import Settings
from .startup import check_database

#: Two cores: one process per core, each with a few threads (jobs mostly wait on the database
#: and the disk; PDF rendering is the CPU-bound part).
DEFAULT_PROCESSES = min(2, os.cpu_count() or 1)
DEFAULT_THREADS = 4
CHILD = "from billing.entrypoints.cli import main; main()"


@click.command()
@click.option(
    "--processes",
    default=DEFAULT_PROCESSES,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (each runs its own threads and relay).",
)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads of each process running jobs (jobs mostly wait on the database and disk).",
)
@click.option(
    "--relay-every",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 60),
    help="Seconds between relay passes when nothing is due.",
)
def worker(processes: int, threads: int, relay_every: float) -> None:
    """Run deferred jobs: Dramatiq workers on BILLING_TASK_BROKER and the outbox relay."""
    # Refused here, before anything starts; the installation secret is `billing serve`'s too
    # (the sandbox signs with it), and the processes started below inherit it.
    settings = installation_settings(os.environ)
    check_database(settings)
    if processes > 1:
        _supervise(processes, threads, relay_every)
        return
    _run_worker(settings, threads, relay_every)


def _run_worker(settings: Settings, threads: int, relay_every: float) -> None:
    container = build_container(settings)
    publisher = container.job_publisher()
    relay = container.job_relay()
    stop = _stop_on_signals()
    consumer = None
    broker = getattr(publisher, "broker", None)
    if broker is not None:
        import dramatiq

        consumer = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=500)
        consumer.start()
    click.echo(
        f"billing worker pid {os.getpid()}: broker {_shown(settings.task_broker)}, "
        f"{threads if consumer else 0} thread(s), relay every {relay_every:g}s",
        err=True,
    )
    relay_thread = threading.Thread(
        target=relay.run_forever, args=(stop, relay_every), name="billing-relay", daemon=True
    )
    relay_thread.start()
    if consumer is not None and settings.payment_provider == "sandbox":
        # The sandbox's deliveries are jobs here: sweep up any event whose job was never written.
        sweeper = container.sandbox_deliverer()
        threading.Thread(
            target=sweeper.sweep_forever, args=(stop,), name="billing-sandbox-sweep", daemon=True
        ).start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        if consumer is not None:
            consumer.stop(timeout=10_000)
        relay_thread.join(timeout=5)
        click.echo(f"billing worker pid {os.getpid()}: stopped", err=True)


def _supervise(processes: int, threads: int, relay_every: float) -> None:
    """Start ``processes`` single-process workers; restart any that dies; stop them all on
    SIGTERM or SIGINT."""
    argv = [sys.executable, "-c", CHILD, "worker", "--processes", "1"]
    argv += ["--threads", str(threads), "--relay-every", str(relay_every)]
    stop = _stop_on_signals()
    children = [subprocess.Popen(argv) for _ in range(processes)]  # noqa: S603 - our interpreter
    try:
        while not stop.wait(0.5):
            for index, child in enumerate(children):
                if child.poll() is not None:
                    click.echo(f"worker pid {child.pid} exited ({child.returncode}); restarting")
                    time.sleep(0.5)
                    children[index] = subprocess.Popen(argv)  # noqa: S603
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def _shown(url: str) -> str:
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


@click.group()
def tasks() -> None:
    """Deferred jobs in the outbox (invoice rendering, async webhook processing)."""


@tasks.command("list")
@click.option("--dead", is_flag=True, help="Only jobs that exhausted their retries.")
@click.option(
    "--status",
    type=click.Choice([str(status) for status in OutboxStatus]),
    default=None,
    help="Only jobs in this status.",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def tasks_list(dead: bool, status: str | None, limit: int) -> None:
    """Jobs, newest first: id, task, status, attempts, available at, params, last error."""
    wanted = OutboxStatus.DEAD if dead else (OutboxStatus(status) if status else None)
    jobs = build_container().job_service().list(wanted, limit)
    for job in jobs:
        params = ",".join(f"{key}={value}" for key, value in sorted(job.params.items()))
        fields = [job.id, job.task, str(job.status), str(job.attempts)]
        fields += [job.available_at.isoformat(), params, job.last_error or "-"]
        click.echo("\t".join(fields))
    click.echo(f"{len(jobs)} job(s)")


@tasks.command("retry")
@click.argument("job_id")
def tasks_retry(job_id: str) -> None:
    """Re-queue a dead (or waiting) job with a fresh set of attempts; the relay hands it over."""
    job = build_container().job_service().retry(job_id)
    click.echo(f"{job.id}\t{job.task}\t{job.status}")


@tasks.command("relay")
def tasks_relay() -> None:
    """Hand over every job that is due now, once (a worker does this continuously)."""
    count = build_container().job_relay().relay_all()
    click.echo(f"{count} job(s) handed over")


TASK_COMMANDS = (worker, tasks)
