"""A ``MailMessage`` as the MIME message that goes on the wire (standard library ``email``).

``multipart/mixed``: a ``multipart/alternative`` with the plain text first and the HTML second
(clients show the last part they can), then each attachment. Headers are folded and encoded
by the ``SMTP`` policy (CRLF line ends), which refuses any header value with a line break.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from billing.domain.mail import MailMessage


def mime_of(message: MailMessage) -> EmailMessage:
    mime = EmailMessage(policy=policy.SMTP)
    local, _, domain = message.sender.address.rpartition("@")
    mime["From"] = Address(message.sender.name, local, domain)
    mime["To"] = message.recipient
    mime["Subject"] = message.body.subject
    mime["Date"] = format_datetime(message.date)
    mime["Message-ID"] = message.message_id
    # RFC 3834: sent by a program; out-of-office robots must not answer it.
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.body.text, cte="quoted-printable")
    mime.add_alternative(message.body.html, subtype="html", cte="quoted-printable")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return mime
