"""A host application with its own users, and billing mounted in it at ``/shop/billing``.

Two users log in with Flask-Login (``alice``/``alice-password``, ``bob``/``bob-password``);
the home page links to the billing storefront and lists what the user holds. Run it with:

    BILLING_PUBLIC_BASE_URL=http://127.0.0.1:5000 .venv/bin/flask --app examples/host_app/app.py run

(the sandbox provider, a SQLite file under ./var and the demo catalog, as ``make run``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, redirect, render_template_string, request, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from billing import Billing, flask_login_user


@dataclass(frozen=True)
class User(UserMixin):  # type: ignore[misc]
    id: str
    name: str
    email: str
    email_verified: bool
    password_hash: str


USERS = {
    user.id: user
    for user in (
        User("alice", "Alice", "alice@example.com", True, generate_password_hash("alice-password")),
        User("bob", "Bob", "bob@example.com", False, generate_password_hash("bob-password")),
    )
}
#: The ten lines a host needs (see the README's "Embedding"): one extension, the host's users.
billing = Billing(user_loader=flask_login_user, is_admin=lambda user_id: False)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Host</title></head>
<body><main>
{% if user %}
  <p>Signed in as <strong id="user">{{ user.name }}</strong>.</p>
  <form method="post" action="{{ url_for('logout') }}"><button id="logout">Log out</button></form>
  <p><a id="shop" href="{{ url_for('billing_storefront.storefront') }}">Visit the shop</a></p>
  <h2>Your purchases</h2>
  <ul id="entitlements">{% for e in entitlements %}<li>{{ e.key }}</li>{% else %}
    <li>Nothing yet.</li>{% endfor %}</ul>
{% else %}
  <form method="post" action="{{ url_for('login') }}">
    <label>User <input name="username" id="username"></label>
    <label>Password <input name="password" id="password" type="password"></label>
    <button id="login">Log in</button>
  </form>
  {% if error %}<p id="error">{{ error }}</p>{% endif %}
  <p><a href="{{ url_for('billing_storefront.storefront') }}">Or shop as a guest</a></p>
{% endif %}
</main></body></html>"""


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("HOST_SECRET_KEY", "host-example-only-not-a-secret"),
        BILLING_ENABLED=True,
        BILLING_URL_PREFIX="/shop/billing",
        BILLING_DEMO_CATALOG=True,
    )
    app.config.update(config or {})
    logins = LoginManager(app)
    logins.user_loader(USERS.get)
    billing.init_app(app)

    @app.get("/")
    def home() -> str:
        user = current_user if current_user.is_authenticated else None
        held = billing.entitlements(user.id) if user else []
        return render_template_string(PAGE, user=user, entitlements=held, error=None)

    @app.post("/login")
    def login() -> str | Response:
        user = USERS.get(request.form.get("username", ""))
        if user is None or not check_password_hash(user.password_hash, request.form["password"]):
            return render_template_string(PAGE, user=None, error="Wrong user or password.")
        login_user(user)
        # Guest orders paid with this address become the user's, if the address is verified.
        billing.on_login(user.id, user.email if user.email_verified else None)
        return redirect(url_for("home"))

    @app.post("/logout")
    @login_required  # type: ignore[untyped-decorator]
    def logout() -> Response:
        logout_user()
        return redirect(url_for("home"))

    return app
