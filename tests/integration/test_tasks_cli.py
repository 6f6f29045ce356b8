"""``billing tasks list --dead`` shows jobs that exhausted their retries; ``retry`` re-queues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
from click.testing import CliRunner

from billing.adapters.sql import SqlUnitOfWorkFactory, upgrade
from billing.domain.outbox import OutboxJob, OutboxStatus
from billing.entrypoints.cli import main

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_a_dead_job_is_listed_then_retried(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    upgrade(url)
    dead = attrs.evolve(
        OutboxJob.new("job_1", "render_document", {"artifact_id": "doc_1"}, AT, timedelta(0)),
        status=OutboxStatus.DEAD,
        attempts=8,
        last_error="StorageUnavailable: media root not writable",
    )
    factory = SqlUnitOfWorkFactory.from_url(url)
    with factory() as uow:
        uow.outbox.add(dead)
        uow.commit()
    env = {"BILLING_DATABASE_URL": url, "BILLING_PAYMENT_PROVIDER": "fake"}

    listed = CliRunner().invoke(main, ["tasks", "list", "--dead"], env=env)
    retried = CliRunner().invoke(main, ["tasks", "retry", "job_1"], env=env)
    unknown = CliRunner().invoke(main, ["tasks", "retry", "job_404"], env=env)

    assert listed.exit_code == 0, listed.output
    assert "job_1\trender_document\tdead\t8" in listed.output
    assert "media root not writable" in listed.output
    assert retried.exit_code == 0, retried.output
    assert "job_1\trender_document\tpending" in retried.output
    assert unknown.exit_code == 1
    with factory() as uow:
        job = uow.outbox.get("job_1")
    assert (job.status, job.attempts) == (OutboxStatus.PENDING, 0)
