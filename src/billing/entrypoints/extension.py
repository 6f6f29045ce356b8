"""``Billing``: the Flask extension a host application mounts billing with.

    billing = Billing(user_loader=flask_login_user, is_admin=lambda user_id: ...)
    billing.init_app(app)              # or Billing(app, ...)

Settings come from the app's config (``BILLING_*`` and ``STRIPE_*`` keys, typed values taken
as they are), then the environment; each is the same declared setting as for ``billing serve``
(``settings.py``). The routes are mounted under ``BILLING_URL_PREFIX`` (``url_prefix=``,
default ``/billing``). Everything billing keeps lives in the app's ``extensions``: several apps
in one process, or one ``Billing`` object given to several apps, share no state.
``create_app()`` is one use of it, on billing's own app.
"""

from __future__ import annotations

import os
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from dependency_injector import providers
from flask import Flask, current_app

from billing.domain.entitlement import Entitlement
from billing.domain.order import Customer
from billing.services.entitlements import MergeResult

from . import request_hooks
from .container import Container, build_container
from .demo import load_demo_catalog
from .http_errors import register_error_handlers
from .http_security import secure
from .logging_json import configure_logging, logging_configured
from .mounting import CONTAINER, EXTENSION, Mount, mount_of
from .settings import Settings
from .views import (
    admin,
    admin_disputes,
    admin_webhooks,
    assets,
    catalog,
    checkout,
    customers,
    documents,
    entitlements,
    health,
    metrics,
    openapi,
    orders,
    pages,
    refunds,
    sandbox,
    storefront,
    webhooks,
)
from .views.identity import AdminCheck, UserLoader
from .wiring import wire_views

BLUEPRINTS = (
    health,
    checkout,
    orders,
    refunds,
    documents,
    entitlements,
    customers,
    webhooks,
    admin_webhooks,
    admin_disputes,  # money lifecycle (issue 17)
    pages,
    metrics,
    openapi,
    storefront,
    catalog,  # the catalog and the administrators' listings (issue 20)
    admin,
    assets,  # the invoice HTML's fonts
)


def settings_for(config: Mapping[str, Any], **given: Any) -> Settings:
    """The settings of an app: its config first, then the environment; ``given`` wins."""
    return Settings.from_env(ChainMap(dict(config), dict(os.environ)), **given)


class Billing:
    """Billing in a Flask app: settings, routes under a prefix, the host's users."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        user_loader: UserLoader | None = None,
        is_admin: AdminCheck | None = None,
        url_prefix: str | None = None,
        settings: Settings | None = None,
        container: Container | None = None,
    ) -> None:
        self._user_loader = user_loader
        self._is_admin = is_admin
        self._url_prefix = url_prefix
        self._settings = settings
        self._container = container
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        self._mount(app, whole_app=False)

    def _mount(self, app: Flask, *, whole_app: bool) -> None:
        container = self._container or build_container(self._settings or self._read(app))
        if self._user_loader is not None:
            container.user_loader.override(providers.Object(self._user_loader))
        if self._is_admin is not None:
            container.admin_check.override(providers.Object(self._is_admin))
        settings = container.settings()
        app.extensions[EXTENSION] = Mount(container, settings.url_prefix, whole_app)
        app.extensions[CONTAINER] = container
        wire_views()
        container.job_publisher()  # a Resource: made here, once, not by two first requests at once
        register_error_handlers(app)
        if not logging_configured():
            configure_logging()
        request_hooks.install(app)
        for module in BLUEPRINTS:
            app.register_blueprint(module.blueprint, url_prefix=settings.url_prefix)
        if settings.payment_provider == "sandbox":  # its hosted page and JSON API
            app.register_blueprint(sandbox.blueprint, url_prefix=settings.url_prefix)
        # CSRF, origins, security headers, JSON depth, redirects; a host keeps its own session.
        secure(app, settings, own_session=whole_app or app.secret_key is None)
        if settings.demo_catalog:
            load_demo_catalog(container)

    def _read(self, app: Flask) -> Settings:
        given = {} if self._url_prefix is None else {"url_prefix": self._url_prefix}
        return settings_for(app.config, **given)

    @staticmethod
    def container(app: Flask | None = None) -> Container:
        """The container of ``app`` (default: the current app)."""
        return mount_of(app or current_app).container

    def entitlements(self, user_id: str) -> list[Entitlement]:
        """What ``user_id`` holds now (paid, not refunded): for the host's own pages."""
        return self.container().entitlements().active_for(Customer(user_id=user_id))

    def on_login(self, user_id: str, verified_email: str | None) -> MergeResult:
        """The host calls this when a user logs in: the guest orders (and the entitlements
        they paid for) of ``verified_email`` become the user's; running it again changes
        nothing. Only an address the host has verified may
        claim them; with ``None`` (not verified) nothing moves."""
        if not verified_email:
            return MergeResult(0, 0)
        return self.container().entitlements().merge_guest(verified_email, user_id)


def own_app(
    app: Flask, settings: Settings | None = None, container: Container | None = None
) -> None:
    """Billing as the whole of ``app`` (``create_app``): every request is billing's."""
    Billing(settings=settings, container=container)._mount(app, whole_app=True)
