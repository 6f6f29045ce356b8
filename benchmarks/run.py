"""``make bench``: webhook and checkout throughput against the bare-framework ceiling.

Every figure is a ratio to a ceiling measured in the same run, with the same gunicorn settings
and the same load generator (``loadgen.py``, in its own process, 16 connections): a bare Flask
endpoint that reads the body, checks an HMAC-SHA256 signature and parses the JSON
(``ceiling_app.py``). Then, against the real app served by ``billing serve``:

1. webhook ingestion, synchronous processing: distinct signed ``payment_intent.succeeded``
   events, each paying a distinct pending order prepared beforehand;
2. the same in async mode (``BILLING_WEBHOOK_MODE=async``, Redis broker): the endpoint verifies,
   journals and queues; ``billing worker``, started when the load ends, applies the batch and
   the time it takes is reported;
3. duplicate storm: one processed event sent 2,000 times;
4. guest checkout with the sandbox provider;
5. invoice rendering, PDFs per second in one process;
6. peak RSS of one gunicorn worker after the runs.

Scenarios 1, 3 and 4 run on PostgreSQL (a database ``billing_bench`` made for the run and
dropped after it) and on the embedded SQLite default. After each scenario the database is
checked (orders paid, one invoice number each, one processing of the duplicate, no 5xx); a
wrong result stops the run with an error. The table is printed and written to
``benchmarks/RESULTS.md`` between its ``<!-- results -->`` markers, with the machine and the
commit; the rest of that file (what was optimised, profiles) is kept as it is.

Options: ``--workers N`` (gunicorn workers, default 4), ``--duration S`` per load run,
``--only NAME,...`` to run some scenarios, ``--no-write`` to leave RESULTS.md alone,
``--profile`` to sample one worker with py-spy during scenarios 1 and 4 (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pickle
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stripe
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.engine import Connection

from billing.adapters.sql import (
    SqlUnitOfWorkFactory,
    demo_catalog_path,
    load_catalog,
    mapping,
    upgrade,
)
from billing.adapters.sql import tables as t
from billing.adapters.stripe import STRIPE_API_VERSION
from billing.domain.order import Customer, Order, OrderItem
from billing.domain.webhook import WebhookEvent, WebhookStatus

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
PROFILES = HERE / "profiles"
FIXTURES = ROOT / "tests" / "fixtures" / "stripe" / "fixtures3.json"
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get(
    "BILLING_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BENCH_DB = "billing_bench"
WEBHOOK_SECRET = "whsec_bench_0123456789abcdef"  # noqa: S105 - a test secret
CONCURRENCY = 16
STORM = 2000
#: How long ``billing worker`` may take to apply scenario 2's batch before the run fails.
ASYNC_DRAIN_TIMEOUT = 180.0
WARMUP = 48
BEGIN, END = "<!-- results -->", "<!-- /results -->"
#: The scenarios of a full run, and of ``--quick`` (no PDF rendering, no SQLite).
FULL = "0,1,1b,2,3,4,5,6,sqlite"
QUICK = "0,1,2,3,4,6"
QUICK_NOTE = " (--quick: 4 s loads, no PDFs, no SQLite)"
#: The highest worker VmHWM (MB) of each billing server of the run, by server name.
PEAK_RSS: dict[str, float] = {}


@dataclass(frozen=True)
class Target:
    """Issue 18's targets for one scenario (PostgreSQL rows only)."""

    ceiling: float | None = None  # minimum ratio to the ceiling
    floor: float | None = None  # minimum ratio to the floor's throughput
    floor_p99: float | None = None  # maximum p99 as a multiple of the floor's p99
    cpu_ms: float | None = None  # maximum worker CPU ms per request
    drain: float | None = None  # scenario 2: the worker's rate, minimum ratio to the floor's


TARGETS: dict[str, Target] = {
    "1 webhook sync": Target(floor=0.70, floor_p99=1.5, cpu_ms=2.5),
    "2 webhook async": Target(ceiling=0.50, drain=0.70),
    "3 duplicate storm": Target(ceiling=0.75),
    "4 guest checkout": Target(ceiling=0.25, cpu_ms=3.0),
}


class BenchFailure(RuntimeError):
    """A scenario answered wrongly (5xx, orders not paid, a duplicate processed twice, …)."""


@dataclass
class Row:
    scenario: str
    storage: str
    requests: int = 0
    rps: float = 0.0
    p50: float | None = None
    p99: float | None = None
    ratio: float | None = None
    ceiling: float | None = None
    cpu_ms: float | None = None
    floor_ratio: float | None = None
    note: str = ""
    target: str = ""
    met: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# -- the machine and the commit ----------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def commit() -> str:
    def git(*args: str) -> str:
        argv = ["git", *args]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"{head}{' (src/ has uncommitted changes)' if dirty else ''}"


# -- databases ----------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh ``billing_bench`` database on the local server, dropped afterwards."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {BENCH_DB}"))
    url = admin.url.set(database=BENCH_DB).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
        admin.dispose()


@contextlib.contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    """A new SQLite file (the embedded default's engine settings: WAL, busy timeout)."""
    path = Path(tempfile.mkdtemp(dir=workdir)) / "billing.db"
    yield f"sqlite:///{path}"


def prepare(url: str) -> SqlUnitOfWorkFactory:
    upgrade(url)
    factory = SqlUnitOfWorkFactory.from_url(url)
    load_catalog(factory, demo_catalog_path())
    return factory


