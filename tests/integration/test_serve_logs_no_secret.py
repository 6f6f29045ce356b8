"""``billing serve`` (gunicorn, 2 workers, the sandbox, a SQLite file) driven through a whole
storefront purchase and the APIs around it, every secret sent the ways a client sends them
(cookie, header, ``?token=``, ``?client_secret=``, ``Referer``, Basic and Bearer credentials,
a signed webhook): none of them appears anywhere in the server's output, access log included.

The purchase goes as a browser's does: the storefront's form with the session's CSRF token
(accepted by whichever worker gets the post: every worker derives the same session key), the
sandbox's hosted page, the success page, the invoice.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
import pytest
from tests.contract.stripe_emulator import sign
from tests.integration.worker_harness import CLI, running, wait_until

ADMIN_TOKEN = "admin-token-serve-logs-0123456789abcdef"
SECRET_KEY = "server-secret-serve-logs-0123456789abcdef"
STRIPE_KEY = "sk_test_serve_logs_0123456789abcdef"
WEBHOOK_SECRET = "whsec_serve_logs_0123456789abcdef"
CARD = "4242424242424242"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.frozen
class Served:
    base_url: str
    output: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BILLING_ENABLED": "true",
        "BILLING_DATABASE_URL": f"sqlite:///{tmp_path / 'billing.db'}",
        "BILLING_PAYMENT_PROVIDER": "sandbox",
        "BILLING_DEMO_CATALOG": "true",
        "BILLING_INVOICE_RENDERER": "text",
        "BILLING_MEDIA_ROOT": str(tmp_path / "media"),
        "BILLING_PUBLIC_BASE_URL": base_url,
        "BILLING_ADMIN_TOKEN": ADMIN_TOKEN,
        "BILLING_SECRET_KEY": SECRET_KEY,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    output = tmp_path / "serve.log"
    with output.open("wb") as sink:
        argv = [sys.executable, "-c", CLI, "serve", "--port", str(port), "--workers", "2"]
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            argv, env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT
        )
        with running(process):
            wait_until("billing serve to answer", lambda: _up(base_url), timeout=60)
            yield Served(base_url, output)


def _up(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/billing/health/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _read(output: Path) -> str:
    return output.read_text(errors="replace")


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))


def _invoiced(client: httpx.Client, order_id: str, token: str) -> dict[str, str]:
    links: dict[str, str] = {}

    def done() -> bool:
        order = client.get(f"/billing/orders/{order_id}", headers={"X-Order-Token": token}).json()
        links.update(order["documents"][0]["links"] if order["documents"] else {})
        return order["status"] == "paid" and "pdf" in links

    wait_until(f"order {order_id} paid and invoiced", done, timeout=60)
    return links


def test_a_whole_purchase_leaves_no_secret_in_the_servers_output(served: Served) -> None:
    sent: dict[str, str] = {
        "admin token": ADMIN_TOKEN,
        "BILLING_SECRET_KEY": SECRET_KEY,
        "Stripe secret key": STRIPE_KEY,
        "webhook secret": WEBHOOK_SECRET,
    }
    with httpx.Client(base_url=served.base_url, timeout=30) as browser:
        # The storefront, as a browser: its form, the hosted page, the success page.
        storefront = browser.get("/billing/")
        form = {
            "quantity-ebook-python": "1",
            "email": "buyer@example.com",
            **_hidden(storefront.text),
        }
        hosted = browser.post("/billing/shop/checkout", data=form)
        assert hosted.status_code == 303, hosted.text
        token = browser.cookies["billing_order_token"]
        page = browser.get(hosted.headers["Location"])
        paid = browser.post(hosted.headers["Location"], data={**_hidden(page.text), "card": CARD})
        assert paid.status_code == 303, paid.text
        order_id = paid.headers["Location"].split("order=")[1]
        sent |= {
            "order token": token,
            "CSRF token": form["csrf_token"],
            "sandbox page token": _hidden(page.text)["page_token"],
            "session cookie": browser.cookies["billing_session"],
        }
        links = _invoiced(browser, order_id, token)
        success = browser.get(
            "/billing/success/", params={"order": order_id, "token": token}, follow_redirects=True
        )
        assert "INV-" in success.text
        invoice = browser.get(links["pdf"], params={"token": token})  # a client's old link
        assert invoice.status_code == 200

    with httpx.Client(base_url=served.base_url, timeout=30) as script:
        # A script: a guest checkout, its hosted page by client secret, the sandbox's API
        # (Bearer and Basic), an admin refund, a signed webhook; secrets in a Referer too.
        checkout = script.post(
            "/billing/checkout/",
            json={"items": [{"sku": "ebook-python"}], "email": "script@example.com"},
        ).json()
        client_secret = checkout["payment"]["client_secret"]
        sent |= {"client secret": client_secret, "script's order token": checkout["order_token"]}
        assert script.get(checkout["payment"]["checkout_url"]).status_code == 200
        intent = checkout["payment"]["id"]
        as_key = script.get(f"/billing/sandbox/api/objects/{intent}", auth=(STRIPE_KEY, ""))
        assert as_key.status_code == 200
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        payment = {"payment_id": intent, "card": CARD}
        assert script.post("/billing/sandbox/api/pay", json=payment, headers=admin).is_success
        _invoiced(script, checkout["order"]["id"], checkout["order_token"])
        refund = script.post(
            f"/billing/orders/{order_id}/refunds", json={"reason": "logs"}, headers=admin
        )
        assert refund.status_code == 201, refund.text
        script.get(
            f"/billing/orders/{checkout['order']['id']}",
            headers={
                "X-Order-Token": checkout["order_token"],
                "Referer": f"{served.base_url}/billing/sandbox/checkout/{intent}"
                f"?client_secret={client_secret}",
            },
        )
        script.get("/billing/no-such-page", params={"token": token, "client_secret": client_secret})
        event = json.dumps({"id": "evt_probe", "object": "event", "type": "customer.created"})
        signature = sign(event.encode(), WEBHOOK_SECRET, int(time.time()))
        sent["Stripe-Signature"] = signature.split("v1=")[1]
        script.post(
            "/billing/webhooks/stripe/",
            content=event,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )

    last = '"POST /billing/webhooks/stripe/ HTTP/1.1" 200'
    wait_until("the last access-log line", lambda: last in _read(served.output), timeout=30)
    output = _read(served.output)
    assert "GET /billing/success/" in output  # the access log is there and was read
    assert '"POST /billing/shop/checkout HTTP/1.1" 303' in output
    leaked = sorted(name for name, value in sent.items() if value in output)
    assert leaked == []
