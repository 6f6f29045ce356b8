"""Scenarios 1, 3 and 4 in one process, without gunicorn or a load generator: CPU and
statements per request.

``python benchmarks/inprocess.py [--scenario paid|ingest|duplicate|checkout] [--events N]
[--profile cprofile|pyinstrument]`` builds the app as a ``billing serve`` worker does
(``serve_app()``) in a fresh PostgreSQL database of its own (``billing_bench_inproc_<pid>``,
dropped after: two runs at once do not clash) and posts through Flask's test client:

- ``paid`` (scenario 1, the default): Stripe provider, Redis broker; N pending orders stored,
  one signed ``payment_intent.succeeded`` per order;
- ``ingest`` (scenario 2's endpoint): the same, ``BILLING_WEBHOOK_MODE=async``: each event
  journaled and queued, none applied;
- ``drain`` (scenario 2's worker): the same events ingested first (not measured), then each
  ``process_webhook_event`` job run as a ``billing worker`` thread runs it (``JobService.run``);
- ``duplicate`` (scenario 3): the same app; one order's event processed, then sent N times;
- ``checkout`` (scenario 4): sandbox provider; N guest checkouts, one ``Idempotency-Key`` each.

It checks the outcome as ``run.py`` does and prints the process CPU time and the SQL
statements (and transactions) per request. One process and no concurrency: the figures move
little with the machine's load, so they compare two versions of the code better than a shared
machine's requests per second do; ``--callgrind`` (under valgrind) counts instructions, which
do not move at all.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402 - the harness's helpers
from sqlalchemy import Engine, create_engine, event, text  # noqa: E402

#: Named after the process, so that two runs at once each have their own.
DATABASE = f"billing_bench_inproc_{os.getpid()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario", choices=("paid", "ingest", "drain", "duplicate", "checkout"), default="paid"
    )
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--profile", choices=("cprofile", "pyinstrument"))
    parser.add_argument("--profile-out", type=Path, help="also dump the cProfile stats there")
    parser.add_argument("--show-sql", action="store_true", help="print one event's statements")
    parser.add_argument("--floor", action="store_true", help="the hand-written floor instead")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind --tool=callgrind --instr-atstart=no: count only the measured loop",
    )
    args = parser.parse_args()
    admin = create_engine(run.ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    url = admin.url.set(database=DATABASE).render_as_string(hide_password=False)
    try:
        measure(url, args)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        admin.dispose()


def measure(url: str, args: argparse.Namespace) -> None:
    factory = run.prepare(url)
    orders: list[Any] = []
    if args.floor:
        floor = run.Floor(url, Path("/tmp"), 1, args.events, "postgresql")  # noqa: S108 - no server started
        orders = floor.batches[0]
        floor.app.DSN = floor.dsn
        floor.app.SECRET = run.WEBHOOK_SECRET.encode()
        app: Any = floor.app.app
    elif args.scenario != "checkout":
        count = 1 if args.scenario == "duplicate" else args.events + run.WARMUP + args.show_sql
        orders = run.pending_orders(factory, "ip", count)
    factory.engine.dispose()
    if not args.floor:
        provider = "sandbox" if args.scenario == "checkout" else "stripe"
        env = run.billing_env(url, provider, Path("/tmp"), "inprocess", {})  # noqa: S108
        if provider == "stripe":
            env["BILLING_TASK_BROKER"] = run.REDIS_URL
            env["BILLING_TASK_NAMESPACE"] = run.NAMESPACE
        if args.scenario in ("ingest", "drain"):
            env["BILLING_WEBHOOK_MODE"] = "async"
        os.environ.clear()
        os.environ.update(env)
        from billing.entrypoints.flask_app import serve_app
        from billing.entrypoints.mounting import mount_of

        app = serve_app()
    client = app.test_client()
    now = int(time.time())
    statements: list[str] = []

    @event.listens_for(Engine, "before_cursor_execute")
    def count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    @event.listens_for(Engine, "commit")
    def commits(_c: Any) -> None:
        statements.append("COMMIT")

    def post_webhook(body: bytes) -> None:
        header = run.stripe.WebhookSignature.generate_signature_header(
            body.decode(), run.WEBHOOK_SECRET, now
        )
        answer = client.post(
            "/billing/webhooks/stripe/",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        assert answer.status_code == 200, answer.get_data()

    def post_checkout(body: bytes) -> None:
        key = hashlib.sha256(body).hexdigest()
        answer = client.post(
            "/billing/checkout/",
            data=body,
            headers={"Idempotency-Key": key, "Content-Type": "application/json"},
        )
        assert answer.status_code == 201, answer.get_data()

    post: Callable[[Any], object] = post_webhook
    if args.scenario == "checkout":
        post = post_checkout
        bodies = [checkout_body(n) for n in range(args.events + run.WARMUP + args.show_sql)]
    elif args.scenario == "duplicate":
        once = run.succeeded_event(orders[0], run._fixtures(), now)
        bodies = [once] * (args.events + run.WARMUP + args.show_sql)
    else:
        resources = run._fixtures()
        bodies = [run.succeeded_event(o, resources, now) for o in orders]
    if args.scenario == "drain":  # the events are journaled and queued; the jobs are measured
        for body in bodies:
            post(body)
        run.forget_queued_jobs()
        statements.clear()
        container = mount_of(app).container
        bodies = _queued_jobs(url)
        post = container.job_service().run
    for body in bodies[: run.WARMUP]:
        post(body)
    # Counted on the warm-up's requests only: while anything listens to the engine's
    # statements they all go through SQLAlchemy (adapters/sql_common/prebuilt.py), so the measured
    # loop runs without the listeners.
    warmup_statements = Counter(statements)
    statements.clear()
    if args.show_sql:
        post(bodies[run.WARMUP])
        print("\n".join(statements))
        statements.clear()
        bodies = bodies[1:]
    event.remove(Engine, "before_cursor_execute", count)
    event.remove(Engine, "commit", commits)
    measured = bodies[run.WARMUP : run.WARMUP + args.events]
    profiler: Any = None
    if args.profile == "cprofile":
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, not the waits on PostgreSQL
    elif args.profile == "pyinstrument":
        import pyinstrument

        profiler = pyinstrument.Profiler(interval=0.0005)
    if args.callgrind:
        callgrind("on")
    cpu, wall = time.process_time(), time.perf_counter()
    with profiler if profiler is not None else contextlib.nullcontext():
        for body in measured:
            post(body)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if args.callgrind:
        callgrind("off")
    n = len(measured)
    check(url, args, orders[: run.WARMUP + n + args.show_sql], floor if args.floor else None)
    what = {
        "paid": "paid events",
        "ingest": "queued events",
        "drain": "events applied by their job",
        "duplicate": "duplicates",
        "checkout": "checkouts",
    }
    w = run.WARMUP
    print(
        f"{n} {what[args.scenario]}: {1000 * cpu / n:.2f} ms CPU and {1000 * wall / n:.2f} ms "
        "wall each; "
        f"{warmup_statements.total() / w:.1f} statements each, counted on the warm-up ("
        + ", ".join(f"{k} {v / w:.1f}" for k, v in warmup_statements.most_common())
        + ")"
    )
    if args.profile == "cprofile":
        import pstats

        stats = pstats.Stats(profiler)
        if args.profile_out is not None:
            stats.dump_stats(args.profile_out)
        print(by_package(stats))
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    elif args.profile == "pyinstrument":
        print(profiler.output_text(unicode=True, show_all=False))


def checkout_body(n: int) -> bytes:
    """One guest's checkout of one ebook (``run.guest_checkout``'s body)."""
    items = [{"sku": "ebook-python", "quantity": 1}]
    return json.dumps({"items": items, "email": f"guest{n}@example.com"}).encode()


def check(url: str, args: argparse.Namespace, orders: list[Any], floor: Any) -> None:
    """The outcome ``run.py`` checks after the same scenario."""
    if floor is not None:
        wrong = floor.app.check(floor.dsn, [o.id for o in orders])
        assert wrong is None, wrong
    elif args.scenario == "checkout":
        run.check_checkouts(url, run.WARMUP + args.events + args.show_sql, 0)
    elif args.scenario == "duplicate":
        run.forget_queued_jobs()
        footprint = run.order_footprint(url, orders[0].id)
        assert footprint[0] == ("processed", 1), footprint
    elif args.scenario == "ingest":  # journaled and queued, none applied (no worker runs)
        run.forget_queued_jobs()
        assert run.count_paid(url, [o.id for o in orders]) == 0
        assert _journaled(url) == len(orders)
    else:
        run.forget_queued_jobs()
        run.check_paid(url, [o.id for o in orders])


def _queued_jobs(url: str) -> list[str]:
    """The ids of the outbox's ``process_webhook_event`` jobs, in the order they were queued."""
    with run.connected(url) as connection:
        rows = connection.execute(
            text(
                "SELECT id FROM billing_outbox_jobs WHERE task = 'process_webhook_event'"
                " ORDER BY created_at, id"
            )
        )
        return [row.id for row in rows]


def _journaled(url: str) -> int:
    with run.connected(url) as connection:
        return int(
            connection.execute(text("SELECT count(*) FROM billing_webhook_events")).scalar_one()
        )


def by_package(stats: Any) -> str:
    """Own time per top-level package (billing's by subpackage): where the CPU goes."""
    own: dict[str, float] = {}
    for (path, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        if "site-packages/" in path:
            package = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/src/billing/" in path:
            package = "billing." + path.split("/src/billing/", 1)[1].split("/", 1)[0]
        elif path.startswith("~") or path.startswith("<"):
            package = "builtins (C)"
        else:
            package = "stdlib: " + Path(path).stem
        own[package] = own.get(package, 0.0) + tottime
    total = sum(own.values())
    lines = [
        f"{100 * t / total:5.1f}%  {name}" for name, t in sorted(own.items(), key=lambda kv: -kv[1])
    ]
    return "own time by package:\n" + "\n".join(lines[:25])


def callgrind(state: str) -> None:
    """Switch callgrind's instrumentation of this process: instructions are counted only while
    it is on, and do not depend on what else the machine runs (unlike CPU time)."""
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True)  # noqa: S603, S607


if __name__ == "__main__":
    main()
