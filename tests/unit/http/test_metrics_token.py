"""``BILLING_METRICS_TOKEN``: when set, only a scraper presenting it reads ``/billing/metrics``."""

from __future__ import annotations

import attrs

from .conftest import SETTINGS, make_shop

TOKEN = "metrics-token-for-tests-0123456789"


def test_without_a_token_the_metrics_are_open() -> None:
    shop = make_shop()

    assert shop.client.get("/billing/metrics").status_code == 200


def test_with_a_token_only_its_bearer_reads_them() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, metrics_token=TOKEN))

    anonymous = shop.client.get("/billing/metrics")
    wrong = shop.client.get("/billing/metrics", headers={"Authorization": "Bearer nope"})
    scraper = shop.client.get("/billing/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert anonymous.status_code == 401
    assert anonymous.json["code"] == "authentication_required"
    assert wrong.status_code == 401
    assert scraper.status_code == 200
    assert "billing_webhook_backlog" in scraper.text
