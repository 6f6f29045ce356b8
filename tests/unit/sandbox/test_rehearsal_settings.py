"""The sandbox's rehearsal knobs: read from the environment (all off by default) and wired into
the deliverer and its worker-thread queue."""

from __future__ import annotations

import pytest

from billing.adapters.sandbox import Rehearsal
from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.container import build_container
from billing.entrypoints.settings import Settings

KNOBS = {
    "BILLING_PAYMENT_PROVIDER": "sandbox",
    "BILLING_STORAGE": "memory",
    "BILLING_SANDBOX_DUPLICATE_DELIVERIES": "true",
    "BILLING_SANDBOX_SHUFFLE_DELIVERIES": "true",
    "BILLING_SANDBOX_DELIVERY_DELAY_MS": "250",
    "BILLING_SANDBOX_FAILURE_PERCENT": "30",
}


def test_the_rehearsal_knobs_are_off_by_default() -> None:
    container = build_container(Settings.from_env({"BILLING_STORAGE": "memory"}))

    assert container.sandbox_deliverer().rehearsal == Rehearsal()


def test_the_rehearsal_knobs_reach_the_deliverer() -> None:
    container = build_container(Settings.from_env(KNOBS))

    deliverer = container.sandbox_deliverer()

    assert deliverer.rehearsal == Rehearsal(
        duplicate=True, shuffle=True, max_delay=0.25, failure_rate=0.3
    )
    assert sorted(deliverer.arrange(list(range(20)))) == list(range(20))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BILLING_SANDBOX_SHUFFLE_DELIVERIES", "sometimes"),
        ("BILLING_SANDBOX_DELIVERY_DELAY_MS", "-1"),
        ("BILLING_SANDBOX_DELIVERY_DELAY_MS", "60001"),
    ],
)
def test_a_malformed_knob_is_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({name: value})

    assert refused.value.variable == name
