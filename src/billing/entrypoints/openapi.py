"""The OpenAPI 3.1 document of ``/billing/``, written by hand next to the views it describes.

A test checks that every route of the app is here (and nothing else), and that the document is
valid OpenAPI 3.1.
"""

from __future__ import annotations

from typing import Any

from billing import __version__ as _version

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _object(
    properties: dict[str, Any], required: tuple[str, ...] = (), *, closed: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


#: No text of this API holds a NUL character: a request carrying one is a 400.
_STRING = {"type": "string", "pattern": "^[^\\x00]*$"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
#: 1 to 255 printable ASCII characters; HTTP strips a header's outer spaces, so none there.
_IDEMPOTENCY_KEY = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": "^[!-~]([ -~]*[!-~])?$",
}
#: Stricter than the checks (printable ASCII only), so that what it admits is always accepted.
_EMAIL = {"type": "string", "maxLength": 320, "pattern": "^[!-?A-~]+@[!-~]+\\.[!-~]+$"}
_PRINTABLE = {"type": "string", "pattern": "^[ -~]*$"}
_USER_ID = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}
_ORDER_ID = {"name": "order_id", "in": "path", "required": True, "schema": _STRING}
_NUL_REFUSED = _error("A NUL character in the path, query or body: code invalid_input")
_NOT_RENDERED = {
    **_error("Not rendered yet: code document_not_rendered, retryable; ask again"),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before asking again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}
_LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
}
_DISABLED = _error("Billing is disabled (BILLING_ENABLED): code billing_disabled")

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_SCHEMAS: dict[str, Any] = {
    "Health": _object(
        {
            "status": {"enum": ["ok", "degraded", "unavailable"]},
            "billing_enabled": {"type": "boolean"},
            "version": _STRING,
            "database": _object(
                {"ok": {"type": "boolean"}, "latency_ms": _NUMBER_OR_NULL}, ("ok", "latency_ms")
            ),
            "provider": _object(
                {
                    "name": _STRING,
                    "configured": {"type": "boolean"},
                    "webhook_secret_configured": {"type": "boolean"},
                },
                ("name", "configured", "webhook_secret_configured"),
            ),
            "webhooks": _object(
                {
                    "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "failed": {
                        "type": ["integer", "null"],
                        "description": "Failed events: more than 0 makes the status degraded",
                    },
                    "oldest_unprocessed_age_s": _NUMBER_OR_NULL,
                    "last_received_at": {"type": ["string", "null"], "format": "date-time"},
                },
                ("by_status", "oldest_unprocessed_age_s", "last_received_at"),
            ),
            "tasks": _object(
                {"dead": {"type": ["integer", "null"]}, "backlog": {"type": ["integer", "null"]}},
                ("dead", "backlog"),
            ),
        },
        ("status", "billing_enabled", "version", "database", "provider", "webhooks"),
    ),
    "Error": _object(
        {
            "code": {**_STRING, "description": "Stable machine-readable code"},
            "message": _STRING,
            "details": {"type": "object"},
            "retryable": {"type": "boolean"},
        },
        ("code", "message"),
    ),
    "Money": _object(
        {
            "amount": {"type": "integer", "description": "In the currency's minor unit"},
            "currency": {**_STRING, "description": "ISO 4217, upper case"},
        },
        ("amount", "currency"),
    ),
    "OrderItem": _object(
        {
            "sku": _STRING,
            "name": _STRING,
            "quantity": {"type": "integer"},
            "unit_price": _ref("Money"),
            "amount": _ref("Money"),
            "tax_rate_bp": {"type": "integer", "description": "Basis points: 2000 is 20 %"},
            "net": _ref("Money"),
            "tax": _ref("Money"),
        }
    ),
    "TaxTotal": _object(
        {
            "rate_bp": {"type": "integer", "description": "Basis points: 2000 is 20 %"},
            "category": {"enum": ["S", "AA", "Z", "E"], "description": "EN 16931 (UNCL 5305)"},
            "net": _ref("Money"),
            "tax": _ref("Money"),
            "gross": _ref("Money"),
        },
        ("rate_bp", "category", "net", "tax", "gross"),
    ),
    "Transition": _object({"from": _STRING, "to": _STRING, "cause": _STRING, "at": _TIME}),
    "Order": _object(
        {
            "id": _STRING,
            "status": {
                "enum": [
                    "draft",
                    "pending_payment",
                    "paid",
                    "partially_refunded",
                    "refunded",
                    "canceled",
                ]
            },
            "total": _ref("Money"),
            "amount_paid": _ref("Money"),
            "amount_refunded": _ref("Money"),
            "items": {"type": "array", "items": _ref("OrderItem")},
            "taxes": {
                "type": "array",
                "items": _ref("TaxTotal"),
                "description": "Per rate, rounded per line then summed; grosses add up to total",
            },
            "guest": {"type": "boolean"},
            "disputed": {"type": "boolean", "description": "A dispute is open"},
            "amount_disputed_lost": {
                **_ref("Money"),
                "description": "Lost to disputes: no longer refundable",
            },
            "created_at": _TIME,
            "updated_at": _TIME,
            "transitions": {"type": "array", "items": _ref("Transition")},
        },
        ("id", "status", "total", "items"),
    ),
    "Refund": _object(
        {
            "id": _STRING,
            "order_id": _STRING,
            "status": {"enum": ["pending", "requires_action", "succeeded", "failed", "canceled"]},
            "amount": _ref("Money"),
            "reason": _NULLABLE_STRING,
            "failure_reason": _NULLABLE_STRING,
            "extra_payment_id": {
                **_NULLABLE_STRING,
                "description": "Set when it gives back a duplicate capture, not the order's",
            },
            "created_at": _TIME,
        },
        ("id", "status", "amount"),
    ),
    "Dispute": _object(
        {
            "id": _STRING,
            "order_id": _STRING,
            "status": {
                "enum": [
                    "warning_needs_response",
                    "warning_under_review",
                    "warning_closed",
                    "needs_response",
                    "under_review",
                    "won",
                    "lost",
                    "prevented",
                ]
            },
            "open": {"type": "boolean"},
            "amount": _ref("Money"),
            "reason": _NULLABLE_STRING,
            "evidence_due_by": {**_TIME, "type": ["string", "null"]},
            "opened_at": _TIME,
            "closed_at": {**_TIME, "type": ["string", "null"]},
        },
        ("id", "order_id", "status", "open", "amount"),
    ),
    "DuplicateCapture": _object(
        {
            "payment_id": _STRING,
            "amount": _ref("Money"),
            "refund_id": {**_NULLABLE_STRING, "description": "None: flagged only"},
            "detected_at": _TIME,
        },
        ("payment_id", "amount"),
    ),
    "Document": _object(
        {
            "id": _STRING,
            "number": _STRING,
            "kind": {"enum": ["invoice", "credit_note", "credit_note_cancellation"]},
            "refund_id": _NULLABLE_STRING,
            "links": _object({"html": _STRING, "pdf": _STRING}),
        }
    ),
    "OrderDetails": {
        "allOf": [
            _ref("Order"),
            _object(
                {
                    "refunds": {"type": "array", "items": _ref("Refund")},
                    "documents": {"type": "array", "items": _ref("Document")},
                    "disputes": {"type": "array", "items": _ref("Dispute")},
                    "duplicate_captures": {"type": "array", "items": _ref("DuplicateCapture")},
                }
            ),
        ]
    },
    "Payment": _object(
        {
            "provider": _STRING,
            "id": _STRING,
            "mode": {"enum": ["payment_intent", "checkout_session"]},
            "intent_id": _STRING,
            "status": _STRING,
            "client_secret": _NULLABLE_STRING,
            "checkout_url": _NULLABLE_STRING,
            "publishable_key": _NULLABLE_STRING,
        },
        ("provider", "intent_id"),
    ),
    "CheckoutRequest": _object(
        {
            "items": {
                "type": "array",
                "minItems": 1,
                "items": _object(
                    {
                        "sku": _STRING,
                        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                    ("sku",),
                    closed=True,
                ),
            },
            "email": {**_EMAIL, "description": "Required for a guest"},
            "mode": {"enum": ["payment_intent", "checkout_session"], "default": "payment_intent"},
            "billing_details": _ref("BillingDetails"),
        },
        ("items",),
        closed=True,
    ),
    "BillingDetails": _object(
        {
            "name": {**_PRINTABLE, "maxLength": 255},
            "address": _object(
                {
                    "line1": {**_PRINTABLE, "maxLength": 200},
                    "line2": {**_PRINTABLE, "maxLength": 200},
                    "postal_code": {**_PRINTABLE, "maxLength": 32},
                    "city": {**_PRINTABLE, "maxLength": 200},
                    "country": {"type": "string", "pattern": "^([A-Z]{2})?$"},
                },
                closed=True,
            ),
            "vat_number": {
                "type": "string",
                "maxLength": 32,
                "description": "An EU VAT number with its country prefix, checked (check "
                "digits included): one that is not valid is a 400",
            },
        },
        closed=True,
    ),
    "Checkout": _object(
        {
            "order": _ref("Order"),
            "payment": _ref("Payment"),
            "order_token": {**_STRING, "description": "Guests only: proves ownership"},
        },
        ("order", "payment"),
    ),
    "RefundRequest": _object(
        {
            "amount": {"type": "integer", "minimum": 1, "description": "Default: all that is left"},
            "reason": {**_STRING, "maxLength": 500},
        },
        ("reason",),
        closed=True,
    ),
    "MergeRequest": _object(
        {"email": _EMAIL, "user_id": _USER_ID}, ("email", "user_id"), closed=True
    ),
    "WebhookOutcome": _object(
        {
            "event_id": _STRING,
            "outcome": _STRING,
            "code": _NULLABLE_STRING,
            "retryable": {"type": "boolean"},
            "order_id": {**_NULLABLE_STRING, "description": "Admin replay answers only"},
        }
    ),
    "WebhookEvent": _object(
        {
            "id": _STRING,
            "type": _STRING,
            "status": {
                "enum": ["received", "processing", "processed", "ignored", "failed", "parked"]
            },
            "attempts": {"type": "integer"},
            "last_error": _NULLABLE_STRING,
            "order_id": _NULLABLE_STRING,
            "livemode": {"type": "boolean"},
            "api_version": _NULLABLE_STRING,
            "received_at": _TIME,
            "processed_at": {**_TIME, "type": ["string", "null"]},
        },
        ("id", "type", "status", "attempts"),
    ),
}


