"""``MEDIA_ROOT`` unusable while an invoice is rendered: the payment stands, the job waits.

The order is paid and its invoice number allocated in the payment's transaction; rendering is
an outbox job run after commit. With a media root that cannot be written (a file stands where
the directory should be — permissions mean nothing to root, which CI is), the job fails, is
kept with its error and retried after its backoff; once the root is usable again, the relay's
next pass renders the files under the number allocated before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import respx
from dependency_injector import providers

from billing.adapters.storage.filesystem import FilesystemArtifactStore
from billing.domain.outbox import OutboxStatus
from billing.domain.state import OrderStatus
from billing.services.jobs import RENDER_DOCUMENT

from .conftest import ADMIN, QUIET_HTTPX, StripeShop, make_stripe_shop

pytestmark = QUIET_HTTPX


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.write_text("a file where the media root should be")
    return root


@pytest.fixture
def filed(router: respx.MockRouter, media: Path) -> Iterator[StripeShop]:
    shop = make_stripe_shop(router)
    shop.container.artifact_store.override(providers.Object(FilesystemArtifactStore(media)))
    yield shop
    shop.container.unwire()


def test_an_unwritable_media_root_keeps_the_order_paid_and_the_job_retried(
    filed: StripeShop, media: Path
) -> None:
    shop = filed
    jobs = shop.container.job_service()
    relay = shop.container.job_relay()
    order_id, _, intent_id = shop.guest_order()

    paid = shop.pay(intent_id)

    assert (paid.status_code, paid.json["outcome"]) == (200, "processed")  # type: ignore[index]
    tables = shop.tables()
    assert tables.orders[order_id].status is OrderStatus.PAID
    [invoice] = tables.invoices.values()
    assert (invoice.number, invoice.rendered) == ("INV-2026-000001", False)
    [job] = jobs.list()
    assert (job.task, job.status, job.attempts) == (RENDER_DOCUMENT, OutboxStatus.PENDING, 1)
    assert "StorageUnavailable" in (job.last_error or "")
    health = shop.client.get("/billing/health/")
    assert (health.status_code, health.json["status"]) == (200, "ok")  # type: ignore[index]
    assert health.json["tasks"] == {"dead": 0, "backlog": 1}  # type: ignore[index]

    relay.relay_all()  # not due yet: the backoff holds it
    assert jobs.list()[0].attempts == 1
    shop.clock.advance(minutes=1)
    relay.relay_all()  # due: tried again, fails again
    [again] = jobs.list()
    assert (again.status, again.attempts) == (OutboxStatus.PENDING, 2)

    media.unlink()  # the operator fixes the volume
    shop.clock.advance(minutes=5)
    relay.relay_all()

    [done] = jobs.list()
    assert (done.status, done.attempts) == (OutboxStatus.DONE, 3)
    after = shop.tables()
    [rendered] = after.invoices.values()
    assert (rendered.id, rendered.number, rendered.rendered) == (invoice.id, invoice.number, True)
    assert after.orders[order_id].status is OrderStatus.PAID
    files = sorted(p.name for p in media.rglob("*") if p.is_file())
    assert files == ["INV-2026-000001.html", "INV-2026-000001.pdf"]
    pdf = shop.client.get(
        f"/billing/orders/{order_id}/documents/{invoice.id}.pdf",
        headers=ADMIN,
    )
    assert pdf.status_code == 200
    healed = shop.client.get("/billing/health/")
    assert healed.json["tasks"] == {"dead": 0, "backlog": 0}  # type: ignore[index]
