"""Unit tests of the sandbox payment provider."""
