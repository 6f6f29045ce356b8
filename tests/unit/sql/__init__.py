"""Unit tests of the SQL adapter's row mapping (SQLite in memory at most)."""
