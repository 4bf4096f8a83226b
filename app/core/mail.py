"""Sending email: through SMTP (aiosmtplib) when ``CHORUS_SMTP_URL`` is set, else written to
the log (CONTRACT §1), so a development setup shows what would have been sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from app.core.config import Settings

log = logging.getLogger("chorus.mail")

SENDER_NAME = "Chorus"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()


def sender_address(settings: Settings) -> str:
    """``chorus@<the base URL's host>`` unless the SMTP URL names a ``from`` parameter."""
    parts = urlsplit(settings.smtp_url or "")
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if key == "from" and value:
            return unquote(value)
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"chorus@{host}"


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    sender = sender_address(settings)
    message["From"] = formataddr((SENDER_NAME, sender))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                               filename=attachment.filename)
    return message


async def send_mail(settings: Settings, mail: Mail) -> None:
    """Send ``mail``; raises ``aiosmtplib.SMTPException`` or ``OSError`` when the server
    refuses or cannot be reached (the caller decides whether to try again)."""
    message = build_message(settings, mail)
    if not settings.smtp_url:
        log.info("email not sent (CHORUS_SMTP_URL is unset)",
                 extra={"to": mail.to, "subject": mail.subject, "body": mail.text,
                        "attachments": [a.filename for a in mail.attachments]})
        return
    parts = urlsplit(settings.smtp_url)
    tls = parts.scheme == "smtps"
    await aiosmtplib.send(
        message, hostname=parts.hostname or "localhost",
        port=parts.port or (465 if tls else 587 if parts.username else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=tls, start_tls=None if not tls else False, timeout=30)
