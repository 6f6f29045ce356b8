"""The OpenAPI 3.1 document of billing's routes: their paths, security and descriptions.

Billing is mounted under a prefix (``/billing`` by default, ``/shop/billing`` in a host app):
the document's ``servers`` entry is that prefix and every path is relative to it, as OpenAPI
has it (a path is appended to its server's URL), so one document fits every mount.

The component schemas are not written here: they are generated (``json_schema``) from the
attrs classes the views parse bodies into and answer with (``views/bodies.py``,
``views/responses.py``, the sandbox's bodies), so the document says what the code does. A
test checks that every route of the app is here (and nothing else), sandbox routes included
when the sandbox is mounted, and that the document is valid OpenAPI 3.1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing import __version__ as _version
from billing.adapters.invoices.assets import font_names
from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus

from .json_schema import STRING as _STRING
from .json_schema import Components
from .views import admin_responses as admin_views
from .views import bodies
from .views import catalog_responses as catalog_views
from .views import responses as r

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


#: 1 to 255 printable ASCII characters; HTTP strips a header's outer spaces, so none there.
_IDEMPOTENCY_KEY = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": "^[!-~]([ -~]*[!-~])?$",
}
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


def _operation(
    summary: str,
    responses: dict[str, Any],
    *,
    body: dict[str, str] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    security: list[dict[str, list[str]]] | None = None,
    gated: bool = True,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": dict(responses)}
    operation["responses"].setdefault("400", _NUL_REFUSED)
    if gated:
        operation["responses"]["503"] = _DISABLED
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    if parameters:
        operation["parameters"] = parameters
    if security is not None:
        operation["security"] = security
    return operation


_CALLER: list[dict[str, list[str]]] = [{"user": []}, {"orderToken": []}, {"admin": []}]
_HTML = {"text/html": {"schema": _STRING}}


def _paths(see: Callable[[type], dict[str, str]]) -> dict[str, Any]:
    """The paths of every route; ``see(cls)`` is the ``$ref`` to the schema of ``cls``."""
    order_404 = _error("No such order, or not the caller's: code order_not_found")
    return {
        "/health/": {
            "get": _operation(
                "Health of the service (served even when billing is disabled)",
                {
                    "200": _json(see(r.HealthJson), "Health report"),
                    "503": _json(
                        see(r.HealthJson),
                        "The database cannot be reached, or webhook events failed (degraded)",
                    ),
                },
                gated=False,
            )
        },
        "/checkout/": {
            "post": _operation(
                "Create an order from catalog prices and its payment (user or guest)",
                {
                    "201": _json(see(r.CheckoutJson), "The order, its payment and a guest token"),
                    "400": _error("Invalid body, a price sent, a guessable guest key"),
                    "404": _error("Unknown product: code unknown_product"),
                    "409": _error("Idempotency-Key reused for another checkout"),
                },
                body=see(bodies.CheckoutBody),
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
        "/orders/{order_id}": {
            "get": _operation(
                "An order with its refunds, documents and transitions",
                {"200": _json(see(r.OrderDetailsJson), "The order"), "404": order_404},
                parameters=[_ORDER_ID],
                security=_CALLER,
            )
        },
        "/orders/{order_id}/cancel": {
            "post": _operation(
                "Cancel an unpaid order",
                {
                    "200": _json(see(r.OrderJson), "The canceled order"),
                    "404": order_404,
                    "409": _error("Not cancelable: code order_not_cancelable"),
                },
                parameters=[_ORDER_ID],
                security=_CALLER,
            )
        },
        "/orders/{order_id}/refunds": {
            "post": _operation(
                "Refund part or all of a paid order (administrators)",
                {
                    "201": _json(see(r.RefundJson), "The refund"),
                    "400": _error("Invalid body, or a reason over 500 characters"),
                    "404": order_404,
                    "409": _error("Refused by the refund policy"),
                },
                body=see(bodies.RefundBody),
                parameters=[_ORDER_ID],
                security=[{"admin": []}],
            )
        },
        "/orders/{order_id}/documents/{document_id}.{fmt}": {
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
        "/orders/{order_id}/invoice.{fmt}": {
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
        "/assets/fonts/{font}": {
            "get": _operation(
                "A font of the invoice HTML, the one its PDF embeds (public, cacheable)",
                {
                    "200": {
                        "description": "The font file",
                        "content": {"font/ttf": {"schema": {**_STRING, "format": "binary"}}},
                    },
                    "404": _error("No such packaged font: code not_found"),
                },
                parameters=[
                    {
                        "name": "font",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": sorted(font_names())},
                    }
                ],
            )
        },
        "/entitlements": {
            "get": _operation(
                "Active entitlements of the logged-in user",
                {
                    "200": _json(see(r.EntitlementsJson), "Entitlements"),
                    "401": _error("No logged-in user: code authentication_required"),
                },
                security=[{"user": []}],
            )
        },
        "/customers/merge": {
            "post": _operation(
                "Attach a guest email's orders and entitlements to a user (host application)",
                {
                    "200": _json(see(r.MergedJson), "How many were attached"),
                    "400": _error("Invalid body"),
                    "403": _error("Not an administrator: code admin_required"),
                },
                body=see(bodies.MergeBody),
                security=[{"admin": []}],
            )
        },
        "/webhooks/stripe/": {
            "post": _operation(
                "A payment provider's event delivery (raw body, signed)",
                {
                    "200": _json(
                        see(r.WebhookOutcomeJson),
                        "Processed, ignored, duplicate, parked, or failed for good "
                        "(amount_mismatch: journaled, replayed by an administrator)",
                    ),
                    "400": _error("Bad signature or payload: code invalid_signature"),
                    "413": _error("Body over 1 MiB: code payload_too_large"),
                    "503": _json(
                        see(r.WebhookOutcomeJson),
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
        "/admin/webhooks": {
            "get": _operation(
                "Journaled webhook events, newest first (administrators)",
                {
                    "200": _json(see(r.WebhookEventsJson), "The events, without their payloads"),
                    "400": _error("Unknown status or bad limit: code invalid_input"),
                    "403": _error("Not an administrator: code admin_required"),
                },
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": Components().of(WebhookStatus),
                    },
                    _LIMIT,
                ],
                security=[{"admin": []}],
            )
        },
        "/admin/webhooks/{event_id}/replay": {
            "post": _operation(
                "Run a failed or parked webhook event again (administrators)",
                {
                    "200": _json(
                        see(r.WebhookOutcomeJson),
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
        "/admin/disputes": {
            "get": _operation(
                "Disputes, the soonest evidence due date first (administrators)",
                {
                    "200": _json(see(r.DisputesJson), "The disputes"),
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
        "/": {
            "get": _operation(
                "The storefront: the catalog with quantities and a guest email",
                {"200": {"description": "HTML page", "content": _HTML}},
            )
        },
        "/shop/checkout": {
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
        "/success/": {
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
        "/cancel/": {
            "get": _operation(
                "Return page after a canceled payment",
                {"200": {"description": "HTML page", "content": _HTML}},
                parameters=[{"name": "order", "in": "query", "required": False, "schema": _STRING}],
            )
        },
        "/metrics": {
            "get": _operation(
                "Prometheus metrics",
                {
                    "200": {
                        "description": "Exposition format",
                        "content": {"text/plain": {"schema": _STRING}},
                    },
                    "401": _error(
                        "BILLING_METRICS_TOKEN is set and was not presented: code "
                        "authentication_required"
                    ),
                },
            )
        },
        "/openapi.json": {
            "get": _operation(
                "This document", {"200": _json({"type": "object"}, "OpenAPI 3.1 document")}
            )
        },
    }


def _sandbox_paths(see: Callable[[type], dict[str, str]]) -> dict[str, Any]:
    """The sandbox provider's routes, there only while it is mounted."""
    from .views import sandbox  # imports the sandbox adapter: only when it is mounted

    missing = _error("No such sandbox object: code resource_missing")
    payment_id = {"name": "payment_id", "in": "path", "required": True, "schema": _STRING}
    stripe_object = _json({"type": "object"}, "The object, as Stripe's API shows it")
    api: list[dict[str, list[str]]] = [{"sandboxKey": []}, {"admin": []}]
    needs_key = _error("No STRIPE_SECRET_KEY nor admin token: code authentication_required")
    page = {"description": "The hosted payment page", "content": _HTML}

    def call(summary: str, body: type) -> dict[str, Any]:
        answers = {
            "200": stripe_object,
            "400": _error("Invalid body: code invalid_input"),
            "401": needs_key,
            "402": _error("The card was declined: code payment_declined"),
            "404": missing,
            "409": _error("Not in a state that allows it: code provider_rejected"),
        }
        return _operation(summary, answers, body=see(body), security=api)

    form = _object(
        {
            "action": {"enum": ["pay", "authenticate", "fail_authentication"]},
            "card": _STRING,
            "page_token": _STRING,
            "client_secret": _STRING,
            "csrf_token": _STRING,
        }
    )
    return {
        "/sandbox/checkout/{payment_id}": {
            "get": _operation(
                "The sandbox's hosted page of a Checkout Session or PaymentIntent",
                {"200": page, "403": {**page, "description": "Refused"}, "404": missing},
                parameters=[
                    payment_id,
                    {"name": "client_secret", "in": "query", "required": False, "schema": _STRING},
                ],
            ),
            "post": {
                **_operation(
                    "Pay, or answer 3-D Secure, on the hosted page (a browser form)",
                    {
                        "200": page,
                        "303": {"description": "Paid: to the session's success URL"},
                        "400": {**page, "description": "Unknown action"},
                        "402": {**page, "description": "Declined"},
                        "404": missing,
                        "409": {**page, "description": "Refused by the sandbox"},
                    },
                    parameters=[payment_id],
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": form}},
                },
            },
        },
        "/sandbox/api/pay": {"post": call("Pay with a test card", sandbox.PayBody)},
        "/sandbox/api/confirm": {
            "post": call("Complete (or fail) 3-D Secure", sandbox.ConfirmBody)
        },
        "/sandbox/api/expire": {"post": call("Expire a Checkout Session", sandbox.ExpireBody)},
        "/sandbox/api/objects/{object_id}": {
            "get": _operation(
                "Any sandbox object as Stripe JSON",
                {"200": stripe_object, "401": needs_key, "404": missing},
                parameters=[
                    {"name": "object_id", "in": "path", "required": True, "schema": _STRING}
                ],
                security=api,
            )
        },
        "/sandbox/api/deliver": {
            "post": _operation(
                "Send the sandbox's undelivered events now",
                {"200": _json(see(sandbox.DeliveredJson), "The events sent"), "401": needs_key},
                security=api,
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
_FORM_OPERATIONS = {
    ("/shop/checkout", "post"),
    ("/sandbox/checkout/{payment_id}", "post"),
}


def _with_browser_refusals(paths: dict[str, Any]) -> dict[str, Any]:
    for path, operations in paths.items():
        for method, operation in operations.items():
            signed = path == "/webhooks/stripe/"
            if method not in ("post", "put", "patch", "delete") or signed:
                continue
            operation["responses"].setdefault("403", _CROSS_SITE)
            if (path, method) not in _FORM_OPERATIONS:
                operation["responses"].setdefault("415", _NOT_JSON)
    return paths


def openapi_document(*, sandbox: bool = False, server: str = "/billing") -> dict[str, Any]:
    """The document; ``sandbox``: with the sandbox provider's routes (mounted with it);
    ``server``: where billing is mounted, the path every documented path is appended to."""
    components = Components()
    components.add(r.ErrorJson)
    paths = {**_paths(components.add), **_catalog_and_admin_paths(components.add)}
    if sandbox:
        paths.update(_sandbox_paths(components.add))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "billing",
            "version": _version,
            "description": "Orders, payments, refunds, invoices and entitlements. Every route "
            "but health answers 503 billing_disabled while BILLING_ENABLED is off.",
        },
        "servers": [
            {
                "url": server or "/",
                "description": "Where billing is mounted on this host: every path is under it",
            }
        ],
        "paths": _with_browser_refusals(paths),
        "components": {
            "schemas": components.schemas,
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
                **(_SANDBOX_SECURITY if sandbox else {}),
            },
        },
    }


