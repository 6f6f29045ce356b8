"""The floor: a hand-written paying webhook with the billing service's guarantees, no layers.

Bare Flask + psycopg 3, one connection per gunicorn worker (opened on its first request), its
own ``floor_*`` tables in the bench database (``schema()``; ``seed()`` stores pending orders).
With ``FLOOR_DATABASE_URL=sqlite:///path`` the same on SQLite (the embedded default's floor):
``sqlite3``, the write lock taken by ``BEGIN IMMEDIATE`` (no ``FOR UPDATE``), write-ahead
journal, foreign keys on, a 30 s busy timeout, as ``adapters/sql/engine.py`` sets SQLite up.
A delivery: check the Stripe-style HMAC-SHA256 signature in constant time, parse the JSON, then
in ONE durable transaction (``synchronous_commit`` as the server has it, on by default):

1. journal the event: ``INSERT … ON CONFLICT (id) DO NOTHING RETURNING`` (journal and claim in
   one statement: no row back is a duplicate, answered 200 without any other write);
2. lock the order ``SELECT … FOR UPDATE``; check its status, amount and currency;
3. mark it paid, insert its transition, its entitlements (one per item) and an outbox job;
4. settle the journal row (``processed``);
5. ``UPDATE floor_counters SET next = next + 1 … RETURNING next``: the gap-free invoice number,
   its row held until COMMIT as the service holds its counter; insert the invoice row; COMMIT.

So the floor is what durable, gap-free, exactly-once paying costs in Python on this machine.
``check(url, order_ids)`` verifies a run: every order paid, one invoice each, the numbers
distinct and gap-free (1…n over the whole series).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any

import psycopg
from flask import Flask, jsonify, request

SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_bench").encode()
DSN = os.environ.get("FLOOR_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/billing_bench")
SERIES = "F"

SCHEMA = """
CREATE TABLE IF NOT EXISTS floor_orders (
    id text PRIMARY KEY, status text NOT NULL, currency char(3) NOT NULL,
    total bigint NOT NULL, amount_paid bigint NOT NULL DEFAULT 0,
    provider_payment_id text UNIQUE, customer_email text NOT NULL,
    transitions integer NOT NULL, items jsonb NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS floor_order_transitions (
    order_id text NOT NULL REFERENCES floor_orders (id), seq integer NOT NULL,
    from_status text NOT NULL, to_status text NOT NULL, cause text NOT NULL,
    at timestamptz NOT NULL, PRIMARY KEY (order_id, seq));
CREATE TABLE IF NOT EXISTS floor_entitlements (
    id text PRIMARY KEY, key text NOT NULL, order_id text NOT NULL REFERENCES floor_orders (id),
    customer_email text NOT NULL, granted_at timestamptz NOT NULL, UNIQUE (order_id, key));
CREATE TABLE IF NOT EXISTS floor_outbox_jobs (
    id text PRIMARY KEY, task text NOT NULL, params text NOT NULL, status text NOT NULL,
    created_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS floor_webhook_events (
    id text PRIMARY KEY, type text NOT NULL, status text NOT NULL, payload text NOT NULL,
    attempts integer NOT NULL, order_id text, last_error text,
    received_at timestamptz NOT NULL, processed_at timestamptz);
CREATE TABLE IF NOT EXISTS floor_counters (series text PRIMARY KEY, next integer NOT NULL);
CREATE TABLE IF NOT EXISTS floor_invoices (
    id text PRIMARY KEY, series text NOT NULL, sequence integer NOT NULL,
    order_id text NOT NULL REFERENCES floor_orders (id), created_at timestamptz NOT NULL,
    UNIQUE (series, sequence));
INSERT INTO floor_counters VALUES ('F', 0) ON CONFLICT DO NOTHING;
"""

app = Flask("floor")
_connection: tuple[int, Any] | None = None
_SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def _is_sqlite(dsn: str) -> bool:
    return dsn.startswith("sqlite:")


def _open(dsn: str) -> Any:
    if not _is_sqlite(dsn):
        return psycopg.connect(dsn)
    conn = sqlite3.connect(dsn.removeprefix("sqlite:///"), isolation_level=None, timeout=30.0)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    return conn


@functools.cache
def q(text: str, sqlite: bool = _is_sqlite(DSN)) -> str:
    """A statement as written here (PostgreSQL's), or its SQLite spelling."""
    if not sqlite:
        return text
    return text.replace("%s", "?").replace("now()", _SQLITE_NOW).replace(" FOR UPDATE", "")


def connection() -> Any:
    """This worker's one connection (made after the fork, on the first request)."""
    global _connection
    closed = _connection is not None and getattr(_connection[1], "closed", False)  # psycopg's
    if _connection is None or _connection[0] != os.getpid() or closed:
        _connection = (os.getpid(), _open(DSN))
    return _connection[1]


@contextmanager
def transaction(conn: Any) -> Iterator[Any]:
    """A cursor in one durable transaction; on SQLite the write lock is taken at its start."""
    if not isinstance(conn, sqlite3.Connection):
        with conn.transaction(), conn.cursor() as cur:
            yield cur
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        with closing(conn.cursor()) as cur:
            yield cur
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@app.post("/billing/webhooks/stripe/")
def webhook() -> tuple[object, int]:
    body = request.get_data(cache=False)
    header = request.headers.get("Stripe-Signature", "")
    fields = dict(item.partition("=")[::2] for item in header.split(","))
    signed = fields.get("t", "").encode() + b"." + body
    expected = hmac.new(SECRET, signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("v1", "")):
        return jsonify({"code": "invalid_signature"}), 400
    event = json.loads(body)
    intent = event["data"]["object"]
    order_id = intent["metadata"]["order_id"]
    outcome = pay(event["id"], event["type"], body.decode(), order_id, intent)
    return jsonify({"event_id": event["id"], "outcome": outcome}), 200


def pay(event_id: str, kind: str, payload: str, order_id: str, intent: dict[str, Any]) -> str:
    with transaction(connection()) as cur:
        cur.execute(
            q(
                "INSERT INTO floor_webhook_events (id, type, status, payload, attempts, order_id,"
                " received_at) VALUES (%s, %s, 'processing', %s, 1, %s, now())"
                " ON CONFLICT (id) DO NOTHING RETURNING id"
            ),
            (event_id, kind, payload, order_id),
        )
        if cur.fetchone() is None:
            return "duplicate"
        cur.execute(
            q(
                "SELECT status, currency, total, transitions, customer_email, items"
                " FROM floor_orders WHERE id = %s FOR UPDATE"
            ),
            (order_id,),
        )
        row = cur.fetchone()
        if row is None:
            return settle(cur, event_id, "ignored", "unknown_payment")
        status, currency, total, seq, email, items = row
        items = json.loads(items) if isinstance(items, str) else items  # SQLite: JSON text
        if status != "pending_payment":
            return settle(cur, event_id, "ignored", "stale")
        amount = intent["amount_received"]
        if amount != total or intent["currency"].upper() != currency:
            return settle(cur, event_id, "failed", "amount_mismatch")
        cur.execute(
            q(
                "UPDATE floor_orders SET status = 'paid', amount_paid = %s, transitions = %s,"
                " provider_payment_id = %s, updated_at = now() WHERE id = %s"
            ),
            (amount, seq + 1, intent["id"], order_id),
        )
        cause = f"event:{event_id}"
        cur.execute(
            q("INSERT INTO floor_order_transitions VALUES (%s, %s, %s, 'paid', %s, now())"),
            (order_id, seq, status, cause),
        )
        keys = [item["entitlement_key"] for item in items if item.get("entitlement_key")]
        cur.executemany(
            q("INSERT INTO floor_entitlements VALUES (%s, %s, %s, %s, now())"),
            [(f"ent_{order_id}_{n}", key, order_id, email) for n, key in enumerate(keys)],
        )
        cur.execute(
            q("INSERT INTO floor_outbox_jobs VALUES (%s, 'render_invoice', %s, 'pending', now())"),
            (f"job_{order_id}", json.dumps({"order_id": order_id})),
        )
        settle(cur, event_id, "processed", None)
        cur.execute(
            q("UPDATE floor_counters SET next = next + 1 WHERE series = %s RETURNING next"),
            (SERIES,),
        )
        (number,) = cur.fetchone() or (None,)
        cur.execute(
            q("INSERT INTO floor_invoices VALUES (%s, %s, %s, %s, now())"),
            (f"inv_{order_id}", SERIES, number, order_id),
        )
    return "processed"


def settle(cur: Any, event_id: str, status: str, error: str | None) -> str:
    cur.execute(
        q(
            "UPDATE floor_webhook_events SET status = %s, last_error = %s, processed_at = now()"
            " WHERE id = %s"
        ),
        (status, error, event_id),
    )
    return status


# -- used by benchmarks/run.py -------------------------------------------------------------------


def schema(dsn: str) -> None:
    if _is_sqlite(dsn):
        with closing(_open(dsn)) as conn:
            conn.executescript(SCHEMA)
        return
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)


def seed(dsn: str, orders: Iterable[tuple[str, str, int, str, list[dict[str, Any]]]]) -> None:
    """Pending orders: (id, currency, total, e-mail, items with their entitlement keys)."""
    rows = [
        (order_id, "pending_payment", currency, total, email, 2, json.dumps(items))
        for order_id, currency, total, email, items in orders
    ]
    if _is_sqlite(dsn):
        with closing(_open(dsn)) as conn, transaction(conn) as cur:
            cur.executemany(
                q(
                    "INSERT INTO floor_orders (id, status, currency, total, customer_email,"
                    " transitions, items, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, now())",
                    True,
                ),
                rows,
            )
        return
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor() as cur,
        cur.copy(
            "COPY floor_orders (id, status, currency, total, customer_email, transitions,"
            " items, updated_at) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row((*row, "now"))


def check(dsn: str, order_ids: Sequence[str]) -> str | None:
    """None if every order is paid with one invoice and the series is gap-free; else why not."""
    with closing(_open(dsn)) as conn:
        statuses = dict(conn.execute("SELECT id, status FROM floor_orders").fetchall())
        invoices = conn.execute("SELECT order_id, sequence FROM floor_invoices").fetchall()
        (counter,) = conn.execute(
            q("SELECT next FROM floor_counters WHERE series = %s", _is_sqlite(dsn)), (SERIES,)
        ).fetchone() or (0,)
    per_order: dict[str, int] = {}
    for order_id, _ in invoices:
        per_order[order_id] = per_order.get(order_id, 0) + 1
    numbers = [sequence for _, sequence in invoices]
    unpaid = [oid for oid in order_ids if statuses.get(oid) != "paid"]
    if unpaid:
        return f"{len(unpaid)} order(s) not paid, e.g. {unpaid[:3]}"
    wrong = [oid for oid in order_ids if per_order.get(oid) != 1]
    if wrong:
        return f"not exactly one invoice per order, e.g. {wrong[:3]}"
    if sorted(numbers) != list(range(1, counter + 1)):
        return f"{len(numbers)} invoice numbers, counter at {counter}: not distinct and gap-free"
    return None
