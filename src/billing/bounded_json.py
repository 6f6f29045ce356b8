"""JSON text from outside, parsed with its nesting bounded.

``json.loads`` recurses once per nested array or object: 50,000 ``[`` exhaust the interpreter's
stack and raise ``RecursionError``, which no ``except ValueError`` catches, and a document just
under that limit still makes every recursive walk after it (ours, cattrs') crash the same way.
No body this service accepts, a Stripe event included, nests anywhere near ``MAX_DEPTH``; a
deeper one is refused as not being JSON we read (``TooDeep``, a ``ValueError``).
"""

from __future__ import annotations

import json
from typing import Any

#: Arrays and objects inside one another; a Stripe event nests about ten levels.
MAX_DEPTH = 64


class TooDeep(ValueError):
    """The document nests arrays and objects deeper than ``MAX_DEPTH``."""


def loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads(text)``, refusing a document nested deeper than ``MAX_DEPTH``."""
    try:
        document = json.loads(text, **options)
    except RecursionError:
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    if _may_nest_deeper(text, MAX_DEPTH) and _deeper_than(document, MAX_DEPTH):
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    return document


def _may_nest_deeper(text: str | bytes, limit: int) -> bool:
    """Whether the text opens more than ``limit`` arrays and objects in all (brackets inside
    strings counted too): if not, none can nest deeper, and the walk is not needed. Counting
    is done in C; a Stripe event opens about twenty."""
    if isinstance(text, str):
        return text.count("{") + text.count("[") > limit
    return text.count(b"{") + text.count(b"[") > limit


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels (walked without recursion)."""
    pending = [(document, 1)] if isinstance(document, dict | list) else []
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
