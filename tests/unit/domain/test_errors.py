"""Business errors: every BillingError subclass carries its own stable, non-empty code."""

from __future__ import annotations

import re

import pytest

from billing.domain import errors
from billing.domain.errors import BillingError


def all_subclasses(cls: type[BillingError]) -> list[type[BillingError]]:
    found: list[type[BillingError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *all_subclasses(sub)]
    return found


# Every error class the domain declares, so that the recursive walk cannot miss one silently.
DECLARED = [
    value
    for value in vars(errors).values()
    if isinstance(value, type) and issubclass(value, BillingError) and value is not BillingError
]
DOMAIN_ERRORS = [cls for cls in all_subclasses(BillingError) if cls.__module__ == errors.__name__]


def test_the_walk_finds_every_declared_error() -> None:
    assert set(DECLARED) == set(DOMAIN_ERRORS)
    assert len(DOMAIN_ERRORS) == len(set(DOMAIN_ERRORS))
    assert len(DECLARED) >= 20


def test_codes_are_distinct() -> None:
    # Only the domain's own classes: which adapter errors are loaded depends on the session.
    classes: list[type[BillingError]] = [BillingError, *DOMAIN_ERRORS]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), sorted(codes)


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda cls: cls.__name__)
def test_each_code_is_a_stable_snake_case_identifier(cls: type[BillingError]) -> None:
    assert "code" in vars(cls), f"{cls.__name__} inherits its parent's code"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code)


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda cls: cls.__name__)
def test_an_error_carries_its_message_and_details(cls: type[BillingError]) -> None:
    error = cls("something went wrong", order_id="ord-1")
    assert error.message == "something went wrong"
    assert str(error) == "something went wrong"
    assert error.details == {"order_id": "ord-1"}
    assert repr(error) == f"{cls.__name__}(code={cls.code!r}, message='something went wrong')"


def test_some_codes_are_part_of_the_api() -> None:
    assert errors.RefundExceedsRefundable.code == "refund_exceeds_refundable"
    assert errors.IllegalTransition.code == "illegal_transition"
    assert errors.InvalidInput.code == "invalid_input"


def test_retryable_errors() -> None:
    retryable = {cls for cls in DOMAIN_ERRORS if cls.retryable}
    assert retryable == {
        errors.ProviderUnavailable,
        errors.StorageUnavailable,
        errors.StorageConflict,
        errors.DocumentNotRendered,
    }
    assert errors.DocumentNotRendered.retry_after == 2
    assert not BillingError.retryable