def _operation(
    summary: str,
    responses: dict[str, Any],
    *,
    body: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
    security: list[dict[str, list[str]]] | None = None,
    gated: bool = True,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": dict(responses)}
    operation["responses"].setdefault("400", _NUL_REFUSED)
    if gated:
        operation["responses"]["503"] = _DISABLED
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
    if parameters:
        operation["parameters"] = parameters
    if security is not None:
        operation["security"] = security
    return operation


_CALLER: list[dict[str, list[str]]] = [{"user": []}, {"orderToken": []}, {"admin": []}]
_HTML = {"text/html": {"schema": _STRING}}


def _paths() -> dict[str, Any]:
    order_404 = _error("No such order, or not the caller's: code order_not_found")
    return {
        "/billing/health/": {
            "get": _operation(
                "Health of the service (served even when billing is disabled)",
                {
                    "200": _json(_ref("Health"), "Health report"),
                    "503": _json(
                        _ref("Health"),
                        "The database cannot be reached, or webhook events failed (degraded)",
                    ),
                },
                gated=False,
            )
        },
        "/billing/checkout/": {
            "post": _operation(
                "Create an order from catalog prices and its payment (user or guest)",
                {
                    "201": _json(_ref("Checkout"), "The order, its payment and a guest token"),
                    "400": _error("Invalid body, a price sent, a guessable guest key"),
                    "404": _error("Unknown product: code unknown_product"),
                    "409": _error("Idempotency-Key reused for another checkout"),
                },
                body="CheckoutRequest",
                parameters=[
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": _IDEMPOTENCY_KEY,
                        "description": "A retried checkout with the same key returns the same "
                        "order and payment. A guest's key is its secret: at least 128 random "
                        "bits (a UUID4, or secrets.token_urlsafe(16)), else 400 invalid_input",
                    }
                ],
                security=[{}, {"user": []}],
            )
        },
        "/billing/orders/{order_id}": {
            "get": _operation(
                "An order with its refunds, documents and transitions",
                {"200": _json(_ref("OrderDetails"), "The order"), "404": order_404},
                parameters=[_ORDER_ID],
                security=_CALLER,
            )
        },
        "/billing/orders/{order_id}/cancel": {
            "post": _operation(
                "Cancel an unpaid order",
                {
                    "200": _json(_ref("Order"), "The canceled order"),
                    "404": order_404,
                    "409": _error("Not cancelable: code order_not_cancelable"),
                },
                parameters=[_ORDER_ID],
                security=_CALLER,
            )
        },
        "/billing/orders/{order_id}/refunds": {
            "post": _operation(
                "Refund part or all of a paid order (administrators)",
                {
                    "201": _json(_ref("Refund"), "The refund"),
                    "400": _error("Invalid body, or a reason over 500 characters"),
                    "404": order_404,
                    "409": _error("Refused by the refund policy"),
                },
                body="RefundRequest",
                parameters=[_ORDER_ID],
                security=[{"admin": []}],
            )
        },
        "/billing/orders/{order_id}/documents/{document_id}.{fmt}": {
            "get": _operation(
                "An invoice or credit note file",
                {
                    "200": {
                        "description": "The file",
                        "content": {
                            "application/pdf": {"schema": {**_STRING, "format": "binary"}},
                            **_HTML,
                        },
                    },
                    "400": _error("Unknown format: code invalid_input"),
                    "409": _NOT_RENDERED,
                    "404": order_404,
                },
                parameters=[
                    _ORDER_ID,
                    {"name": "document_id", "in": "path", "required": True, "schema": _STRING},
                    {
                        "name": "fmt",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["html", "pdf"]},
                    },
                ],
                security=_CALLER,
            )
        },
        "/billing/orders/{order_id}/invoice.{fmt}": {
            "get": _operation(
                "The order's invoice file",
                {
                    "200": {
                        "description": "The file",
                        "content": {
                            "application/pdf": {"schema": {**_STRING, "format": "binary"}},
                            **_HTML,
                        },
                    },
                    "400": _error("Unknown format: code invalid_input"),
                    "409": _NOT_RENDERED,
                    "404": _error("No such order, not the caller's, or not invoiced yet"),
                },
                parameters=[
                    _ORDER_ID,
                    {
                        "name": "fmt",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["html", "pdf"]},
                    },
                ],
                security=_CALLER,
            )
        },
        "/billing/entitlements": {
            "get": _operation(
                "Active entitlements of the logged-in user",
                {
                    "200": _json(
                        _object(
                            {
                                "entitlements": {
                                    "type": "array",
                                    "items": _object(
                                        {"key": _STRING, "order_id": _STRING, "granted_at": _TIME}
                                    ),
                                }
                            }
                        ),
                        "Entitlements",
                    ),
                    "401": _error("No logged-in user: code authentication_required"),
                },
                security=[{"user": []}],
            )
        },
        "/billing/customers/merge": {
            "post": _operation(
                "Attach a guest email's orders and entitlements to a user (host application)",
                {
                    "200": _json(
                        _object(
                            {"orders": {"type": "integer"}, "entitlements": {"type": "integer"}}
                        ),
                        "How many were attached",
                    ),
                    "400": _error("Invalid body"),
                    "403": _error("Not an administrator: code admin_required"),
                },
                body="MergeRequest",
                security=[{"admin": []}],
            )
        },
        "/billing/webhooks/stripe/": {
            "post": _operation(
                "A payment provider's event delivery (raw body, signed)",
                {
                    "200": _json(
                        _ref("WebhookOutcome"),
                        "Processed, ignored, duplicate, parked, or failed for good "
                        "(amount_mismatch: journaled, replayed by an administrator)",
                    ),
                    "400": _error("Bad signature or payload: code invalid_signature"),
                    "413": _error("Body over 1 MiB: code payload_too_large"),
                    "503": _json(
                        _ref("WebhookOutcome"),
                        "Failed or too early: deliver it again (or billing_disabled, as Error)",
                    ),
                },
                parameters=[
                    {
                        "name": "Stripe-Signature",
                        "in": "header",
                        "required": True,
                        "schema": _STRING,
                    }
                ],
                security=[{}],
                gated=False,
            )
        },
        "/billing/admin/webhooks": {
            "get": _operation(
                "Journaled webhook events, newest first (administrators)",
                {
                    "200": _json(
                        _object({"events": {"type": "array", "items": _ref("WebhookEvent")}}),
                        "The events, without their payloads",
                    ),
                    "400": _error("Unknown status or bad limit: code invalid_input"),
                    "403": _error("Not an administrator: code admin_required"),
                },
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "enum": [
                                "received",
                                "processing",
                                "processed",
                                "ignored",
                                "failed",
                                "parked",
                            ]
                        },
                    },
                    _LIMIT,
                ],
                security=[{"admin": []}],
            )
        },
        "/billing/admin/webhooks/{event_id}/replay": {
            "post": _operation(
                "Run a failed or parked webhook event again (administrators)",
                {
                    "200": _json(
                        _ref("WebhookOutcome"),
                        "What the replay did; a settled event answers duplicate",
                    ),
                    "403": _error("Not an administrator: code admin_required"),
                    "404": _error("No such event: code webhook_event_not_found"),
                    "500": _error("Processing crashed: the event is kept as failed"),
                },
                parameters=[
                    {"name": "event_id", "in": "path", "required": True, "schema": _STRING}
                ],
                security=[{"admin": []}],
            )
        },
        "/billing/admin/disputes": {
            "get": _operation(
                "Disputes, the soonest evidence due date first (administrators)",
                {
                    "200": _json(
                        _object({"disputes": {"type": "array", "items": _ref("Dispute")}}),
                        "The disputes",
                    ),
                    "400": _error("Bad open flag or limit: code invalid_input"),
                    "403": _error("Not an administrator: code admin_required"),
                },
                parameters=[
                    {
                        "name": "open",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["true", "false"], "default": "false"},
                        "description": "Only the disputes still being decided",
                    },
                    _LIMIT,
                ],
                security=[{"admin": []}],
            )
        },
        "/billing/": {
            "get": _operation(
                "The storefront: the catalog with quantities and a guest email",
                {"200": {"description": "HTML page", "content": _HTML}},
            )
        },
        "/billing/shop/checkout": {
            "post": {
                **_operation(
                    "Buy from the storefront form: redirects to the provider's payment page",
                    {
                        "303": {"description": "To the hosted payment page"},
                        "400": _error("Invalid cart or email: code invalid_input"),
                        "403": _error(
                            "Not from the storefront page of the visitor's session: code "
                            "csrf_token_invalid (or cross_site_request)"
                        ),
                    },
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                **_object(
                                    {
                                        "email": _STRING,
                                        "request_key": _STRING,
                                        "csrf_token": _STRING,
                                    }
                                ),
                                "description": "and quantity-<sku> fields: whole numbers",
                            }
                        }
                    },
                },
            }
        },
        "/billing/success/": {
            "get": _operation(
                "Return page after payment; shows the order until it is paid",
                {
                    "200": {"description": "HTML page", "content": _HTML},
                    "303": {
                        "description": "A token that opens the order, moved into the guest's "
                        "cookie: to this page without it"
                    },
                },
                parameters=[
                    {"name": "order", "in": "query", "required": False, "schema": _STRING},
                    {"name": "token", "in": "query", "required": False, "schema": _STRING},
                ],
            )
        },
        "/billing/cancel/": {
            "get": _operation(
                "Return page after a canceled payment",
                {"200": {"description": "HTML page", "content": _HTML}},
                parameters=[{"name": "order", "in": "query", "required": False, "schema": _STRING}],
            )
        },
        "/billing/metrics": {
            "get": _operation(
                "Prometheus metrics",
                {
                    "200": {
                        "description": "Exposition format",
                        "content": {"text/plain": {"schema": _STRING}},
                    }
                },
            )
        },
        "/billing/openapi.json": {
            "get": _operation(
                "This document", {"200": _json({"type": "object"}, "OpenAPI 3.1 document")}
            )
        },
    }