_SANDBOX_SECURITY = {
    "sandboxKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "STRIPE_SECRET_KEY (HTTP Basic with it as user name works too)",
    }
}


# == issue 20: the catalog and the administrators' listings ===================================
# Their answers are attrs classes in ``views/catalog_responses.py`` and
# ``views/admin_responses.py``; their schemas are generated from them (``see``).

_TIME = {"type": "string", "format": "date-time"}
_AFTER = {
    "name": "after",
    "in": "query",
    "required": False,
    "schema": _STRING,
    "description": "The next cursor of the previous page",
}
_PAGE = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
}
_ADMIN_ONLY = {"403": _error("Not an administrator: code admin_required")}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _catalog_and_admin_paths(see: Callable[[type], dict[str, str]]) -> dict[str, Any]:
    return {
        "/products": {
            "get": _operation(
                "The active products and their server-side prices (public)",
                {"200": _json(see(catalog_views.ProductList), "The catalog")},
            )
        },
        "/admin/orders": {
            "get": _operation(
                "Orders, newest first, a page at a time (administrators)",
                {
                    "200": _json(see(admin_views.OrderPage), "A page of orders with their totals"),
                    "400": _error("Bad filter, cursor or limit: code invalid_input"),
                    **_ADMIN_ONLY,
                },
                parameters=[
                    _query("status", {"enum": [str(s) for s in OrderStatus]}, "Only this status"),
                    _query("email", _STRING, "Only a guest's (or a user's) orders by email"),
                    _query("user_id", _STRING, "Only this user's orders"),
                    _query("created_from", _TIME, "Created at or after (ISO 8601)"),
                    _query("created_before", _TIME, "Created before (ISO 8601)"),
                    _AFTER,
                    _PAGE,
                ],
                security=[{"admin": []}],
            )
        },
        "/admin/orders/{order_id}": {
            "get": _operation(
                "One order with its transitions, refunds, documents and payments (administrators)",
                {
                    "200": _json(see(admin_views.AdminOrder), "The order"),
                    "404": _error("No such order, or not an administrator: code order_not_found"),
                },
                parameters=[_ORDER_ID],
                security=[{"admin": []}],
            )
        },
        "/admin/webhooks/{event_id}": {
            "get": _operation(
                "A journaled webhook event with the raw payload received (administrators)",
                {
                    "200": _json(
                        see(r.WebhookEventDetailJson),
                        "The event; payload is the body the provider signed, as text",
                    ),
                    "404": _error("No such event: code webhook_event_not_found"),
                    **_ADMIN_ONLY,
                },
                parameters=[
                    {"name": "event_id", "in": "path", "required": True, "schema": _STRING}
                ],
                security=[{"admin": []}],
            )
        },
        "/admin/refunds": {
            "get": _operation(
                "Refunds, newest first, a page at a time (administrators)",
                {
                    "200": _json(see(admin_views.RefundList), "A page of refunds"),
                    "400": _error("Bad cursor or limit: code invalid_input"),
                    **_ADMIN_ONLY,
                },
                parameters=[_AFTER, _PAGE],
                security=[{"admin": []}],
            )
        },
    }


# == end of issue 20 ==========================================================================
