"""The ``user_loader`` for hosts that log their users in with Flask-Login.

``Billing(user_loader=flask_login_user)``: the logged-in ``current_user``'s ``get_id()``, or
None for an anonymous visitor. Flask-Login is the host's dependency (``pip install
billing[flask-login]``), imported only when this loader runs.
"""

from __future__ import annotations


def flask_login_user() -> str | None:
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return None
    user_id = current_user.get_id()
    return str(user_id) if user_id is not None else None
