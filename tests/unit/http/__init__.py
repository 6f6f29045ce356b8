"""Tests of the HTTP service with the Flask test client on the in-memory adapters."""
