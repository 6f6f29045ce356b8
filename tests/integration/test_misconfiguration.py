"""A new operator's mistakes stop ``billing serve`` (and ``worker``, ``db upgrade``) with one
line naming the setting and the fix, exit 2, never a traceback: run as real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

BILLING = [sys.executable, "-c", "from billing.entrypoints.cli import main; main()"]


def billing(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "STRIPE_"))}
    return subprocess.run(  # noqa: S603 - our own interpreter
        [*BILLING, *args],
        env={**clean, "BILLING_SECRET_KEY": "k" * 32, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused start printed (and nothing else went wrong)."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("billing: ")
    return lines[0]


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("garbage", "is not a database URL: 'garbage'"),
        ("mysql://u@127.0.0.1/shop", "mysql databases are not supported"),
        ("postgresql+psycopg2://u@127.0.0.1/shop", "the psycopg2 driver of postgresql"),
        ("postgresql://u@no-such-host.invalid/shop", "the host no-such-host.invalid is not known"),
        ("postgresql://u@127.0.0.1:1/shop", "nothing answers on 127.0.0.1:1"),
        ("sqlite:////proc/billing/b.db", "cannot create /proc/billing/b.db"),
    ],
)
def test_a_wrong_database_url_is_one_line_naming_it(
    url: str, words: str, tmp_path: Path, free_port: int
) -> None:
    done = billing(["serve", "--port", str(free_port)], {"BILLING_DATABASE_URL": url}, tmp_path)

    line = refusal(done)
    assert line.startswith("billing: BILLING_DATABASE_URL: ")
    assert words in line


@pytest.fixture
def server(postgres_url: str) -> str:
    return make_url(postgres_url).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"database": "no_such_billing_db"}, "has no database no_such_billing_db"),
        ({"username": "no_such_role"}, "refused the user or password"),
    ],
)
def test_a_database_that_answers_no_is_told_apart_from_one_that_is_down(
    server: str, change: dict[str, str], words: str, tmp_path: Path, free_port: int
) -> None:
    url = make_url(server).set(**change).render_as_string(hide_password=False)

    for command in (["serve", "--port", str(free_port)], ["db", "upgrade"]):
        line = refusal(billing(command, {"BILLING_DATABASE_URL": url}, tmp_path))
        assert words in line
        assert "cannot be reached" not in line


def test_a_busy_port_names_what_holds_it_and_how_to_choose_another(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {"BILLING_DATABASE_URL": f"sqlite:///{tmp_path}/b.db"}

        line = refusal(billing(["serve", "--port", str(port)], env, tmp_path))

    assert line.startswith(f"billing: --port: 127.0.0.1:{port} is in use by pid {os.getpid()}")
    assert f"--port {port + 1}" in line
    assert f"make run PORT={port + 1}" in line


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BILLING_PAYMENT_PROVIDER": "stripe"}, "STRIPE_SECRET_KEY"),
        (
            {"BILLING_PAYMENT_PROVIDER": "sandbox", "STRIPE_SECRET_KEY": "sk_live_k"},
            "BILLING_PAYMENT_PROVIDER",
        ),
        ({"BILLING_TASK_STALE_SECONDS": "soon"}, "BILLING_TASK_STALE_SECONDS"),
        # Real payments need the deployment's secret: never the installation's own file.
        ({"STRIPE_SECRET_KEY": "sk_test_k", "BILLING_SECRET_KEY": ""}, "BILLING_SECRET_KEY"),
        # Real invoices name their seller (issue 19): every missing setting on one line.
        (
            {"STRIPE_SECRET_KEY": "sk_test_k", "BILLING_SELLER_NAME": "Dupont SAS"},
            "BILLING_SELLER_ADDRESS, BILLING_SELLER_TAX_ID or BILLING_SELLER_SIREN",
        ),
    ],
)
def test_unsafe_or_invalid_settings_stop_serve_and_worker_alike(
    env: dict[str, str], variable: str, tmp_path: Path, free_port: int
) -> None:
    for command in (["serve", "--port", str(free_port)], ["worker", "--processes", "1"]):
        line = refusal(billing(command, env, tmp_path))
        assert line.startswith(f"billing: {variable}: ")
