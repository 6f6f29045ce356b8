"""Where and how to reach the mail server: ``BILLING_SMTP_URL`` read into one value.

``smtp://user:pass@host:587`` speaks plain SMTP and upgrades with STARTTLS whenever the server
offers it (``?starttls=required``: refuse a server that does not); ``smtps://host:465`` is TLS
from the first byte. Certificates are verified against the system's CAs, or the one file named
by ``?ca_file=/path/ca.pem``. User and password are percent-decoded, and never sent over a
connection that is not encrypted. Built by the entry points; nothing here reads the environment.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from billing.domain.errors import InvalidInput

SETTING: Final = "BILLING_SMTP_URL"
DEFAULT_PORTS: Final = {"smtp": 587, "smtps": 465}
STARTTLS_MODES: Final = ("auto", "required")
_PARAMETERS: Final = frozenset({"starttls", "ca_file"})


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput(f"{SETTING} {reason}", setting=SETTING)


@attrs.frozen
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: str = "auto"
    username: str = ""
    password: str = attrs.field(default="", repr=False)
    ca_file: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str, timeout: float = 10.0) -> SmtpConfig:
        """The configuration in ``url``; InvalidInput naming the setting (never echoing the
        URL, which holds the password) when it is not one we can use."""
        parts = urlsplit(url.strip())
        if parts.scheme not in DEFAULT_PORTS:
            raise _refuse("must start with smtp:// or smtps://")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise _refuse("has an invalid port") from None
        if not parts.hostname:
            raise _refuse("names no host")
        if parts.path not in ("", "/") or parts.fragment:
            raise _refuse("takes no path")
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
        unknown = sorted(set(query) - _PARAMETERS)
        if unknown or any(len(values) != 1 for values in query.values()):
            raise _refuse(f"takes each of {sorted(_PARAMETERS)} once at most, not {unknown}")
        starttls = query.get("starttls", ["auto"])[0]
        if starttls not in STARTTLS_MODES:
            raise _refuse(f"starttls must be one of {list(STARTTLS_MODES)}")
        if parts.scheme == "smtps" and "starttls" in query:
            raise _refuse("uses TLS from the start with smtps://: starttls does not apply")
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=parts.scheme == "smtps",
            starttls=starttls,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            ca_file=query.get("ca_file", [None])[0] or None,
            timeout=timeout,
        )
