"""Unit tests of the Stripe adapter: every HTTP call intercepted by respx."""
