"""``docs/RELIABILITY.md`` cannot drift from the suite.

Every test named in its table must exist (collected by pytest, parameters included), and every
test of ``tests/reliability/`` must be named by some row (by its full node id, or with any of
its parameters).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "RELIABILITY.md"
NODE = re.compile(r"`(tests/[\w/]+\.py::[^`]+)`")


def _named() -> list[str]:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| ")]
    return [found for row in rows for found in NODE.findall(row)]


def _collected(paths: set[str]) -> set[str]:
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(  # noqa: S603 - our own interpreter and test paths
        [*command, *sorted(paths)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line.strip() for line in done.stdout.splitlines() if "::" in line}


def test_every_row_names_a_test_that_exists_and_every_test_has_a_row() -> None:
    named = _named()
    files = {node.split("::")[0] for node in named} | {"tests/reliability"}
    collected = _collected(files)

    functions = collected | {node.split("[")[0] for node in collected}
    missing = [node for node in named if node not in functions]
    assert missing == [], "RELIABILITY.md names tests that do not exist"
    ours = {node for node in collected if node.startswith("tests/reliability/")}
    covered = set(named) | {node.split("[")[0] for node in named}
    unlisted = sorted(
        node for node in ours if node not in covered and node.split("[")[0] not in covered
    )
    assert unlisted == [], "tests of tests/reliability/ without a row in RELIABILITY.md"
    assert len({n for n in named if "webhook_catalogue" in n}) >= 25
