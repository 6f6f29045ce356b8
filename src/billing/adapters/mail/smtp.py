"""``SmtpMailer``: the ``Mailer`` port on the standard library's ``smtplib``.

One connection per message: connect (TLS at once with ``smtps://``), ``EHLO``, ``STARTTLS``
when offered (or required), ``AUTH`` only once encrypted, ``MAIL``/``RCPT``/``DATA``, ``QUIT``.
Certificates and host names are verified by default. Every socket operation times out.

Errors are sorted by what they say about the message: ``MailUnavailable`` (no connection, a
4xx answer, a timeout) and ``MailRejected`` (a 5xx answer, credentials refused, a server that
will not encrypt) both mean the server did not take it. Once the server answered ``DATA`` with
250 the message is sent: a failure of the ``QUIT`` that follows changes nothing.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from billing.domain.errors import BillingError
from billing.domain.mail import MailMessage, MailRejected, MailUnavailable

from .config import SmtpConfig
from .mime import mime_of


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def tls_context(self) -> ssl.SSLContext:
        """Verifying context: the system's CAs, or only the configured CA file."""
        return ssl.create_default_context(cafile=self.config.ca_file)

    def send(self, message: MailMessage) -> None:
        with _translated(), self._connected() as client:
            client.send_message(
                mime_of(message),
                from_addr=message.sender.address,
                to_addrs=[message.recipient],  # the envelope: never taken from the headers
            )
            _quit_quietly(client)

    @contextmanager
    def _connected(self) -> Iterator[smtplib.SMTP]:
        config = self.config
        context = self.tls_context()
        client: smtplib.SMTP
        if config.implicit_tls:
            client = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        try:
            client.ehlo()
            encrypted = config.implicit_tls
            if not encrypted and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
                encrypted = True
            if not encrypted and config.starttls == "required":
                raise MailRejected(f"{config.host} does not offer STARTTLS (starttls=required)")
            if config.username:
                if not encrypted:
                    raise MailRejected(
                        f"refusing to send SMTP credentials to {config.host} unencrypted: "
                        "use smtps:// or a server that offers STARTTLS"
                    )
                client.login(config.username, config.password)
            yield client
        finally:
            client.close()


def _quit_quietly(client: smtplib.SMTP) -> None:
    """Say goodbye; the message is already accepted, so nothing here may fail the send."""
    with suppress(smtplib.SMTPException, OSError):
        client.quit()


def _by_code(code: int, text: str) -> BillingError:
    if 400 <= code < 500:
        return MailUnavailable(f"the mail server answered {code}: {text}", smtp_code=code)
    return MailRejected(f"the mail server answered {code}: {text}", smtp_code=code)


def _reply(message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return text[:200]


@contextmanager
def _translated() -> Iterator[None]:
    """smtplib's and the socket's errors as ``MailUnavailable`` or ``MailRejected``."""
    try:
        yield
    except BillingError:
        raise
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()), (550, b"refused"))
        raise _by_code(code, _reply(reply)) from None
    except smtplib.SMTPAuthenticationError as error:
        raise MailRejected(f"the mail server refused our credentials ({error.smtp_code})") from None
    except smtplib.SMTPResponseException as error:  # sender refused, data refused, ...
        raise _by_code(error.smtp_code, _reply(error.smtp_error)) from None
    except smtplib.SMTPNotSupportedError as error:
        raise MailRejected(f"the mail server does not support {error}") from None
    except ssl.SSLCertVerificationError as error:
        raise MailUnavailable(f"the mail server's certificate: {error.verify_message}") from None
    except (smtplib.SMTPException, OSError) as error:  # refused, reset, timed out, TLS failed
        raise MailUnavailable(f"mail server unreachable: {type(error).__name__}: {error}") from None
