"""A complete seller identity, which the Stripe provider requires (entrypoints/safety.py)."""

from __future__ import annotations

#: As the environment spells it.
SELLER_ENV = {
    "BILLING_SELLER_NAME": "Librairie Dupont SAS",
    "BILLING_SELLER_ADDRESS": "12 rue de la Paix\\n75002 Paris",
    "BILLING_SELLER_TAX_ID": "FR40303265045",
}
#: As ``Settings(...)`` takes it.
SELLER_FIELDS = {
    "seller_name": "Librairie Dupont SAS",
    "seller_address": "12 rue de la Paix\n75002 Paris",
    "seller_tax_id": "FR40303265045",
}
