"""Unit tests of the pure domain (no I/O)."""
