"""Outgoing e-mail: SMTP when configured, otherwise an outbox folder and the console."""

from __future__ import annotations

import logging
import time
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import anyio

from api.settings import Settings

log = logging.getLogger("enlace.mail")


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="enlace.local")
    message.set_content(body)
    return message


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message."""
    message = build_message(settings, to, subject, body)
    if settings.smtp_host:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=settings.smtp_password or None,
            start_tls=settings.smtp_starttls,
            timeout=20,
        )
        return
    outbox = anyio.Path(settings.outbox_dir)
    await outbox.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{to.replace('@', '_at_')}.eml"
    await (outbox / name).write_bytes(bytes(message))
    log.warning("mail to %s: %s\n%s", to, subject, body)