def pending_orders(factory: SqlUnitOfWorkFactory, prefix: str, count: int) -> list[Order]:
    """``count`` orders waiting for their payment (PaymentIntent ``pi_{id}``), bulk-inserted."""
    orders = bench_orders(prefix, count)
    store_orders(factory, orders)
    return orders


def bench_orders(prefix: str, count: int) -> list[Order]:
    """``count`` orders waiting for their payment (PaymentIntent ``pi_{id}``), not stored."""
    at = datetime.now(UTC)
    orders = []
    for n in range(count):
        order = Order.create(
            id=f"ord_{prefix}{n:06d}",
            customer=Customer(email=f"buyer{n}@example.com"),
            items=(
                OrderItem(
                    "ebook-python", "Python Patterns (e-book)", 1, 2900, "ebook:python-patterns"
                ),
                OrderItem("pro-monthly", "Pro plan, one month", 2, 1200, "plan:pro"),
            ),
            currency="EUR",
            idempotency_key=f"key_{prefix}{n:06d}",
            at=at,
        )
        order.start_payment(f"pi_{prefix}{n:06d}", "checkout:bench", at)
        orders.append(order)
    return orders


def store_orders(factory: SqlUnitOfWorkFactory, orders: Sequence[Order]) -> None:
    with factory() as uow:
        connection = uow.transaction.connection()
        connection.execute(t.orders.insert(), [mapping.ORDERS.record(o) for o in orders])
        connection.execute(
            t.order_items.insert(), [r for o in orders for r in mapping.item_records(o)]
        )
        connection.execute(
            t.order_transitions.insert(),
            [
                mapping.transition_record(o.id, seq, tr)
                for o in orders
                for seq, tr in enumerate(o.transitions)
            ],
        )
        uow.commit()


# -- requests -----------------------------------------------------------------------------------


def _fixtures() -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return resources


def succeeded_event(order: Order, resources: dict[str, Any], now: int) -> bytes:
    """A ``payment_intent.succeeded`` event from Stripe's example objects, paying ``order``."""
    total = order.total.amount
    intent = {
        **resources["payment_intent"],
        "id": order.provider_payment_id,
        "amount": total,
        "amount_received": total,
        "currency": order.currency.lower(),
        "status": "succeeded",
        "metadata": {"order_id": order.id},
        "last_payment_error": None,
    }
    event = {
        **resources["event"],
        "id": f"evt_{order.id}",
        "type": "payment_intent.succeeded",
        "data": {"object": intent},
        "created": now,
        "livemode": False,
        "api_version": STRIPE_API_VERSION,
    }
    return json.dumps(event).encode()


def http_request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def signed_webhook(body: bytes, now: int) -> bytes:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET, now)
    return http_request("/billing/webhooks/stripe/", body, {"Stripe-Signature": header})


def guest_checkout(n: int, prefix: str) -> bytes:
    body = json.dumps(
        {"items": [{"sku": "ebook-python", "quantity": 1}], "email": f"guest{n}@example.com"}
    ).encode()
    # A guest's key must be a secret of ≥ 128 random bits; this one only needs to be distinct.
    key = hashlib.sha256(f"{prefix}-{n}".encode()).hexdigest()
    return http_request("/billing/checkout/", body, {"Idempotency-Key": key})


# -- task broker --------------------------------------------------------------------------------