# -- the browser boundary (http_security): refusals every state-changing operation may answer --

_CROSS_SITE = _error(
    "Sent by another site's page (Sec-Fetch-Site or Origin): code cross_site_request"
)
_NOT_JSON = _error(
    "A form or text body (what another site's page can send): code unsupported_media_type"
)
_FORM_OPERATIONS = {("/billing/shop/checkout", "post")}


def _with_browser_refusals(paths: dict[str, Any]) -> dict[str, Any]:
    for path, operations in paths.items():
        for method, operation in operations.items():
            signed = path == "/billing/webhooks/stripe/"
            if method not in ("post", "put", "patch", "delete") or signed:
                continue
            operation["responses"].setdefault("403", _CROSS_SITE)
            if (path, method) not in _FORM_OPERATIONS:
                operation["responses"].setdefault("415", _NOT_JSON)
    return paths


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "billing",
            "version": _version,
            "description": "Orders, payments, refunds, invoices and entitlements. Every route "
            "but health answers 503 billing_disabled while BILLING_ENABLED is off.",
        },
        "paths": _with_browser_refusals(_paths()),
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "user": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-User-Id",
                    "description": "The trusted header set by the host's gateway "
                    "(its name is BILLING_USER_HEADER)",
                },
                "orderToken": {"type": "apiKey", "in": "header", "name": "X-Order-Token"},
                "admin": {"type": "http", "scheme": "bearer"},
            },
        },
    }
