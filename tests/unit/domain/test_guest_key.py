"""The guest key rule: random 16-byte keys pass in every usual encoding, typed keys never do."""

from __future__ import annotations

import base64
import random
import re
import string
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.adapters.memory import SequentialIds
from billing.adapters.system import RandomIds
from billing.domain.errors import InvalidInput
from billing.domain.guest_key import (
    MIN_GUEST_KEY_BITS,
    estimated_bits,
    guest_key_weakness,
    require_unguessable_guest_key,
)

ENCODINGS = {
    "hex": lambda b: b.hex(),
    "upper hex": lambda b: b.hex().upper(),
    "uuid": lambda b: str(uuid.UUID(bytes=b)),
    "uuid4": lambda b: str(uuid.UUID(bytes=b, version=4)),
    "base64url": lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="),
    "padded base64url": lambda b: base64.urlsafe_b64encode(b).decode(),
}

#: Seeds of a real pseudo-random generator: the bytes are uniform, whatever hypothesis draws
#: (its own byte strategies favour zeros and repeats, which the rule rightly refuses).
random_16_bytes = st.integers(0, 2**64).map(lambda seed: random.Random(seed).randbytes(16))


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(data=random_16_bytes)
def test_sixteen_random_bytes_pass_in_every_usual_encoding(encoding: str, data: bytes) -> None:
    key = ENCODINGS[encoding](data)

    assert guest_key_weakness(key) is None
    assert estimated_bits(key) >= MIN_GUEST_KEY_BITS
    assert require_unguessable_guest_key(key, "Idempotency-Key") == key


@pytest.mark.parametrize("encoding", ["hex", "upper hex", "base64url", "padded base64url"])
@given(data=random_16_bytes)
def test_fifteen_random_bytes_are_too_few(encoding: str, data: bytes) -> None:
    assert guest_key_weakness(ENCODINGS[encoding](data[:15])) is not None


@given(st.text(alphabet=string.ascii_letters + string.digits + "-_", max_size=21))
def test_a_short_key_always_fails(key: str) -> None:
    assert guest_key_weakness(key) is not None


@given(
    st.text(alphabet=string.printable.strip(), min_size=1, max_size=5),
    st.integers(min_value=2, max_value=60),
)
def test_a_repeated_block_always_fails(block: str, times: int) -> None:
    assert guest_key_weakness(block * times) is not None


@given(st.text(alphabet="ab01", min_size=0, max_size=255))
def test_a_key_of_few_distinct_characters_always_fails(key: str) -> None:
    assert guest_key_weakness(key) is not None


words = st.from_regex(r"[a-z]{1,12}|[A-Z][a-z]{0,11}|[A-Z]{1,8}|[0-9]{1,6}", fullmatch=True)


@given(st.lists(words, min_size=1, max_size=12), st.sampled_from(["-", "_", ".", " "]))
def test_a_key_of_words_and_short_numbers_always_fails(parts: list[str], separator: str) -> None:
    key = separator.join(parts)
    if any(c.isalpha() for c in key):
        assert guest_key_weakness(key) is not None


@pytest.mark.parametrize(
    "key",
    [
        "try-1",  # the README's old example
        "cart-1001",
        "retry-0001",
        "checkout-request-0001",
        "correct-horse-battery-staple",
        "Correct.Horse.Battery.Staple.And.More",
        "order 1001 for alice smith and bob jones",
        "0" * 32,
        "a" * 255,
        "abababababababababababababababab",
        "abcdefghijklmnopqrstuvwxyz012345",
        "01234567890123456789012345678901",
        "ffffffff-ffff-4fff-bfff-ffffffffffff",
        "1a2b3c4d5e6f7a8b",  # 16 hex digits: 64 bits
    ],
)
def test_typed_keys_are_refused(key: str) -> None:
    assert guest_key_weakness(key) is not None
    with pytest.raises(InvalidInput) as refused:
        require_unguessable_guest_key(key, "Idempotency-Key")
    assert refused.value.details["field"] == "Idempotency-Key"
    assert "Idempotency-Key" in refused.value.message
    assert "UUID4" in refused.value.message
    assert key not in refused.value.message  # the key is meant to be a secret: never echoed


def test_the_estimate_uses_the_narrowest_alphabet() -> None:
    assert estimated_bits("0f" * 16) == 128  # hex: 4 bits a character
    assert estimated_bits(str(uuid.UUID(int=2**127 - 1))) == 128  # a UUID's dashes dropped
    assert estimated_bits("A" * 20 + "-_") == 22 * 6  # base64url: 6 bits
    assert estimated_bits("!" * 10) == pytest.approx(10 * 6.57, abs=0.01)  # printable ASCII


@pytest.mark.parametrize("ids", [RandomIds(), SequentialIds()], ids=["random", "sequential"])
def test_every_id_generator_makes_secret_tokens_a_guest_may_use_as_keys(
    ids: RandomIds | SequentialIds,
) -> None:
    tokens = [ids.secret_token() for _ in range(200)]

    assert all(guest_key_weakness(token) is None for token in tokens)
    assert len(set(tokens)) == len(tokens)


def test_the_readme_shows_only_keys_a_guest_may_use() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    keys = re.findall(r"Idempotency-Key: ([^\"'\s]+)", readme)

    assert keys  # the example is still there
    for key in keys:
        assert key.startswith("$(") or guest_key_weakness(key) is None, key