REDIS_URL = os.environ.get("BILLING_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
NAMESPACE = f"billing-bench-{os.getpid()}"


def redis_available() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        client.ping()
        client.close()
    except Exception:
        return False
    return True


def forget_queued_jobs() -> None:
    """Drop the messages the run queued (nothing consumes them: the outbox rows stay)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    keys = list(client.scan_iter(match=f"{NAMESPACE}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


# -- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A gunicorn master started for one scenario; its workers' peak RSS is read before stop."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], logdir: Path, name: str) -> None:
        self.port = free_port()
        self.name = name
        self._argv = [a.replace("{port}", str(self.port)) for a in argv]
        self._env = env
        self._log = (logdir / f"{name}.log").open("wb")
        self.process: subprocess.Popen[bytes] | None = None
        self.peak_rss_mb = 0.0

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self._argv, env=self._env, stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchFailure(f"{self.name}: the server exited:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/billing/health/", timeout=2
                ).close()
                return self
            except urllib.error.HTTPError:
                return self  # it answers (the ceiling app has no health route)
            except OSError:
                time.sleep(0.2)
        raise BenchFailure(f"{self.name}: not answering after 30 s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(Path(self._log.name).read_text(errors="replace").splitlines()[-lines:])

    def workers(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in path.read_text().split()]
        return []

    def cpu_seconds(self) -> float:
        """User + system CPU its workers have used so far."""
        total = 0
        for pid in self.workers():
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")

    def read_peak_rss(self) -> float:
        for pid in self.workers():
            with contextlib.suppress(OSError, ValueError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        mb = int(line.split()[1]) / 1024
                        self.peak_rss_mb = max(self.peak_rss_mb, mb)
        return self.peak_rss_mb

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        if self.name not in ("ceiling", "floor"):
            PEAK_RSS[self.name] = self.read_peak_rss()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def billing_env(
    url: str, provider: str, workdir: Path, name: str, extra: dict[str, str]
) -> dict[str, str]:
    """The environment of ``billing serve`` (and of ``billing worker`` beside it)."""
    env = {
        **os.environ,
        "BILLING_ENABLED": "true",
        "BILLING_STORAGE": "sql",
        "BILLING_DATABASE_URL": url,
        "BILLING_PAYMENT_PROVIDER": provider,
        "BILLING_MEDIA_ROOT": str(workdir / f"media-{name}"),
        "BILLING_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BILLING_DEMO_CATALOG": "false",
        # an invoice must name its seller (refused at start with the Stripe provider otherwise)
        "BILLING_SELLER_NAME": "Bench Seller SAS",
        "BILLING_SELLER_ADDRESS": "1 rue du Banc\n75001 Paris",
        "BILLING_SELLER_TAX_ID": "FR40303265045",
        **extra,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # `billing serve` makes a fresh one
    return env


def billing_server(
    url: str, provider: str, workdir: Path, workers: int, name: str, extra_env: dict[str, str]
) -> Server:
    env = billing_env(url, provider, workdir, name, extra_env)
    argv = [str(BIN / "billing"), "serve", "--port", "{port}", "--workers", str(workers)]
    return Server(argv, env, workdir, name)


@contextlib.contextmanager
def billing_worker(
    env: dict[str, str], workdir: Path, name: str, processes: int | None = None
) -> Iterator[None]:
    """``billing worker`` (its default threads; its default processes unless given) until the
    block ends."""
    argv = [str(BIN / "billing"), "worker"]
    if processes is not None:
        argv += ["--processes", str(processes)]
    with (workdir / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            argv,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Ceiling:
    """The bare app, kept running through the run and measured again for a few seconds before
    and after each scenario's load: on a shared machine the capacity moves within minutes, and
    a scenario is compared with what the machine gave the ceiling around it."""

    def __init__(self, server: Server, workdir: Path) -> None:
        now = int(time.time())
        body = json.dumps({"id": "evt_ceiling", **_fixtures()["event"]}).encode()
        self.server = server
        self.requests = [signed_webhook(body, now)] * 200
        self.workdir = workdir
        self.measured: list[float] = []

    def load(self, duration: float) -> dict[str, Any]:
        result = load(self.server, self.requests, self.workdir, duration, cycle=True, warmup=WARMUP)
        self.measured.append(result["rps"])
        return result


#: The running ceiling (scenario 0), when the run measures it.
CEILING: Ceiling | None = None
#: Seconds of ceiling load before and after each scenario's own load.
PAIRED_SECONDS = 3.0


def ceiling_server(workdir: Path, workers: int) -> Server:
    env = {**os.environ, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    # The same gunicorn command line as `billing serve`, on the bare app.
    argv = [
        sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--workers",
        str(workers), "--access-logfile", "-", "--pythonpath", str(HERE), "ceiling_app:app",
    ]  # fmt: skip
    return Server(argv, env, workdir, "ceiling")


# -- the hand-written floor --------------------------------------------------------------------


class Floor:
    """``floor_app.py`` on the bench database, under the ceiling's gunicorn command line: run
    before and after scenario 1, each time on its own batch of pending orders, and checked after
    each run (every order paid, one invoice each, the numbers distinct and gap-free)."""

    def __init__(self, url: str, workdir: Path, workers: int, count: int, storage: str) -> None:
        import floor_app

        self.app = floor_app
        self.storage = storage
        if storage == "sqlite":  # a database file of its own, beside the service's
            self.dsn = f"sqlite:///{workdir / 'floor.db'}"
        else:
            self.dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self.workdir = workdir
        floor_app.schema(self.dsn)
        self.batches = [bench_orders(f"fl{n}", count + WARMUP) for n in range(2)]
        floor_app.seed(
            self.dsn,
            (
                (o.id, o.currency, o.total.amount, o.customer.email or "", _items(o))
                for batch in self.batches
                for o in batch
            ),
        )
        env = {**os.environ, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
        env["FLOOR_DATABASE_URL"] = self.dsn
        argv = [
            sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--workers",
            str(workers), "--access-logfile", "-", "--pythonpath", str(HERE), "floor_app:app",
        ]  # fmt: skip
        self.server = Server(argv, env, workdir, "floor")
        self.rows: list[Row] = []

    def measure(self, label: str, duration: float) -> Row:
        orders = self.batches[len(self.rows)]
        resources = _fixtures()
        now = int(time.time())
        requests = [signed_webhook(succeeded_event(o, resources, now), now) for o in orders]
        result = load(self.server, requests, self.workdir, duration, warmup=WARMUP, paired=True)
        statuses = result["statuses"]
        if any(s not in (None, 200) for s in statuses):
            raise BenchFailure(f"floor: statuses {result['by_status']}")
        sent = [o.id for o, s in zip(orders, statuses, strict=True) if s is not None]
        wrong = self.app.check(self.dsn, sent)
        if wrong is not None:
            raise BenchFailure(f"floor: {wrong}")
        row = row_from(f"floor, {label}", self.storage, result)
        row.note = (
            f"hand-written (benchmarks/floor_app.py): {len(sent) - WARMUP} distinct events, "
            "all paid, numbers distinct and gap-free"
        )
        self.rows.append(row)
        return row


def _items(order: Order) -> list[dict[str, Any]]:
    return [{"sku": i.sku, "entitlement_key": i.entitlement_key} for i in order.items]


def compare_with_floor(rows: list[Row]) -> None:
    """Scenarios 1 and 2 against the mean of the floor's runs on the same storage in the same
    run (SQLite's: scenario 1, report only)."""
    for storage in {r.storage for r in rows}:
        _compare_with_floor(rows, storage)


def _compare_with_floor(rows: list[Row], storage: str) -> None:
    floors = [r for r in rows if r.scenario.startswith("floor") and r.storage == storage]
    if not floors:
        return
    rps = sum(r.rps for r in floors) / len(floors)
    p99 = sum(r.p99 or 0.0 for r in floors) / len(floors)
    for row in rows:
        if row.storage == storage and row.scenario.startswith(("1 webhook sync", "2 ")):
            row.floor_ratio = row.rps / rps
            row.extra["floor_rps"], row.extra["floor_p99"] = rps, p99
            if "drained" in row.extra:
                row.extra["drain_ratio"] = row.extra["drained"] / rps
                row.note += f"; drain rate / floor = {row.extra['drain_ratio']:.2f}"


# -- load ---------------------------------------------------------------------------------------


def load(
    server: Server,
    requests: list[bytes],
    workdir: Path,
    duration: float,
    *,
    cycle: bool = False,
    warmup: int = 0,
    profile: str | None = None,
    paired: bool = False,
) -> dict[str, Any]:
    """Run the load generator against ``server``; with ``paired``, measure the ceiling just
    before and just after (``ceiling_rps``: their mean). ``cpu_ms``: the server's workers' CPU
    per request answered (warm-up included)."""
    before = CEILING.load(PAIRED_SECONDS)["rps"] if paired and CEILING is not None else None
    path = workdir / "requests.pickle"
    path.write_bytes(pickle.dumps(requests))
    argv = [
        sys.executable, str(HERE / "loadgen.py"), str(path), "--port", str(server.port),
        "--concurrency", str(CONCURRENCY), "--duration", str(duration), "--warmup", str(warmup),
    ]  # fmt: skip
    if cycle:
        argv.append("--cycle")
    spy = None
    if profile is not None:
        spy = start_profile(server, profile, min(duration, 10.0))
    cpu = server.cpu_seconds()
    done = subprocess.run(argv, capture_output=True, check=False)  # noqa: S603
    cpu = server.cpu_seconds() - cpu
    if spy is not None:
        spy.wait(timeout=60)
        summarise_profile(PROFILES / f"{profile}.txt")
    if done.returncode != 0:
        raise BenchFailure(f"load generator failed: {done.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    errors = {k: v for k, v in result["by_status"].items() if int(k) >= 500}
    warm_errors = [s for s in result["warmup_statuses"] if s is not None and s >= 500]
    if errors or warm_errors:
        raise BenchFailure(f"{server.name}: server errors {errors or warm_errors}")
    answered = result["requests"] + sum(1 for s in result["warmup_statuses"] if s is not None)
    result["cpu_ms"] = round(1000 * cpu / answered, 2) if answered else None
    if before is not None:
        assert CEILING is not None
        result["ceiling_rps"] = (before + CEILING.load(PAIRED_SECONDS)["rps"]) / 2
    return result


def start_profile(server: Server, name: str, duration: float) -> subprocess.Popen[bytes] | None:
    """py-spy on one worker while the load runs: collapsed stacks under benchmarks/profiles/."""
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    workers = server.workers()
    if spy is None or not workers:
        print("  (py-spy not installed: pip install -e '.[bench]')", file=sys.stderr)
        return None
    PROFILES.mkdir(exist_ok=True)
    argv = [
        spy, "record", "--pid", str(workers[0]), "--duration", str(int(duration)),
        "--rate", "250", "--format", "raw", "--output", str(PROFILES / f"{name}.txt"),
        "--nonblocking",
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def summarise_profile(raw: Path, top: int = 40) -> None:
    """Top-N frames (own time and cumulative) of py-spy's collapsed stacks, as ``*.top.txt``;
    the raw stacks stay beside it for a flame graph (``flamegraph.pl``, speedscope)."""
    if not raw.exists():
        return
    own: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            cumulative[frame] = cumulative.get(frame, 0) + n
    lines = [f"{total} samples of one gunicorn worker", "", "== own time"]
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * n / total:5.1f}%  {frame}")
    lines += ["", "== cumulative (billing code)"]
    ours = [kv for kv in cumulative.items() if "billing/" in kv[0]]
    for frame, n in sorted(ours, key=lambda kv: -kv[1])[:top]:
        lines.append(f"{100 * n / total:5.1f}%  {frame}")
    raw.with_suffix(".top.txt").write_text("\n".join(lines) + "\n")


def row_from(name: str, storage: str, result: dict[str, Any]) -> Row:
    """A scenario's row: its ratio is to the ceiling measured around it (``paired`` load)."""
    ceiling = result.get("ceiling_rps")
    return Row(
        scenario=name,
        storage=storage,
        requests=result["requests"],
        rps=result["rps"],
        p50=result["p50_ms"],
        p99=result["p99_ms"],
        ratio=result["rps"] / ceiling if ceiling else None,
        ceiling=ceiling,
        cpu_ms=result.get("cpu_ms"),
    )


# -- checks -------------------------------------------------------------------------------------


@contextlib.contextmanager
def connected(url: str) -> Iterator[Connection]:
    """A connection to the bench database for one check, its engine disposed after."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def check_paid(url: str, order_ids: Sequence[str]) -> None:
    """Every order is PAID and has exactly one invoice, numbers all distinct."""
    with connected(url) as connection:
        statuses = dict(
            connection.execute(
                select(t.orders.c.id, t.orders.c.status).where(t.orders.c.id.in_(order_ids))
            ).all()
        )
        invoices = connection.execute(
            select(t.invoice_artifacts.c.order_id, t.invoice_artifacts.c.number).where(
                t.invoice_artifacts.c.order_id.in_(order_ids),
                t.invoice_artifacts.c.kind == "invoice",
            )
        ).all()
    unpaid = [oid for oid in order_ids if statuses.get(oid) != "paid"]
    if unpaid:
        raise BenchFailure(f"{len(unpaid)} order(s) not paid, e.g. {unpaid[:3]}")
    per_order: dict[str, int] = {}
    for order_id, _ in invoices:
        per_order[order_id] = per_order.get(order_id, 0) + 1
    numbers = [number for _, number in invoices]
    wrong = [oid for oid in order_ids if per_order.get(oid) != 1]
    if wrong or len(set(numbers)) != len(numbers):
        raise BenchFailure(f"invoices: not exactly one distinct number per order, e.g. {wrong[:3]}")


def order_footprint(url: str, order_id: str) -> tuple[Any, ...]:
    """What a processing of an order's event changes: counted, to compare before and after."""
    with connected(url) as connection:

        def count(table: Any) -> int:
            return int(
                connection.execute(
                    select(func.count()).where(table.c.order_id == order_id)
                ).scalar_one()
            )

        event = connection.execute(
            select(t.webhook_events.c.status, t.webhook_events.c.attempts).where(
                t.webhook_events.c.id == f"evt_{order_id}"
            )
        ).one()
        return (
            tuple(event),
            count(t.order_transitions),
            count(t.entitlements),
            count(t.invoice_artifacts),
        )


def check_checkouts(url: str, expected: int, prefix_count: int) -> None:
    with connected(url) as connection:
        pending = connection.execute(
            select(func.count()).where(
                t.orders.c.customer_email.like("guest%"),
                t.orders.c.status == "pending_payment",
                t.orders.c.provider_payment_id.is_not(None),
            )
        ).scalar_one()
        attempts = connection.execute(select(func.count()).select_from(t.payment_attempts))
        attempts_n = attempts.scalar_one()
    if pending != expected or attempts_n != expected + prefix_count:
        raise BenchFailure(
            f"checkout: {expected} orders answered 201, {pending} pending with a payment, "
            f"{attempts_n - prefix_count} payment attempts"
        )


# -- scenarios ----------------------------------------------------------------------------------


def run_webhook_scenarios(
    storage: str, url: str, workdir: Path, args: argparse.Namespace
) -> tuple[list[Row], float]:
    """Scenarios 1, 1b and 3; the floor (on the same storage) runs before and after scenario 1."""
    factory = prepare(url)
    count = args.events
    inline = pending_orders(factory, f"in{storage[:2]}", count + WARMUP)
    orders = pending_orders(factory, f"wh{storage[:2]}", count + WARMUP)
    factory.engine.dispose()
    with contextlib.ExitStack() as stack:
        floor = None
        if "1" in args.only:
            floor = Floor(url, workdir, args.workers, count, storage)
            stack.enter_context(floor.server)
        return _webhook_scenarios(storage, url, workdir, args, floor, inline, orders)


def _webhook_scenarios(
    storage: str,
    url: str,
    workdir: Path,
    args: argparse.Namespace,
    floor: Floor | None,
    inline: list[Order],
    orders: list[Order],
) -> tuple[list[Row], float]:
    rows: list[Row] = []
    peak = 0.0
    if floor is not None:
        rows.append(floor.measure("before", args.duration))
        print(table(rows), flush=True)
    if "1b" in args.only:
        # The embedded default (BILLING_TASK_BROKER=inline): the invoice renders in the request.
        name = f"webhooks-inline-{storage}"
        with billing_server(url, "stripe", workdir, args.workers, name, {}) as server:
            row = sync_webhooks(server, url, inline, workdir, args, storage, "inline")
            rows.append(row)
        peak = server.peak_rss_mb
        print(table(rows), flush=True)
    queued = redis_available()
    env = {"BILLING_TASK_BROKER": REDIS_URL, "BILLING_TASK_NAMESPACE": NAMESPACE} if queued else {}
    with billing_server(url, "stripe", workdir, args.workers, f"webhooks-{storage}", env) as server:
        if "1" in args.only and queued:
            try:
                row = sync_webhooks(server, url, orders, workdir, args, storage, "redis")
            finally:
                forget_queued_jobs()
            rows.append(row)
            print(table(rows), flush=True)
        if floor is not None:  # the billing server idles meanwhile
            rows.append(floor.measure("after", args.duration))
            print(table(rows), flush=True)
        if "3" in args.only:
            resources = _fixtures()
            # The first order's event was processed during the warm-up (or is processed now).
            order = orders[0]
            now = int(time.time())
            once = signed_webhook(succeeded_event(order, resources, now), now)
            load(server, [once], workdir, args.duration)
            before = order_footprint(url, order.id)
            profile = f"duplicate-storm-{storage}" if args.profile else None
            result = load(server, [once] * STORM, workdir, 300.0, profile=profile, paired=True)
            after = order_footprint(url, order.id)
            if result["requests"] != STORM or set(result["by_status"]) != {"200"}:
                raise BenchFailure(f"duplicate storm: {result['requests']} sent, "
                                   f"statuses {result['by_status']}")  # fmt: skip
            if before != after or before[0] != ("processed", 1):
                raise BenchFailure(f"duplicate storm: event/order changed {before} → {after}")
            row = row_from("3 duplicate storm", storage, result)
            row.note = f"{STORM} x one event: processed once (attempts 1), nothing changed"
            rows.append(row)
        if queued:
            forget_queued_jobs()
        server.read_peak_rss()
    return rows, max(peak, server.peak_rss_mb)


def sync_webhooks(
    server: Server,
    url: str,
    orders: list[Order],
    workdir: Path,
    args: argparse.Namespace,
    storage: str,
    jobs: str,
) -> Row:
    """Scenario 1: one distinct signed event per pending order, each paying it."""
    resources = _fixtures()
    now = int(time.time())
    requests = [signed_webhook(succeeded_event(o, resources, now), now) for o in orders]
    profile = f"webhook-sync-{jobs}-{storage}" if args.profile else None
    result = load(
        server, requests, workdir, args.duration, warmup=WARMUP, profile=profile, paired=True
    )
    statuses = result["statuses"]
    sent = [o.id for o, s in zip(orders, statuses, strict=True) if s is not None]
    if any(s not in (None, 200) for s in statuses):
        raise BenchFailure(f"webhook sync: statuses {result['by_status']}")
    check_paid(url, sent)
    if jobs == "redis":
        row = row_from("1 webhook sync", storage, result)
        how = "render job queued (Redis broker)"
    else:
        row = row_from("1b webhook sync, inline jobs", storage, result)
        how = "invoice PDF rendered in the request (BILLING_TASK_BROKER=inline)"
    row.note = f"{len(sent) - WARMUP} distinct events, all paid, one invoice number each; {how}"
    return row


def run_growth(url: str, stored: int, workdir: Path, args: argparse.Namespace) -> Row:
    """Scenario 1 after ``stored`` orders and as many settled journal rows are already in the
    database: the paying path's statements find their rows by index, so it should not slow."""
    factory = prepare(url)
    at = datetime.now(UTC)
    for start in range(0, stored, 10_000):  # in batches: one transaction each
        batch = bench_orders(f"st{start // 10_000:03d}", min(10_000, stored - start))
        store_orders(factory, batch)
        events = [
            mapping.WEBHOOKS.record(
                WebhookEvent(
                    id=f"evt_{o.id}",
                    type="payment_intent.succeeded",
                    payload=json.dumps({"id": f"evt_{o.id}", "object": "event"}),
                    received_at=at,
                    status=WebhookStatus.PROCESSED,
                    attempts=1,
                    order_id=o.id,
                    processed_at=at,
                )
            )
            for o in batch
        ]
        with factory() as uow:
            uow.transaction.connection().execute(t.webhook_events.insert(), events)
            uow.commit()
    orders = pending_orders(factory, "gr", args.events + WARMUP)
    with factory.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    factory.engine.dispose()
    env = {"BILLING_TASK_BROKER": REDIS_URL, "BILLING_TASK_NAMESPACE": NAMESPACE}
    name = f"growth-{stored}"
    before = table_scans(url)
    with billing_server(url, "stripe", workdir, args.workers, name, env) as server:
        try:
            row = sync_webhooks(server, url, orders, workdir, args, "postgresql", "redis")
        finally:
            forget_queued_jobs()
    time.sleep(1.5)  # the servers' backends have exited and flushed their statistics
    after = table_scans(url)
    scanned = {k: after[k][0] - before.get(k, (0, 0))[0] for k in after}
    by_index = sum(after[k][1] - before.get(k, (0, 0))[1] for k in after)
    full = ", ".join(f"{k} {n}" for k, n in scanned.items() if n) or "none"
    row.scenario = f"1 webhook sync, {stored:,} stored"
    row.note += f"; during the run: {by_index} index scans, sequential scans: {full}"
    return row


def table_scans(url: str) -> dict[str, tuple[int, int]]:
    """Per billing table: (sequential scans, index scans) so far (``pg_stat_user_tables``)."""
    with connected(url) as connection:
        rows = connection.execute(
            text(
                "SELECT relname, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables"
                " WHERE relname LIKE 'billing_%'"
            )
        ).all()
    return {name: (seq, idx) for name, seq, idx in rows}


def run_checkout_scenario(
    storage: str, url: str, workdir: Path, args: argparse.Namespace
) -> tuple[list[Row], float]:
    factory = prepare(url)
    factory.engine.dispose()
    with billing_server(url, "sandbox", workdir, args.workers, f"checkout-{storage}", {}) as server:
        prefix = f"bench-{storage}"
        requests = [guest_checkout(n, prefix) for n in range(args.events + WARMUP)]
        profile = f"checkout-{storage}" if args.profile else None
        result = load(
            server, requests, workdir, args.duration, warmup=WARMUP, profile=profile, paired=True
        )
        answered = [s for s in result["statuses"] if s is not None]
        if any(s != 201 for s in answered):
            raise BenchFailure(f"checkout: statuses {result['by_status']}")
        check_checkouts(url, len(answered), 0)
        row = row_from("4 guest checkout", storage, result)
        row.note = f"{result['requests']} orders pending with a sandbox PaymentIntent"
        server.read_peak_rss()
    return [row], server.peak_rss_mb


def run_async_scenario(
    storage: str, url: str, workdir: Path, args: argparse.Namespace, processes: int | None = None
) -> tuple[list[Row], float]:
    """Scenario 2: the endpoint verifies, journals and queues (``BILLING_WEBHOOK_MODE=async``,
    Redis broker); ``billing worker`` starts when the load ends and applies the batch."""
    factory = prepare(url)
    orders = pending_orders(factory, f"as{storage[:2]}", args.events + WARMUP)
    factory.engine.dispose()
    env = {
        "BILLING_WEBHOOK_MODE": "async",
        "BILLING_TASK_BROKER": REDIS_URL,
        "BILLING_TASK_NAMESPACE": NAMESPACE,
    }
    name = f"webhooks-async-{storage}"
    resources = _fixtures()
    now = int(time.time())
    requests = [signed_webhook(succeeded_event(o, resources, now), now) for o in orders]
    try:
        with billing_server(url, "stripe", workdir, args.workers, name, env) as server:
            profile = f"webhook-async-{storage}" if args.profile else None
            result = load(
                server,
                requests,
                workdir,
                args.duration,
                warmup=WARMUP,
                profile=profile,
                paired=True,
            )
            statuses = result["statuses"]
            if any(s not in (None, 200) for s in statuses):
                raise BenchFailure(f"webhook async: statuses {result['by_status']}")
            sent = [o.id for o, s in zip(orders, statuses, strict=True) if s is not None]
            queued = count_paid(url, sent)  # the endpoint applies nothing itself
            started = time.monotonic()
            worker_env = billing_env(url, "stripe", workdir, name, env)
            with billing_worker(worker_env, workdir, name, processes):
                while (paid := count_paid(url, sent)) < len(sent):
                    if time.monotonic() - started > ASYNC_DRAIN_TIMEOUT:
                        raise BenchFailure(
                            f"webhook async: {paid} of {len(sent)} orders paid after "
                            f"{ASYNC_DRAIN_TIMEOUT:.0f} s of billing worker"
                        )
                    time.sleep(0.2)
                drained = time.monotonic() - started
            server.read_peak_rss()
    finally:
        forget_queued_jobs()  # the render jobs the worker had not reached yet
    check_paid(url, sent)
    if queued:
        raise BenchFailure(f"webhook async: {queued} orders paid before any worker ran")
    row = row_from("2 webhook async", storage, result)
    if processes is not None:
        row.scenario = f"2 webhook async, worker --processes {processes}"
    row.extra["drained"] = len(sent) / drained
    row.note = (
        f"{len(sent) - WARMUP} distinct events (+{WARMUP} warm-up) answered 200 and queued; "
        f"`billing worker` started after the load paid all {len(sent)} in {drained:.1f} s "
        f"({len(sent) / drained:.0f} events/s), one invoice number each"
    )
    return [row], server.peak_rss_mb


def count_paid(url: str, order_ids: Sequence[str]) -> int:
    with connected(url) as connection:
        query = select(func.count()).where(
            t.orders.c.id.in_(order_ids), t.orders.c.status == "paid"
        )
        return int(connection.execute(query).scalar_one())


def run_render(count: int) -> Row:
    sys.path.insert(0, str(HERE))
    from bench_invoice_render import document

    from billing.adapters.invoices.pdf_renderer import WeasyPrintInvoiceRenderer

    renderer = WeasyPrintInvoiceRenderer()
    renderer.render(document(0))  # imports, fonts
    started = time.perf_counter()
    for n in range(1, count + 1):
        renderer.render(document(n))
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    return Row("5 invoice rendering", "-", count, round(rate, 1), note="PDFs/s, one process")


# -- report -------------------------------------------------------------------------------------


def judge(row: Row) -> None:
    target = TARGETS.get(row.scenario)
    parts, met = [], True
    if target is not None and row.storage == "postgresql":
        if target.ceiling is not None:
            parts.append(f"≥ {target.ceiling:.2f} of ceiling")
            met &= row.ratio is not None and row.ratio >= target.ceiling
        if target.floor is not None:
            parts.append(f"≥ {target.floor:.2f} of floor")
            met &= row.floor_ratio is not None and row.floor_ratio >= target.floor
        if target.floor_p99 is not None:
            floor_p99 = row.extra.get("floor_p99")
            parts.append(f"p99 ≤ {target.floor_p99:g}x floor's")
            met &= bool(floor_p99) and (row.p99 or 0.0) <= target.floor_p99 * floor_p99
        if target.cpu_ms is not None:
            parts.append(f"≤ {target.cpu_ms:g} ms CPU")
            met &= row.cpu_ms is not None and row.cpu_ms <= target.cpu_ms
        if target.drain is not None:
            parts.append(f"drain ≥ {target.drain:.2f} of floor")
            met &= row.extra.get("drain_ratio", 0.0) >= target.drain
    if row.scenario.startswith("5"):
        parts.append("≥ 8/s")
        met = row.rps >= 8
    if row.scenario.startswith("6"):
        parts.append("≤ 150 MB")
        met = row.rps <= 150
    row.target = ", ".join(parts) or "—"
    row.met = ("yes" if met else "**no**") if parts else ""


def table(rows: list[Row]) -> str:
    head = (
        "| scenario | storage | requests | req/s | p50 ms | p99 ms | ceiling req/s | ratio "
        "| floor ratio | target | met | worker CPU ms/req | note |"
    )
    lines = [head, "|" + "---|" * 13]

    def num(value: float | None, digits: int = 1) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    for r in rows:
        lines.append(
            f"| {r.scenario} | {r.storage} | {r.requests or '—'} | {num(r.rps)} | {num(r.p50)} "
            f"| {num(r.p99)} | {num(r.ceiling, 0)} | {num(r.ratio, 2)} | {num(r.floor_ratio, 2)} "
            f"| {r.target} | {r.met} | {num(r.cpu_ms, 2)} | {r.note} |"
        )
    return "\n".join(lines)


def write_results(report: str) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else f"# Benchmark results\n\n{BEGIN}\n{END}\n"
    if BEGIN not in old or END not in old:
        old = f"{old.rstrip()}\n\n{BEGIN}\n{END}\n"
    before, rest = old.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    RESULTS.write_text(f"{before}{BEGIN}\n{report}\n{END}{after}")


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--events", type=int, default=3000, help="distinct events / checkouts")
    parser.add_argument("--only", default=FULL, help="scenarios to run")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--growth",
        default="",
        help="comma-separated counts of orders (and journal rows) stored before scenario 1, "
        "e.g. 10000,40000,160000: the cost-growth table (PostgreSQL, Redis)",
    )
    parser.add_argument(
        "--drain",
        default="",
        help="comma-separated `billing worker --processes` counts, e.g. 1,2,4: scenario 2 once "
        "per count, for the worker's drain rate",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a few minutes: --duration 4 --events 2000 --only {QUICK} (unless given)",
    )
    args = parser.parse_args()
    if args.quick:
        given = set(sys.argv)
        args.duration = args.duration if "--duration" in given else 4.0
        args.events = args.events if "--events" in given else 2000
        args.only = args.only if "--only" in given else QUICK
    args.only = set(args.only.split(","))
    global CEILING
    started = time.monotonic()
    rows: list[Row] = []
    peak_rss = 0.0

    with (
        tempfile.TemporaryDirectory(prefix="billing-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        if "0" in args.only:
            CEILING = Ceiling(stack.enter_context(ceiling_server(workdir, args.workers)), workdir)
            result = CEILING.load(args.duration)
            rows.append(row_from("ceiling", "-", {**result, "ceiling_rps": result["rps"]}))
            rows[-1].note = "bare Flask: body, HMAC-SHA256, JSON; kept running, measured again "
            rows[-1].note += f"for {PAIRED_SECONDS:.0f} s before and after each scenario"
            print(table(rows), flush=True)

        storages: list[tuple[str, Callable[[], contextlib.AbstractContextManager[str]]]] = [
            ("postgresql", postgres_database)
        ]
        if "sqlite" in args.only:
            storages.append(("sqlite", lambda: sqlite_database(workdir)))
        for storage, database in storages:
            if args.only & {"1", "3"}:
                with database() as url:
                    found, rss = run_webhook_scenarios(storage, url, workdir, args)
                rows += found
                peak_rss = max(peak_rss, rss)
            if "2" in args.only and storage == "postgresql":
                if not redis_available():
                    raise BenchFailure(f"scenario 2 needs Redis at {REDIS_URL}")
                with database() as url:
                    found, rss = run_async_scenario(storage, url, workdir, args)
                rows += found
                peak_rss = max(peak_rss, rss)
            if "4" in args.only:
                with database() as url:
                    found, rss = run_checkout_scenario(storage, url, workdir, args)
                rows += found
                peak_rss = max(peak_rss, rss)
            print(table(rows), flush=True)
        for processes in [int(n) for n in args.drain.split(",") if n]:
            with postgres_database() as url:
                found, _ = run_async_scenario("postgresql", url, workdir, args, processes)
            rows += found
            print(table(rows), flush=True)
        for stored in [int(n) for n in args.growth.split(",") if n]:
            with postgres_database() as url:
                rows.append(run_growth(url, stored, workdir, args))
            print(table(rows), flush=True)
        if "5" in args.only:
            rows.append(run_render(30))
        if "6" in args.only and peak_rss:
            each = ", ".join(f"{name} {mb:.0f}" for name, mb in PEAK_RSS.items())
            note = f"MB (VmHWM), the highest of any worker; per server: {each}"
            rows.append(Row("6 worker peak RSS", "-", rps=round(peak_rss, 1), note=note))

    compare_with_floor(rows)
    for row in rows:
        judge(row)
    elapsed = time.monotonic() - started
    report = "\n".join(
        [
            f"Machine: {machine()}. Commit: {commit()}. "
            f"gunicorn sync workers: {args.workers}; load: {CONCURRENCY} connections "
            f"(benchmarks/loadgen.py); {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
            f"run took {elapsed:.0f} s{QUICK_NOTE if args.quick else ''}; "
            f"load average at the end {os.getloadavg()[0]:.1f}.",
            "",
            table(rows),
        ]
    )
    print()
    print(report)
    if not args.no_write:
        write_results(report)


if __name__ == "__main__":
    try:
        main()
    except BenchFailure as failure:
        print(f"BENCHMARK FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
