"""A small HTTP/1.1 load generator, run in its own process: N connections, latencies, statuses.

Usage: ``python benchmarks/loadgen.py REQUESTS.pickle --port P [--concurrency 16]
[--duration S] [--cycle] [--warmup N]``. The pickle holds a list of raw request bytes (request
line, headers and body, ready to send), so that generating load costs almost no CPU: no HTTP
library builds anything per request. Each connection takes the next request from the shared
list; without ``--cycle`` every request is sent once and the run ends when the list is done or
``--duration`` has passed, whichever comes first. The first ``--warmup`` requests are sent
before the clock starts and are not counted.

gunicorn's sync workers close the connection after each response, so a connection is opened
per request when the server asks for it (``Connection: close``), and kept otherwise.

Prints one JSON object on stdout: requests, seconds, requests/s, p50/p99/max in milliseconds,
the count per status, and per request index its status (``statuses``) so that the caller can
check what each request did.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import sys
import time
from collections import Counter
from pathlib import Path


class Connection:
    """One keep-alive (when the server allows it) HTTP/1.1 connection on loopback."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        assert self._writer is not None
        self._writer.write(raw)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self._reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _run(
    requests: list[bytes],
    port: int,
    concurrency: int,
    duration: float,
    cycle: bool,
    warmup: int,
) -> dict[str, object]:
    statuses: list[int | None] = [None] * len(requests)
    latencies: list[float] = []
    position = 0
    deadline = 0.0

    def next_index() -> int | None:
        nonlocal position
        if position >= len(requests):
            if not cycle:
                return None
            position = warmup
        index, position = position, position + 1
        return index

    async def worker(limit: int | None, measured: bool) -> None:
        connection = Connection("127.0.0.1", port)
        try:
            while True:
                if measured and time.perf_counter() >= deadline:
                    return
                if limit is not None and position >= limit:
                    return
                index = next_index()
                if index is None:
                    return
                started = time.perf_counter()
                try:
                    status, _ = await connection.send(requests[index])
                except (ConnectionError, asyncio.IncompleteReadError):
                    connection.close()
                    status = 599  # the connection failed: counted as a server error
                if measured:
                    latencies.append(time.perf_counter() - started)
                statuses[index] = status
        finally:
            connection.close()

    if warmup:
        await asyncio.gather(*(worker(warmup, False) for _ in range(min(concurrency, warmup))))
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(*(worker(None, True) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    counted = Counter(s for s in statuses[warmup:] if s is not None)
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(0.50), 2),
        "p99_ms": round(percentile(0.99), 2),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0.0,
        "by_status": {str(k): v for k, v in sorted(counted.items())},
        "warmup_statuses": [s for s in statuses[:warmup]],
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requests", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--cycle", action="store_true")
    parser.add_argument("--warmup", type=int, default=0)
    args = parser.parse_args()
    requests: list[bytes] = pickle.loads(args.requests.read_bytes())  # noqa: S301 - our own file
    result = asyncio.run(
        _run(requests, args.port, args.concurrency, args.duration, args.cycle, args.warmup)
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
