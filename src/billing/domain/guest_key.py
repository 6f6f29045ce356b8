"""The rule on a guest's ``Idempotency-Key``: it must be a secret only its client can know.

A logged-in user's key lives inside the user's authenticated scope. A guest has no account, so
the key itself is the guest's credential for retries: the same email and key find the order
again, and the order token is derived from the key. Whoever could guess the key could replay
the checkout, so a guest's key must carry at least ``MIN_GUEST_KEY_BITS`` bits of randomness.

Randomness cannot be measured from one string, only bounded from above. The rule estimates it
as length * log2 of the narrowest standard alphabet holding the key's characters (hex, once a
UUID's dashes are dropped; base64url; printable ASCII), and refuses the shapes people type
instead of random keys: very few distinct characters (``aaaa…``, ``0101…``), a repeated block
(``abcabc…``), a straight run (``abcdef…``, ``0123…``) and words (``cart-1001``,
``my-order-for-bob``). A key of 16 random bytes in hex, as a UUID or in base64url passes (a UUID4
too: its 122 random bits are counted as its 32 hex digits); the chance that such a key is
refused as one of those shapes is below one in ten million. A phrase the rule does not
recognise (``MyCartKeyForCheckout…``) may pass: the rule stops the usual mistakes, it cannot
prove a key random.
"""

from __future__ import annotations

import itertools
import math
import re
import string

from billing.domain.errors import InvalidInput

MIN_GUEST_KEY_BITS = 128
#: A key made of fewer distinct characters is a pattern, whatever its length.
MIN_DISTINCT_CHARACTERS = 6
KEY_EXAMPLES = "a UUID4 or Python's secrets.token_urlsafe(16)"

_HEX_LOWER = frozenset(string.digits + "abcdef")
_HEX_UPPER = frozenset(string.digits + "ABCDEF")
_BASE64URL = frozenset(string.ascii_letters + string.digits + "-_")
_PRINTABLE_ASCII = 95  # from space to tilde
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_WORD_SEPARATORS = re.compile(r"[-_. ]+")
_ONLY_WORD_CHARACTERS = re.compile(r"[A-Za-z0-9\-_. ]+")
#: A word in one case, a capitalised word, or a short number (a counter, a year, a cart id).
_WORD = re.compile(r"[a-z]+|[A-Z]+|[A-Z][a-z]+|[0-9]{1,6}")


def estimated_bits(key: str) -> float:
    """An upper bound of the randomness a key can carry: length * log2(its alphabet)."""
    if _UUID.fullmatch(key):
        key = key.replace("-", "")
    characters = set(key)
    if characters <= _HEX_LOWER or characters <= _HEX_UPPER:
        alphabet = len(_HEX_LOWER)
    elif characters <= _BASE64URL:
        alphabet = len(_BASE64URL)
    else:
        alphabet = _PRINTABLE_ASCII
    return len(key) * math.log2(alphabet)


def _has_short_period(key: str) -> bool:
    """Whether the key is a block repeated (at least twice, the last copy maybe cut short)."""
    return any(
        all(key[i] == key[i - period] for i in range(period, len(key)))
        for period in range(1, len(key) // 2 + 1)
    )


def _is_straight(key: str) -> bool:
    """Whether three quarters of its neighbours are one apart (``abcd…``, ``9876…``)."""
    steps = [abs(ord(b) - ord(a)) == 1 for a, b in itertools.pairwise(key)]
    return bool(steps) and 4 * sum(steps) >= 3 * len(steps)


def _is_words(key: str) -> bool:
    """Whether the key is words and short numbers joined by separators, as people type."""
    if not _ONLY_WORD_CHARACTERS.fullmatch(key) or not any(c.isalpha() for c in key):
        return False
    parts = [part for part in _WORD_SEPARATORS.split(key) if part]
    return all(_WORD.fullmatch(part) for part in parts)


def guest_key_weakness(key: str) -> str | None:
    """Why a guest could not rely on this key as a secret, or None when it passes the rule."""
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return f"it has fewer than {MIN_DISTINCT_CHARACTERS} distinct characters"
    if _has_short_period(key):
        return "it repeats a shorter block"
    if _is_straight(key):
        return "it is a run of consecutive characters"
    if _is_words(key):
        return "it is made of words and short numbers"
    bits = estimated_bits(key)
    if bits < MIN_GUEST_KEY_BITS:
        return f"it can carry at most {int(bits)} random bits"
    return None


def require_unguessable_guest_key(key: str, field: str) -> str:
    """The key, if a guest may use it; else InvalidInput naming ``field`` (the key itself is
    never echoed: it is meant to be a secret)."""
    weakness = guest_key_weakness(key)
    if weakness is not None:
        raise InvalidInput(
            f"a guest's {field} must be a random secret of at least {MIN_GUEST_KEY_BITS} bits, "
            f"such as {KEY_EXAMPLES}; this one is refused: {weakness}",
            field=field,
            min_bits=MIN_GUEST_KEY_BITS,
        )
    return key
