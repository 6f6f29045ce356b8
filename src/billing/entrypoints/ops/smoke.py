"""The smoke test: one guest order's whole life on a running instance, through HTTP only.

health → guest checkout → pay with the test card 4242… → the order turns PAID (its webhook
delivered) → its invoice PDF is served → an administrator refunds it → the order turns REFUNDED.
Each step is a ``Check``; after a failure the rest are reported as not run. It creates one real
order: run it against staging. Paying goes through the sandbox's JSON API; on Stripe's test mode
it confirms the PaymentIntent with Stripe's test card (``pm_card_visa``) through Stripe's API,
which needs a test-mode secret key and network to Stripe (``stripe_test_api``). The sandbox's
JSON API, like Stripe's, needs a secret: the smoke test presents the admin token.

Every path here is relative to billing's address (the client's base URL, ``results.make_client``),
so the test runs the same on billing mounted at ``/billing`` or under a host's ``/shop/billing``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import httpx

from .results import Check, not_billing

SUITE = "smoke"
TEST_CARD = "4242424242424242"
#: Stripe's test card 4242… as a PaymentMethod (test mode only).
STRIPE_TEST_PAYMENT_METHOD = "pm_card_visa"
STRIPE_API = "https://api.stripe.com"
DEFAULT_SKU = "ebook-python"  # in the demo catalog


class StepFailed(Exception):
    """A step saw something other than what it expects."""


@attrs.define
class SmokeRun:
    """The order the steps share, and what each step found."""

    client: httpx.Client
    admin_token: str | None = None
    sku: str = DEFAULT_SKU
    timeout: float = 30.0
    poll: float = 0.2
    checks: list[Check] = attrs.Factory(list)
    provider: str | None = None
    order_id: str | None = None
    token: str | None = None
    payment_id: str | None = None
    #: Stripe's API with a test-mode key: how the smoke pays when the provider is ``stripe``.
    stripe: httpx.Client | None = None

    @property
    def success_page(self) -> str | None:
        """The buyer's success page of the smoke order (the crawler follows its links)."""
        if self.order_id is None or self.token is None:
            return None
        return str(self._url("/success/", {"order": self.order_id, "token": self.token}))

    def step(self, name: str, work: Callable[[], str]) -> None:
        if any(not check.ok for check in self.checks):
            self.checks.append(Check(SUITE, name, False, "not run: an earlier step failed"))
            return
        started = time.monotonic()
        try:
            detail, ok = work(), True
        except StepFailed as error:
            detail, ok = str(error), False
        except httpx.HTTPError as error:
            detail, ok = f"{type(error).__name__}: {error}", False
        self.checks.append(Check(SUITE, name, ok, detail, time.monotonic() - started))

    # -- the steps ----------------------------------------------------------------------------

    def health(self) -> str:
        answer = self.client.get("/health/")
        if answer.status_code == 404:
            raise StepFailed(f"GET {answer.request.url.path}: 404: {not_billing(self.client)}")
        body = _json(answer, 200)
        enabled = body.get("billing_enabled", body.get("enabled"))
        provider = body.get("provider")
        self.provider = provider.get("name") if isinstance(provider, dict) else provider
        if enabled is not True:
            raise StepFailed(f"billing is not enabled: {body}")
        return f"enabled, provider {self.provider}"

    def checkout(self) -> str:
        answer = self.client.post(
            "/checkout/",
            json={
                "items": [{"sku": self.sku, "quantity": 1}],
                "email": "smoke-test@example.com",
                "mode": "payment_intent",
            },
            headers={"Idempotency-Key": f"smoke-{uuid.uuid4()}"},
        )
        body = _json(answer, 201)
        self.order_id, self.token = body["order"]["id"], body.get("order_token")
        self.payment_id = body["payment"]["id"]
        if not self.token:
            raise StepFailed("a guest checkout answered no order_token")
        return f"order {self.order_id}, payment {self.payment_id}"

    def pay(self) -> str:
        if self.provider == "sandbox":
            answer = self.client.post(
                "/sandbox/api/pay",
                json={"payment_id": self.payment_id, "card": TEST_CARD},
                headers=self._admin(),
            )
            return f"payment {_json(answer, 200).get('status')} (sandbox)"
        if self.provider == "stripe" and self.stripe is not None:
            return_url = self.success_page or self._url("/success/")
            answer = self.stripe.post(
                f"/v1/payment_intents/{self.payment_id}/confirm",
                data={"payment_method": STRIPE_TEST_PAYMENT_METHOD, "return_url": str(return_url)},
            )
            return f"payment {_json(answer, 200).get('status')} (Stripe test mode)"
        raise StepFailed(
            "paying needs the sandbox's JSON API (BILLING_PAYMENT_PROVIDER=sandbox) or, on "
            f"Stripe's test mode, --stripe-test-key sk_test_…; the provider is {self.provider}"
        )

    def wait_for(self, status: str) -> Callable[[], str]:
        def work() -> str:
            seen = self._wait(lambda order: order["status"] == status)
            return f"order {seen['status']}"

        return work

    def invoice(self) -> str:
        order = self._wait(lambda order: _invoice_pdf(order) is not None)
        link = _invoice_pdf(order)
        assert link is not None
        # The order's own link: an absolute path, the mount prefix included.
        answer = self.client.get(self.client.base_url.join(link), headers=self._guest())
        if answer.status_code != 200 or not answer.content.startswith(b"%PDF"):
            raise StepFailed(f"GET {link}: {answer.status_code} {answer.content[:60]!r}")
        return f"{link} ({len(answer.content)} bytes)"

    def refund(self) -> str:
        answer = self.client.post(
            f"/orders/{self.order_id}/refunds",
            json={"reason": "smoke test"},
            headers=self._admin("refunding"),
        )
        if answer.status_code in (403, 404):  # the order is there: the guest has just read it
            raise StepFailed(
                f"POST {answer.request.url.path}: {answer.status_code}: the server "
                "refused the admin token (--admin-token is not its BILLING_ADMIN_TOKEN)"
            )
        body = _json(answer, 201)
        return f"refund {body['id']} {body['status']}"

    # -- helpers ------------------------------------------------------------------------------

    def _url(self, path: str, params: dict[str, str] | None = None) -> httpx.URL:
        """The absolute URL of billing's ``path`` (under its mount prefix)."""
        return self.client.build_request("GET", path, params=params).url

    def _admin(self, needed_for: str = "paying on the sandbox") -> dict[str, str]:
        if not self.admin_token:
            raise StepFailed(f"{needed_for} needs --admin-token (BILLING_ADMIN_TOKEN)")
        return {"Authorization": f"Bearer {self.admin_token}"}

    def _guest(self) -> dict[str, str]:
        return {"X-Order-Token": self.token or ""}

    def _wait(self, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            order = _json(self.client.get(f"/orders/{self.order_id}", headers=self._guest()), 200)
            if done(order):
                return order
            if time.monotonic() > deadline:
                raise StepFailed(f"still {order['status']} after {self.timeout:g}s")
            time.sleep(self.poll)


def _json(answer: httpx.Response, expected: int) -> dict[str, Any]:
    request = f"{answer.request.method} {answer.request.url.path}"
    if answer.status_code != expected:
        raise StepFailed(f"{request}: {answer.status_code} {answer.text[:200]}")
    try:
        body = answer.json()
    except ValueError:
        raise StepFailed(f"{request}: not JSON: {answer.text[:200]}") from None
    if not isinstance(body, dict):
        raise StepFailed(f"{request}: not a JSON object")
    return body


def _invoice_pdf(order: dict[str, Any]) -> str | None:
    for document in order.get("documents", ()):
        if document.get("kind") == "invoice" and document.get("links", {}).get("pdf"):
            link: str = document["links"]["pdf"]
            return link
    return None


def stripe_test_api(
    secret_key: str, base_url: str = STRIPE_API, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """Stripe's API with a test-mode key; a live key is refused, since the smoke test pays."""
    if not secret_key.startswith(("sk_test_", "rk_test_")):
        raise ValueError("the smoke test pays with a test card: it takes a test-mode key only")
    return httpx.Client(base_url=base_url, auth=(secret_key, ""), timeout=30.0, transport=transport)


def run_smoke(
    client: httpx.Client,
    admin_token: str | None = None,
    *,
    sku: str = DEFAULT_SKU,
    timeout: float = 30.0,
    poll: float = 0.2,
    stripe: httpx.Client | None = None,
) -> SmokeRun:
    """Run every step against ``client`` (its ``base_url`` is the instance); see ``checks``.
    ``stripe`` (``stripe_test_api``) pays on an instance whose provider is Stripe's test mode."""
    run = SmokeRun(client, admin_token, sku, timeout, poll, stripe=stripe)
    run.step("health", run.health)
    run.step("guest checkout", run.checkout)
    run.step("pay with 4242", run.pay)
    run.step("order paid", run.wait_for("paid"))
    run.step("invoice pdf", run.invoice)
    run.step("refund as admin", run.refund)
    run.step("order refunded", run.wait_for("refunded"))
    return run
