"""``/billing/orders/<id>``: read and cancel; a caller who does not own the order gets 404."""

from __future__ import annotations

import pytest

from billing.domain.state import OrderStatus

from .conftest import ADMIN, Shop, guest, user


def test_a_guest_reads_its_order_with_its_token_in_any_of_three_places(shop: Shop) -> None:
    order_id, token, _ = shop.guest_order()

    by_header = shop.client.get(f"/billing/orders/{order_id}", headers=guest(token))
    by_query = shop.client.get(f"/billing/orders/{order_id}?token={token}")
    by_bearer = shop.client.get(
        f"/billing/orders/{order_id}", headers={"Authorization": f"Bearer {token}"}
    )

    assert by_header.status_code == by_query.status_code == by_bearer.status_code == 200
    assert by_header.json["id"] == order_id
    assert by_header.json["status"] == "pending_payment"
    assert by_header.json == by_query.json == by_bearer.json


@pytest.mark.parametrize(
    "headers",
    [
        {},  # anonymous
        guest("a-token-of-nothing"),
        user("user-1"),
        {"Authorization": "Bearer not-the-admin-token"},
    ],
)
def test_nobody_else_can_read_a_guest_order(shop: Shop, headers: dict[str, str]) -> None:
    order_id, _, _ = shop.guest_order()

    answer = shop.client.get(f"/billing/orders/{order_id}", headers=headers)

    assert (answer.status_code, answer.json["code"]) == (404, "order_not_found")


def test_another_guest_token_does_not_open_an_order(shop: Shop) -> None:
    mine, _, _ = shop.guest_order("me@example.com")
    _, their_token, _ = shop.guest_order("them@example.com")

    answer = shop.client.get(f"/billing/orders/{mine}", headers=guest(their_token))

    assert (answer.status_code, answer.json["code"]) == (404, "order_not_found")


def test_a_user_reads_its_own_order_and_not_another_users(shop: Shop) -> None:
    order_id, _ = shop.user_order("user-1")

    assert shop.client.get(f"/billing/orders/{order_id}", headers=user("user-1")).status_code == 200
    other = shop.client.get(f"/billing/orders/{order_id}", headers=user("user-2"))
    assert (other.status_code, other.json["code"]) == (404, "order_not_found")


def test_an_admin_reads_any_order_and_an_unknown_id_is_404(shop: Shop) -> None:
    order_id, _ = shop.user_order()

    assert shop.client.get(f"/billing/orders/{order_id}", headers=ADMIN).status_code == 200
    unknown = shop.client.get("/billing/orders/ord_nope", headers=ADMIN)
    assert (unknown.status_code, unknown.json["code"]) == (404, "order_not_found")


def test_a_paid_and_refunded_order_shows_amounts_refunds_documents_and_transitions(
    shop: Shop,
) -> None:
    order_id, token, payment_id = shop.guest_order()
    shop.pay(payment_id)
    refund = shop.client.post(
        f"/billing/orders/{order_id}/refunds", json={"amount": 1000, "reason": "x"}, headers=ADMIN
    )
    assert refund.status_code == 201

    body = shop.client.get(f"/billing/orders/{order_id}", headers=guest(token)).json

    assert body["status"] == "partially_refunded"
    assert body["amount_paid"] == {"amount": 17500, "currency": "EUR"}
    assert body["amount_refunded"] == {"amount": 1000, "currency": "EUR"}
    assert [(r["id"], r["status"], r["amount"]["amount"]) for r in body["refunds"]] == [
        (refund.json["id"], "succeeded", 1000)
    ]
    assert [(t["from"], t["to"]) for t in body["transitions"]] == [
        ("draft", "pending_payment"),
        ("pending_payment", "paid"),
        ("paid", "partially_refunded"),
    ]
    kinds = sorted(d["kind"] for d in body["documents"])
    assert kinds == ["credit_note", "invoice"]
    invoice = next(d for d in body["documents"] if d["kind"] == "invoice")
    assert invoice["number"].startswith("INV-")
    assert invoice["links"] == {
        "html": f"/billing/orders/{order_id}/documents/{invoice['id']}.html",
        "pdf": f"/billing/orders/{order_id}/documents/{invoice['id']}.pdf",
    }


