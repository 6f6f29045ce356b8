"""The sandbox's Stripe objects: ids shaped like Stripe's, examples copied afresh each time."""

from __future__ import annotations

import string

from billing.adapters.sandbox import objects


def test_ids_are_the_prefix_and_random_letters_and_digits_of_the_given_length() -> None:
    ids = [objects.stripe_id("pi_") for _ in range(2000)]
    short = objects.stripe_id("", 25)

    assert all(i.startswith("pi_") and len(i) == 3 + 24 for i in ids)
    assert len(set(ids)) == len(ids)
    assert set("".join(i[3:] for i in ids)) == set(string.ascii_letters + string.digits)
    assert len(short) == 25


def test_each_example_is_a_deep_copy_that_a_change_does_not_reach() -> None:
    first = objects.example("payment_intent", amount=100)
    first["metadata"]["changed"] = "yes"
    first["payment_method_types"].append("changed")
    second = objects.example("payment_intent")

    assert "changed" not in second["metadata"]
    assert "changed" not in second["payment_method_types"]
