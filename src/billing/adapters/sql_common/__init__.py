"""What the adapters that keep tables in the billing database share (``sql`` and ``sandbox``):
the ``MetaData`` and its registry of table modules, the column types, which driver errors
are transient conflicts, and how a statement built once runs (``Prebuilt``). Neither adapter
imports the other; both import this.
"""

from .conflicts import is_transient_conflict, sqlstate
from .prebuilt import Prebuilt, Rows
from .schema import TABLES_GROUP, metadata, registered_tables
from .types import UtcDateTime, json_document

__all__ = [
    "TABLES_GROUP",
    "Prebuilt",
    "Rows",
    "UtcDateTime",
    "is_transient_conflict",
    "json_document",
    "metadata",
    "registered_tables",
    "sqlstate",
]