def test_the_owner_downloads_an_invoice_and_nobody_else_does(shop: Shop) -> None:
    order_id, token, payment_id = shop.guest_order()
    shop.pay(payment_id)
    body = shop.client.get(f"/billing/orders/{order_id}", headers=guest(token)).json
    [invoice] = body["documents"]
    link = invoice["links"]["pdf"]

    mine = shop.client.get(f"{link}?token={token}")
    stranger = shop.client.get(link, headers=guest("someone-else"))
    bad_format = shop.client.get(link.replace(".pdf", ".docx"), headers=guest(token))

    assert mine.status_code == 200
    assert mine.content_type == "application/pdf"
    assert invoice["number"].encode() in mine.data
    assert (stranger.status_code, stranger.json["code"]) == (404, "order_not_found")
    assert (bad_format.status_code, bad_format.json["code"]) == (400, "invalid_input")


def test_a_document_of_another_order_is_not_served_through_mine(shop: Shop) -> None:
    mine, token, _ = shop.guest_order("me@example.com")
    theirs, their_token, their_payment = shop.guest_order("them@example.com")
    shop.pay(their_payment)
    [their_invoice] = shop.client.get(f"/billing/orders/{theirs}", headers=guest(their_token)).json[
        "documents"
    ]

    answer = shop.client.get(
        f"/billing/orders/{mine}/documents/{their_invoice['id']}.pdf", headers=guest(token)
    )

    assert (answer.status_code, answer.json["code"]) == (404, "order_not_found")


def test_the_owner_cancels_an_unpaid_order(shop: Shop) -> None:
    order_id, token, payment_id = shop.guest_order()

    answer = shop.client.post(f"/billing/orders/{order_id}/cancel", headers=guest(token))

    assert answer.status_code == 200
    assert answer.json["status"] == "canceled"
    assert shop.order(order_id).status is OrderStatus.CANCELED
    assert shop.provider.payments[payment_id].status == "canceled"


@pytest.mark.parametrize("headers", [{}, guest("wrong"), user("user-2")])
def test_nobody_else_cancels_an_order(shop: Shop, headers: dict[str, str]) -> None:
    order_id, _ = shop.user_order("user-1")

    answer = shop.client.post(f"/billing/orders/{order_id}/cancel", headers=headers)

    assert (answer.status_code, answer.json["code"]) == (404, "order_not_found")
    assert shop.order(order_id).status is OrderStatus.PENDING_PAYMENT


def test_a_paid_order_cannot_be_canceled(shop: Shop) -> None:
    order_id, payment_id = shop.user_order()
    shop.pay(payment_id)

    answer = shop.client.post(f"/billing/orders/{order_id}/cancel", headers=user())

    assert (answer.status_code, answer.json["code"]) == (409, "order_not_cancelable")
    assert shop.order(order_id).status is OrderStatus.PAID


def test_the_invoice_has_a_stable_address_for_its_owner_and_an_admin(shop: Shop) -> None:
    order_id, token, payment_id = shop.guest_order()
    before_payment = shop.client.get(
        f"/billing/orders/{order_id}/invoice.pdf", headers=guest(token)
    )
    shop.pay(payment_id)

    pdf = shop.client.get(f"/billing/orders/{order_id}/invoice.pdf", headers=guest(token))
    html = shop.client.get(f"/billing/orders/{order_id}/invoice.html", headers=ADMIN)
    stranger = shop.client.get(f"/billing/orders/{order_id}/invoice.pdf", headers=guest("x"))

    assert (before_payment.status_code, before_payment.json["code"]) == (404, "order_not_found")
    assert pdf.status_code == 200
    assert pdf.content_type == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'inline; filename="INV-2026-000001.pdf"'
    assert pdf.headers["Cache-Control"] == "private, no-store"
    assert html.status_code == 200
    assert b"INV-2026-000001" in html.data
    assert (stranger.status_code, stranger.json["code"]) == (404, "order_not_found")
