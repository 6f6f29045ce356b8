"""The exact requests the Stripe adapter sends, and how it reads Stripe's answers."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import respx
import stripe
from respx.models import AllMockedAssertionError

from billing.adapters.memory import FixedClock
from billing.adapters.stripe import STRIPE_API_VERSION, StripePaymentProvider
from billing.correlation import correlation_id
from billing.domain.errors import ProviderRejected, ProviderUnavailable
from billing.domain.money import Money
from billing.domain.order import Order
from billing.domain.payment import PaymentMode
from billing.domain.provider_event import EventKind
from billing.domain.refund_status import RefundStatus
from billing.entrypoints.container import build_container
from billing.entrypoints.settings import Settings
from tests.contract.stripe_emulator import form, stripe_event, stripe_fixture
from tests.seller import SELLER_FIELDS

from .conftest import NOW, QUIET_HTTPX, SECRET_KEY, ProviderFactory, make_refund

pytestmark = QUIET_HTTPX

SUCCESS = "https://shop.example/billing/success/?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/billing/cancel/"


def intent_json(**overrides: object) -> dict[str, object]:
    defaults: dict[str, object] = {
        "id": "pi_3Test",
        "amount": 2800,
        "currency": "eur",
        "metadata": {"order_id": "ord_000001"},
        "client_secret": "pi_3Test_secret_abc",
    }
    return stripe_fixture("payment_intent", **{**defaults, **overrides})


def session_json(**overrides: object) -> dict[str, object]:
    defaults: dict[str, object] = {
        "id": "cs_test_abc",
        "amount_total": 2800,
        "currency": "eur",
        "client_reference_id": "ord_000001",
        "metadata": {"order_id": "ord_000001"},
        "payment_intent": None,
    }
    return stripe_fixture("checkout.session", **{**defaults, **overrides})


def refund_json(**overrides: object) -> dict[str, object]:
    defaults: dict[str, object] = {
        "id": "re_3Test",
        "amount": 1000,
        "currency": "eur",
        "payment_intent": "pi_3Test",
        "metadata": {"refund_id": "ref_000007", "order_id": "ord_000001"},
        "reason": "requested_by_customer",
        "status": "succeeded",
    }
    return stripe_fixture("refund", **{**defaults, **overrides})


def assert_stripe_headers(request: httpx.Request, idempotency_key: str | None = None) -> None:
    assert request.headers["Stripe-Version"] == STRIPE_API_VERSION
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    if idempotency_key is not None:
        assert request.headers["Idempotency-Key"] == idempotency_key


def test_a_payment_intent_request_carries_the_order(
    router: respx.MockRouter, provider: StripePaymentProvider, order: Order
) -> None:
    route = router.post("/v1/payment_intents").respond(200, json=intent_json())

    payment = provider.create_payment_intent(order, "pi:k3y")

    request = route.calls.last.request
    assert_stripe_headers(request, "pi:k3y")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(request) == {
        "amount": "2800",
        "currency": "eur",
        "metadata[order_id]": "ord_000001",
        "receipt_email": "buyer@example.com",
    }
    assert payment.id == "pi_3Test"
    assert payment.mode is PaymentMode.PAYMENT_INTENT
    assert payment.status == "requires_payment_method"
    assert payment.amount == Money(2800, "EUR")
    assert payment.client_secret == "pi_3Test_secret_abc"
    assert payment.payment_intent_id == "pi_3Test"


def test_a_checkout_session_request_lists_the_items_and_return_urls(
    router: respx.MockRouter, provider: StripePaymentProvider, order: Order
) -> None:
    route = router.post("/v1/checkout/sessions").respond(200, json=session_json())

    payment = provider.create_checkout_session(order, "cs:k3y", SUCCESS, CANCEL)

    request = route.calls.last.request
    assert_stripe_headers(request, "cs:k3y")
    expires_at = int((NOW + timedelta(hours=23)).timestamp())
    assert form(request) == {
        "mode": "payment",
        "line_items[0][quantity]": "2",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "1250",
        "line_items[0][price_data][product_data][name]": "A book",
        "line_items[0][price_data][product_data][metadata][sku]": "book",
        "line_items[1][quantity]": "1",
        "line_items[1][price_data][currency]": "eur",
        "line_items[1][price_data][unit_amount]": "300",
        "line_items[1][price_data][product_data][name]": "A sticker",
        "line_items[1][price_data][product_data][metadata][sku]": "sticker",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "client_reference_id": "ord_000001",
        "metadata[order_id]": "ord_000001",
        "payment_intent_data[metadata][order_id]": "ord_000001",
        "expires_at": str(expires_at),
        "customer_email": "buyer@example.com",
    }
    assert payment.id == "cs_test_abc"
    assert payment.mode is PaymentMode.CHECKOUT_SESSION
    assert payment.status == "open"
    assert payment.amount == Money(2800, "EUR")
    assert payment.checkout_url == session_json()["url"]
    assert payment.payment_intent_id is None


def test_a_checkout_session_speaks_the_configured_locale(
    router: respx.MockRouter, make_provider: ProviderFactory, order: Order
) -> None:
    route = router.post("/v1/checkout/sessions").respond(200, json=session_json())

    make_provider(checkout_locale="fr").create_checkout_session(order, "cs:k3y", SUCCESS, CANCEL)

    assert form(route.calls.last.request)["locale"] == "fr"


@pytest.mark.parametrize(("locale", "sent"), [("fr", "fr"), ("en", "en"), ("", None)])
def test_the_checkout_page_speaks_the_pages_locale_or_the_browsers(
    router: respx.MockRouter, order: Order, locale: str, sent: str | None
) -> None:
    route = router.post("/v1/checkout/sessions").respond(200, json=session_json())
    settings = Settings.in_memory(
        payment_provider="stripe",
        stripe_secret_key=SECRET_KEY,
        stripe_max_network_retries=0,
        invoice_locale=locale,
        secret_key="s" * 32,
        **SELLER_FIELDS,
    )
    container = build_container(settings)

    container.payment_provider().create_checkout_session(order, "cs:k3y", SUCCESS, CANCEL)

    assert form(route.calls.last.request).get("locale") == sent
    container.unwire()


def test_a_session_expiry_is_the_same_on_a_later_retry(
    router: respx.MockRouter, provider: StripePaymentProvider, order: Order, clock: FixedClock
) -> None:
    route = router.post("/v1/checkout/sessions").respond(200, json=session_json())

    provider.create_checkout_session(order, "cs:k3y", SUCCESS, CANCEL)
    clock.advance(hours=2)
    provider.create_checkout_session(order, "cs:k3y", SUCCESS, CANCEL)

    first, second = (form(call.request) for call in route.calls)
    assert first == second


def test_a_session_for_an_old_order_still_gets_stripes_minimum_lifetime(
    router: respx.MockRouter, provider: StripePaymentProvider, order: Order, clock: FixedClock
) -> None:
    route = router.post("/v1/checkout/sessions").respond(200, json=session_json())
    clock.advance(hours=23)

    provider.create_checkout_session(order, "cs:k3y", SUCCESS, CANCEL)

    expires_at = int(form(route.calls.last.request)["expires_at"])
    assert expires_at == int((clock.now() + timedelta(minutes=31)).timestamp())


@pytest.mark.parametrize(
    ("payment_id", "path", "body"),
    [
        ("pi_3Test", "/v1/payment_intents/pi_3Test", intent_json(status="succeeded")),
        (
            "cs_test_abc",
            "/v1/checkout/sessions/cs_test_abc",
            session_json(status="complete", payment_status="paid", payment_intent="pi_3Test"),
        ),
    ],
)
def test_retrieve_reads_a_payment_intent_or_a_session(
    router: respx.MockRouter,
    provider: StripePaymentProvider,
    payment_id: str,
    path: str,
    body: dict[str, object],
) -> None:
    route = router.get(path).respond(200, json=body)

    payment = provider.retrieve_payment(payment_id)

    assert_stripe_headers(route.calls.last.request)
    assert (payment.id, payment.status) == (payment_id, "succeeded")
    assert payment.payment_intent_id == "pi_3Test"


@pytest.mark.parametrize(
    ("status", "payment_status", "expected"),
    [
        ("open", "unpaid", "open"),
        ("complete", "paid", "succeeded"),
        ("complete", "unpaid", "processing"),
        ("expired", "unpaid", "canceled"),
    ],
)
def test_session_statuses_are_told_in_payment_words(
    router: respx.MockRouter,
    provider: StripePaymentProvider,
    status: str,
    payment_status: str,
    expected: str,
) -> None:
    body = session_json(status=status, payment_status=payment_status)
    router.get("/v1/checkout/sessions/cs_test_abc").respond(200, json=body)

    assert provider.retrieve_payment("cs_test_abc").status == expected


def test_an_id_that_is_neither_a_payment_intent_nor_a_session_is_refused_locally(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    with pytest.raises(ProviderRejected):
        provider.retrieve_payment("ch_3Test")
    assert not router.calls


def test_cancel_cancels_a_payment_intent(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    route = router.post("/v1/payment_intents/pi_3Test/cancel").respond(
        200, json=intent_json(status="canceled")
    )

    provider.cancel_payment("pi_3Test")

    assert route.call_count == 1
    assert_stripe_headers(route.calls.last.request)


def test_cancel_expires_a_checkout_session(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    route = router.post("/v1/checkout/sessions/cs_test_abc/expire").respond(
        200, json=session_json(status="expired")
    )

    provider.cancel_payment("cs_test_abc")

    assert route.call_count == 1


def test_a_refund_request_carries_amount_reason_and_our_references(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    route = router.post("/v1/refunds").respond(200, json=refund_json())

    refund = provider.refund(make_refund(1000), "pi_3Test", "re:ref_000007")

    request = route.calls.last.request
    assert_stripe_headers(request, "re:ref_000007")
    assert form(request) == {
        "payment_intent": "pi_3Test",
        "amount": "1000",
        "reason": "requested_by_customer",
        "metadata[refund_id]": "ref_000007",
        "metadata[order_id]": "ord_000001",
        "metadata[reason]": "requested_by_customer",
    }
    assert refund.id == "re_3Test"
    assert refund.payment_id == "pi_3Test"
    assert refund.amount == Money(1000, "EUR")
    assert refund.status is RefundStatus.SUCCEEDED
    assert refund.reference == "ref_000007"


@pytest.mark.parametrize(
    ("reason", "stripe_reason"),
    [
        ("duplicate", "duplicate"),
        ("fraud", "fraudulent"),
        ("customer_request", "requested_by_customer"),
        ("goodwill gesture after a late delivery", None),
        (None, None),
    ],
)
def test_refund_reasons_map_to_the_ones_stripe_accepts(
    router: respx.MockRouter,
    provider: StripePaymentProvider,
    reason: str | None,
    stripe_reason: str | None,
) -> None:
    route = router.post("/v1/refunds").respond(200, json=refund_json())

    provider.refund(make_refund(reason=reason), "pi_3Test", "re:ref_000007")

    sent = form(route.calls.last.request)
    assert sent.get("reason") == stripe_reason
    assert sent.get("metadata[reason]") == reason


def test_refunding_a_checkout_session_refunds_its_payment_intent(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    paid = session_json(status="complete", payment_status="paid", payment_intent="pi_3Test")
    router.get("/v1/checkout/sessions/cs_test_abc").respond(200, json=paid)
    route = router.post("/v1/refunds").respond(200, json=refund_json())

    provider.refund(make_refund(), "cs_test_abc", "re:ref_000007")

    assert form(route.calls.last.request)["payment_intent"] == "pi_3Test"


def test_an_unpaid_session_has_nothing_to_refund(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    router.get("/v1/checkout/sessions/cs_test_abc").respond(200, json=session_json())

    with pytest.raises(ProviderRejected):
        provider.refund(make_refund(), "cs_test_abc", "re:ref_000007")


def test_events_since_a_time_are_listed_page_by_page(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    created = int(NOW.timestamp())
    newest = stripe_event(
        "payment_intent.succeeded",
        intent_json(status="succeeded", amount_received=2800),
        created=created,
        id="evt_2",
    )
    oldest = stripe_event("customer.created", {"object": "customer"}, created=created, id="evt_1")
    route = router.get("/v1/events").mock(
        side_effect=[
            httpx.Response(200, json=_page([newest], has_more=True)),
            httpx.Response(200, json=_page([oldest], has_more=False)),
        ]
    )

    events = list(provider.list_events(NOW - timedelta(hours=1), ["payment_intent.succeeded"]))

    assert [(e.id, e.kind) for e in events] == [
        ("evt_2", EventKind.PAYMENT_SUCCEEDED),
        ("evt_1", EventKind.UNHANDLED),
    ]
    assert events[0].order_id == "ord_000001"
    assert events[0].amount == Money(2800, "EUR")
    assert [provider.parse_event(e.payload.encode()) for e in events] == events
    first, second = (dict(call.request.url.params) for call in route.calls)
    since = str(int((NOW - timedelta(hours=1)).timestamp()))
    assert first == {"created[gte]": since, "limit": "100", "types[0]": "payment_intent.succeeded"}
    assert second == {**first, "starting_after": "evt_2"}


def _page(data: list[dict[str, object]], *, has_more: bool) -> dict[str, object]:
    return {"object": "list", "url": "/v1/events", "has_more": has_more, "data": data}


def test_the_api_base_can_point_at_a_staging_server(make_provider: ProviderFactory) -> None:
    staging = "http://stripe-mock.internal:12111"
    with respx.mock(base_url=staging, assert_all_mocked=True) as staging_router:
        route = staging_router.get("/v1/payment_intents/pi_3Test").respond(200, json=intent_json())
        provider = make_provider(api_base=staging)

        provider.retrieve_payment("pi_3Test")

    assert route.call_count == 1


def test_a_500_is_retried_with_the_same_key_and_yields_one_object(
    router: respx.MockRouter, make_provider: ProviderFactory, order: Order
) -> None:
    route = router.post("/v1/payment_intents").mock(
        side_effect=[
            httpx.Response(500, json={"error": {"type": "api_error", "message": "boom"}}),
            httpx.Response(200, json=intent_json()),
        ]
    )
    provider = make_provider(max_network_retries=2)

    payment = provider.create_payment_intent(order, "pi:k3y")

    assert payment.id == "pi_3Test"
    assert [call.request.headers["Idempotency-Key"] for call in route.calls] == ["pi:k3y"] * 2
    assert form(route.calls[0].request) == form(route.calls[1].request)


def test_a_connection_error_is_retried_up_to_the_configured_number(
    router: respx.MockRouter, make_provider: ProviderFactory, order: Order
) -> None:
    route = router.post("/v1/payment_intents").mock(side_effect=httpx.ConnectError("refused"))
    provider = make_provider(max_network_retries=3)

    with pytest.raises(ProviderUnavailable) as raised:
        provider.create_payment_intent(order, "pi:k3y")

    assert route.call_count == 4
    assert raised.value.retryable
    assert {call.request.headers["Idempotency-Key"] for call in route.calls} == {"pi:k3y"}


def test_nothing_is_sent_when_the_provider_is_built(make_provider: ProviderFactory) -> None:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as everything:
        make_provider()

    assert not everything.calls


def test_a_request_no_test_declared_is_stopped_by_respx(provider: StripePaymentProvider) -> None:
    with (
        respx.mock(assert_all_mocked=True, assert_all_called=False) as strict,
        pytest.raises(ProviderUnavailable) as raised,
    ):
        provider.retrieve_payment("pi_not_mocked")

    assert isinstance(raised.value.__cause__, stripe.APIConnectionError)
    assert isinstance(raised.value.__cause__.__cause__, AllMockedAssertionError)
    assert strict.calls.call_count == 0


def test_the_correlation_id_travels_as_a_header_never_as_a_parameter(
    router: respx.MockRouter, provider: StripePaymentProvider, order: Order
) -> None:
    route = router.post("/v1/payment_intents").respond(200, json=intent_json())
    for current in ("req-42", None):  # the request, then a retry from work with no id
        token = correlation_id.set(current)
        try:
            provider.create_payment_intent(order, "pi:k3y")
        finally:
            correlation_id.reset(token)

    first, retry = (call.request for call in route.calls)
    assert first.headers["X-Request-Id"] == "req-42"
    assert "X-Request-Id" not in retry.headers
    assert form(first) == form(retry)  # same parameters: the same idempotent request
