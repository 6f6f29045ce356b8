"""The HTTP trust boundary, set up in one place: ``secure(app, settings)`` from ``create_app``.

- **Request forgery.** A state-changing request (POST, PUT, PATCH, DELETE) must not come from
  another site's page: when the browser says where it comes from (``Sec-Fetch-Site``, else
  ``Origin``) it is this service itself, or the request is refused (403
  ``cross_site_request``). A browser form (a view marked ``@browser_form``) must also carry the
  session's CSRF token (Flask-WTF's ``CSRFProtect``; 403 ``csrf_token_invalid``). Every other
  route is the JSON API: a body of a type that another site's form can send without a CORS
  preflight (form-urlencoded, multipart, text/plain) is refused with 415, so that only
  ``application/json`` or no body reaches it; non-browser clients send no ``Origin`` and are
  not affected. The provider's webhook (``@signed_delivery``) is proven by its signature alone.
- **Headers on every answer**: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: same-origin`` (no address of ours, with its order id or client secret,
  goes to another site; ``no-referrer`` would make browsers send ``Origin: null`` with our own
  forms), and on HTML a Content-Security-Policy: nothing but the pages' own stylesheet, by its
  hash; no script, no framing. A view may set its own (stored documents do).
- **JSON bodies** nest at most ``bounded_json.MAX_DEPTH`` levels, else 400 ``invalid_input``.
- **Redirects** the URL map makes (a missing trailing slash) have a relative ``Location``: the
  request's ``Host`` header is never sent back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.routing import RequestRedirect

from billing import bounded_json
from billing.domain.errors import BillingError, InvalidInput

from .mounting import serving_billing
from .settings import Settings

View = TypeVar("View", bound=Callable[..., Any])

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: What an HTML form (or a ``no-cors`` fetch) of another site can send without a preflight.
FORM_MEDIA_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
#: ``Sec-Fetch-Site`` values of a request made by our own pages, or by the user themself.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
SESSION_COOKIE = "billing_session"
#: The pages' stylesheet, included in ``billing/base.html``'s one ``<style>`` element.
PAGE_STYLESHEET = "billing/page.css"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
#: A stored document (an invoice's HTML file): its own inline styles and the billing's fonts
#: (``/billing/assets/fonts/``), and nothing it could run.
DOCUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
)
_BROWSER_FORM = "billing_browser_form"
_SIGNED_DELIVERY = "billing_signed_delivery"
_SESSION_KEY_CONTEXT = b"billing-browser-session"


class CrossSiteRequest(BillingError):
    """A state-changing request that another site's page made a visitor's browser send."""

    code = "cross_site_request"


class CsrfTokenRefused(CrossSiteRequest):
    """A browser form posted without the CSRF token of the visitor's session."""

    code = "csrf_token_invalid"


def browser_form(view: View) -> View:
    """Mark a view that our pages' forms post to: it needs the session's CSRF token."""
    setattr(view, _BROWSER_FORM, True)
    return view


def signed_delivery(view: View) -> View:
    """Mark a view whose requests are proven by a signature over their body (the provider's
    webhook): no browser check applies, the signature decides."""
    setattr(view, _SIGNED_DELIVERY, True)
    return view


def secure(app: Flask, settings: Settings, *, own_session: bool = True) -> None:
    """Install every check and header of this module on ``app``, for billing's requests
    (``mounting.serving_billing``). ``own_session``: billing configures the app's session;
    otherwise the host's session (its key, its cookie) holds the CSRF token."""
    csrf = _sessions(app, settings, own_session)
    if type(app.json) is DefaultJSONProvider:  # a host's own JSON provider is left alone
        app.json = _BoundedJSON(app)
    _refuse_forgeries(app, csrf, settings.public_base_url)
    _security_headers(app)
    _relative_redirects(app)


def _sessions(app: Flask, settings: Settings, own_session: bool) -> CSRFProtect:
    """The browser session holds the CSRF token only, in a signed HttpOnly cookie under
    ``/billing/``, under a key derived from ``BILLING_SECRET_KEY`` (the same in every worker)."""
    if own_session:
        app.secret_key = _session_key(settings.secret_key)
        app.config.update(
            SESSION_COOKIE_NAME=SESSION_COOKIE,
            SESSION_COOKIE_PATH=settings.url_prefix + "/",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        )
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # ``_refuse_forgeries`` decides which views need it
        WTF_CSRF_SSL_STRICT=False,  # its Referer check: ours looks at Sec-Fetch-Site/Origin
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the browser session it is bound to
    )
    return CSRFProtect(app)


def _session_key(secret: str) -> bytes:
    if not secret:
        return secrets.token_bytes(32)  # as the guest tokens: valid for this process only
    return hmac.new(secret.encode(), _SESSION_KEY_CONTEXT, hashlib.sha256).digest()


class _BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, refusing a body nested too deep wherever it is parsed (hooks included,
    ``silent=True`` or not)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return bounded_json.loads(s, **kwargs)
        except bounded_json.TooDeep as error:
            raise InvalidInput(str(error), field="body") from None


def _refuse_forgeries(app: Flask, csrf: CSRFProtect, public_base_url: str) -> None:
    public = urlsplit(public_base_url)
    public_origin = f"{public.scheme}://{public.netloc}".lower()

    def ours(origin: str) -> bool:
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in ("http", "https"):
            return False  # "null": a sandboxed frame, a data: page, a privacy-stripped origin
        return f"{parts.scheme}://{parts.netloc}" == public_origin or parts.netloc == (
            request.host.lower()
        )

    def cross_site() -> bool:
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None:
            return site.strip().lower() not in OWN_FETCH_SITES
        origin = request.headers.get("Origin")
        return origin is not None and not ours(origin)

    @app.before_request
    def refuse_forgery() -> None:
        if request.method not in STATE_CHANGING or not serving_billing():
            return
        view = app.view_functions.get(request.endpoint or "")
        if view is None or getattr(view, _SIGNED_DELIVERY, False):
            return  # no route (404/405 follow), or proven by a signature
        if cross_site():
            raise CrossSiteRequest(
                "this request came from another site's page: reload our page and send it again"
            )
        if getattr(view, _BROWSER_FORM, False):
            try:
                csrf.protect()
            except CSRFError as error:
                raise CsrfTokenRefused(
                    f"{error.description} Reload the page and send the form again."
                ) from None
        elif request.mimetype in FORM_MEDIA_TYPES:
            raise UnsupportedMediaType(
                "this route takes an application/json body (or none), not a form"
            )


def _security_headers(app: Flask) -> None:
    with app.app_context():
        stylesheet = app.jinja_env.get_template(PAGE_STYLESHEET).render()
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode()).digest()).decode()
    page_policy = (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; frame-ancestors 'none'"
    )

    @app.after_request
    def security_headers(response: Response) -> Response:
        if not serving_billing():
            return response
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", page_policy)
        return response


def _relative_redirects(app: Flask) -> None:
    @app.after_request
    def relative_location(response: Response) -> Response:
        if not serving_billing():
            return response
        if isinstance(request.routing_exception, RequestRedirect) and response.location:
            target = urlsplit(response.location)
            path = "/" + target.path.lstrip("/")  # never "//host": that is another site
            response.headers["Location"] = f"{path}?{target.query}" if target.query else path
        return response
