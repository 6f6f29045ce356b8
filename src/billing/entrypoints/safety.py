"""Settings that must never run together, refused before anything starts.

(And some that are simply incomplete: e-mail receipts need a sender; real invoices need
the seller's name, address and tax id; timeouts must fit in a request's budget,
``time_budgets.py``.)

Each rule is about real money: the sandbox or the fake provider with a live Stripe key (test
cards would mark orders paid with no money), the Stripe provider without its key, keys of two
modes mixed, and the secrets that guard guest orders and the admin API too short to guard them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .configuration import ConfigurationError
from .time_budgets import refuse_overrun

if TYPE_CHECKING:
    from .settings import Settings

_LIVE = ("sk_live_", "rk_live_")
#: Guest tokens, order ids and admin access rest on these: at least 256 bits of base64 text.
MIN_SECRET_LENGTH = 32
_HOW_TO_MAKE_ONE = "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def refuse_unsafe(settings: Settings) -> None:
    """Raise ``ConfigurationError`` for the first rule ``settings`` break."""
    live = settings.stripe_secret_key.startswith(_LIVE)
    if settings.payment_provider != "stripe" and live:
        raise ConfigurationError(
            "BILLING_PAYMENT_PROVIDER",
            f"{settings.payment_provider} takes no real money but STRIPE_SECRET_KEY is a live key",
            "set BILLING_PAYMENT_PROVIDER=stripe, or remove the live key",
        )
    if settings.payment_provider == "stripe":
        _refuse_unsafe_stripe(settings, live)
    if settings.smtp_url and not settings.mail_from:
        raise ConfigurationError(
            "BILLING_MAIL_FROM",
            "must be set with BILLING_SMTP_URL (the receipts' sender)",
            "e.g. BILLING_MAIL_FROM='Shop <shop@example.com>'",
        )
    refuse_overrun(settings)  # every wait fits in a request's budget, the budget in gunicorn's


def _refuse_unsafe_stripe(settings: Settings, live: bool) -> None:
    if not settings.stripe_secret_key:
        raise ConfigurationError(
            "STRIPE_SECRET_KEY",
            "is required with BILLING_PAYMENT_PROVIDER=stripe",
            "set the account's secret key (sk_live_… or sk_test_…)",
        )
    publishable = settings.stripe_publishable_key
    if publishable and publishable.startswith("pk_live_") != live:
        raise ConfigurationError(
            "STRIPE_PUBLISHABLE_KEY",
            f"is a {'test' if live else 'live'} key but STRIPE_SECRET_KEY is a "
            f"{'live' if live else 'test'} key",
            "use the two keys of the same mode",
        )
    for variable, value in (
        ("BILLING_SECRET_KEY", settings.secret_key),
        ("BILLING_ADMIN_TOKEN", settings.admin_token),
    ):
        if value and len(value) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                variable,
                f"is shorter than {MIN_SECRET_LENGTH} characters, too short to guard real money",
                _HOW_TO_MAKE_ONE,
            )
    if not settings.secret_key:
        raise ConfigurationError(
            "BILLING_SECRET_KEY",
            "is required with BILLING_PAYMENT_PROVIDER=stripe (guest tokens and order ids are "
            "signed with it, and every process of the deployment must share it)",
            _HOW_TO_MAKE_ONE,
        )
    _refuse_anonymous_seller(settings)


def _refuse_anonymous_seller(settings: Settings) -> None:
    """Real invoices name their seller: a name, an address and a tax identifier."""
    missing = [
        variable
        for variable, value in (
            ("BILLING_SELLER_NAME", settings.seller_name),
            ("BILLING_SELLER_ADDRESS", settings.seller_address),
            (
                "BILLING_SELLER_TAX_ID or BILLING_SELLER_SIREN",
                settings.seller_tax_id or settings.seller_siren,
            ),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            ", ".join(missing),
            f"{'is' if len(missing) == 1 else 'are'} required with BILLING_PAYMENT_PROVIDER="
            "stripe (an invoice must name its seller, its address and its tax id)",
            "e.g. BILLING_SELLER_NAME='Librairie Dupont SAS' "
            "BILLING_SELLER_ADDRESS='12 rue de la Paix\\n75002 Paris' "
            "BILLING_SELLER_TAX_ID=FR40303265045",
        )
