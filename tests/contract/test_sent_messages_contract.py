"""The sent-messages repository: one suite over the memory, SQLite and PostgreSQL adapters.

A document has one message record. Of any number of claims, concurrent ones included, one wins
until that attempt fails or its claim goes stale; a sent message is never claimed again.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from billing.domain.errors import InvalidInput
from billing.domain.mail import SentMessage, SentStatus
from billing.ports.mailer import SentMessageRepository
from billing.ports.unit_of_work import UnitOfWorkFactory

from .test_unit_of_work_contract import (  # the backends and builders of the UnitOfWork suite
    NOW,
    an_invoice,
    an_order,
    postgres_engine,
    sqlite_template,
    stored,
    uow_factory,
)

__all__ = ["postgres_engine", "sqlite_template", "uow_factory"]

LEASE = timedelta(seconds=60)


def a_claim(document_id: str = "doc_1", at: timedelta = timedelta(0)) -> SentMessage:
    return SentMessage.claim_new(
        document_id, f"<receipt.{document_id}@shop.example>", "buyer@example.com", NOW + at
    )


@pytest.fixture
def documents(uow_factory: UnitOfWorkFactory) -> UnitOfWorkFactory:
    stored(
        uow_factory,
        an_order(),
        an_invoice("doc_1", "INV-2026-000001"),
        an_invoice("doc_2", "INV-2026-000002"),
    )
    return uow_factory


def test_the_first_claim_inserts_the_record_and_holds_it(documents: UnitOfWorkFactory) -> None:
    with documents() as uow:
        assert isinstance(uow.sent_messages, SentMessageRepository)
        claimed = uow.sent_messages.claim(a_claim(), NOW - LEASE)
        assert uow.sent_messages.claim(a_claim(), NOW - LEASE) is None  # held by this attempt
        uow.commit()

    assert claimed == a_claim()
    with documents() as uow:
        assert uow.sent_messages.find("doc_1") == claimed
        assert uow.sent_messages.find("doc_2") is None
        later = timedelta(seconds=30)
        assert uow.sent_messages.claim(a_claim(at=later), NOW + later - LEASE) is None


def test_a_failed_attempt_gives_the_claim_back(documents: UnitOfWorkFactory) -> None:
    with documents() as uow:
        held = uow.sent_messages.claim(a_claim(), NOW - LEASE)
        assert held is not None
        held.mark_failed("mail_unavailable: connection refused")
        uow.sent_messages.save(held)
        uow.commit()

    with documents() as uow:
        again = uow.sent_messages.claim(a_claim(at=timedelta(seconds=5)), NOW - LEASE)
        uow.commit()
    assert again is not None
    assert (again.status, again.attempts, again.claimed_at) == (
        SentStatus.SENDING,
        2,
        NOW + timedelta(seconds=5),
    )
    assert again.last_error == "mail_unavailable: connection refused"


def test_a_stale_claim_is_taken_over_and_a_fresh_one_is_not(documents: UnitOfWorkFactory) -> None:
    with documents() as uow:
        uow.sent_messages.claim(a_claim(), NOW - LEASE)
        uow.commit()

    just_before = NOW + LEASE - timedelta(microseconds=1)
    with documents() as uow:
        assert uow.sent_messages.claim(a_claim(at=LEASE), just_before - LEASE) is None
        taken = uow.sent_messages.claim(a_claim(at=LEASE), NOW)  # claimed at NOW: stale now
        uow.commit()
    assert taken is not None
    assert (taken.attempts, taken.claimed_at) == (2, NOW + LEASE)


def test_a_sent_message_is_never_claimed_again(documents: UnitOfWorkFactory) -> None:
    with documents() as uow:
        held = uow.sent_messages.claim(a_claim(), NOW - LEASE)
        assert held is not None
        held.mark_sent(NOW + timedelta(seconds=1))
        uow.sent_messages.save(held)
        uow.commit()

    with documents() as uow:
        much_later = timedelta(days=30)
        assert uow.sent_messages.claim(a_claim(at=much_later), NOW + much_later) is None
        sent = uow.sent_messages.find("doc_1")
    assert sent == held
    assert (sent.status, sent.sent_at) == (SentStatus.SENT, NOW + timedelta(seconds=1))


def test_a_claim_without_commit_is_forgotten(documents: UnitOfWorkFactory) -> None:
    with documents() as uow:
        assert uow.sent_messages.claim(a_claim(), NOW - LEASE) is not None

    with documents() as uow:
        assert uow.sent_messages.find("doc_1") is None
        assert uow.sent_messages.claim(a_claim(), NOW - LEASE) is not None


def test_messages_are_listed_most_recently_claimed_first(documents: UnitOfWorkFactory) -> None:
    with documents() as uow:
        first = uow.sent_messages.claim(a_claim("doc_1"), NOW - LEASE)
        second = uow.sent_messages.claim(a_claim("doc_2", timedelta(seconds=1)), NOW - LEASE)
        uow.commit()

    with documents() as uow:
        assert uow.sent_messages.list() == [second, first]
        assert uow.sent_messages.list(limit=1) == [second]


def test_saving_a_message_never_claimed_is_refused(documents: UnitOfWorkFactory) -> None:
    with documents() as uow, pytest.raises(InvalidInput):
        uow.sent_messages.save(a_claim())


def test_of_concurrent_claims_exactly_one_wins(documents: UnitOfWorkFactory) -> None:
    """Eight attempts claim the same document at once (on PostgreSQL in eight transactions
    that overlap): one holds it, the seven others find it held."""
    attempts = 8
    barrier = threading.Barrier(attempts, timeout=30)
    won: list[SentMessage] = []
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            with documents() as uow:
                claimed = uow.sent_messages.claim(a_claim(at=timedelta(seconds=n)), NOW - LEASE)
                uow.commit()
            if claimed is not None:
                won.append(claimed)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(won) == 1
    with documents() as uow:
        assert uow.sent_messages.find("doc_1") == won[0]
        assert won[0].attempts == 1
