"""Delivering one message: SMTP when configured, otherwise the outbox folder and the console.

Failures come back as `DeliveryFailed`, already sorted: a permanent one (a 5xx answer, such as a
refused recipient) will not succeed by trying again; a transient one (a 4xx answer, a refused or
reset connection, a timeout) may.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr

import aiosmtplib
import anyio

from api.settings import Settings

log = logging.getLogger("enlace.mail")

SMTP_TIMEOUT_SECONDS = 20
MESSAGE_ID_DOMAIN = "enlace.local"


class DeliveryFailed(Exception):
    """A message was not delivered; `permanent` says whether trying again can help, and
    `server_unreachable` that the next messages would meet the same fate (no connection)."""

    def __init__(self, reason: str, *, permanent: bool, server_unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.server_unreachable = server_unreachable


def new_message_id() -> str:
    return make_msgid(domain=MESSAGE_ID_DOMAIN)


# Quoted-printable keeps Spanish text readable in the raw message (base64 is the default).
UTF8 = Charset("utf-8")
UTF8.body_encoding = QP


def _text_part(text: str, subtype: str) -> MIMEText:
    # The standard library takes a Charset here, though its type hints say a name.
    return MIMEText(text, subtype, UTF8)  # type: ignore[arg-type]


def _header(value: str) -> str | Header:
    # A line break in a value would start a header of its own (Bcc:, say): never kept.
    value = " ".join(value.splitlines())
    # As a Header, the generator folds it knowing the name's width (no empty first line).
    return value if value.isascii() else Header(value, "utf-8")


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def build_message(
    settings: Settings,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> Message:
    """A message with a text part, and an HTML alternative when `html` is given.

    Built with the compat32 MIME classes: the modern EmailMessage parses every header it is
    given and refolds them all when sent, 15 ms for a digest here against 4 ms.
    """
    message: Message
    if html:
        message = MIMEMultipart("alternative")
        message.attach(_text_part(text, "plain"))
        message.attach(_text_part(html, "html"))
    else:
        message = _text_part(text, "plain")
    message["From"] = _address(settings.mail_from)
    message["To"] = _address(to)
    message["Subject"] = _header(subject)  # type: ignore[assignment]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or new_message_id()
    for name, value in (headers or {}).items():
        message[name] = _header(value)  # type: ignore[assignment]
    return message


def envelope(message: Message) -> tuple[str, str, bytes]:
    """Sender and recipient addresses, and the bytes to send (flattened once, CRLF)."""
    sender = parseaddr(str(message["From"]))[1]
    recipient = parseaddr(str(message["To"]))[1]
    return sender, recipient, message.as_bytes(policy=WIRE)


WIRE = compat32.clone(linesep="\r\n")


def _answer(code: int, text: str) -> str:
    return f"{code} {text}".strip()


def classify(exc: Exception) -> DeliveryFailed:
    """What an SMTP or network error means for the message: permanent (5xx) or worth a retry."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        # One recipient per message: its own answer is the server's word on this address.
        refused = exc.recipients[0] if exc.recipients else None
        if refused is None:
            return DeliveryFailed(str(exc), permanent=False)
        return DeliveryFailed(_answer(refused.code, refused.message), permanent=refused.code >= 500)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        # Wrong credentials are the operator's to fix, not the recipient's: every message would
        # be marked failed at once. Retried with back-off instead, and logged loudly.
        log.error("SMTP authentication failed: %s %s", exc.code, exc.message)
        return DeliveryFailed(
            _answer(exc.code, exc.message), permanent=False, server_unreachable=True
        )
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        # The server answered the connection with an error (421 busy): nothing else will pass.
        return DeliveryFailed(
            _answer(exc.code, exc.message), permanent=exc.code >= 500, server_unreachable=True
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return DeliveryFailed(_answer(exc.code, exc.message), permanent=exc.code >= 500)
    if isinstance(exc, OSError):  # refused, reset, unreachable, timed out (aiosmtplib's too)
        reason = str(exc) or type(exc).__name__
        return DeliveryFailed(reason, permanent=False, server_unreachable=True)
    return DeliveryFailed(f"{type(exc).__name__}: {exc}", permanent=False)


class SmtpSender:
    """One SMTP connection kept open across messages (a handshake per message would cost more
    than the message), opened on first use and again after the server drops it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self.settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=settings.smtp_password or None,
            start_tls=settings.smtp_starttls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
        await client.connect()
        return client

    async def deliver(self, message: Message) -> None:
        """Send `message`; DeliveryFailed says why not."""
        sender, recipient, data = envelope(message)
        try:
            if self.client is None or not self.client.is_connected:
                self.client = await self._connect()
            try:
                await self.client.sendmail(sender, [recipient], data)
            except aiosmtplib.SMTPServerDisconnected:
                # A kept connection the server closed while idle: one fresh try.
                self.client = await self._connect()
                await self.client.sendmail(sender, [recipient], data)
        except Exception as exc:
            failure = classify(exc)
            if failure.server_unreachable:
                await self.close()
            raise failure from exc

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    def abort(self) -> None:
        """Drop the connection without a goodbye (stopped mid-message: QUIT would wait)."""
        client, self.client = self.client, None
        if client is not None:
            client.close()


class OutboxSender:
    """The development default: each message as an .eml file in the outbox folder, and the
    text on the console so a sign-in code can be read there."""

    def __init__(self, settings: Settings) -> None:
        self.outbox = anyio.Path(settings.outbox_dir)

    async def deliver(self, message: Message) -> None:
        await self.outbox.mkdir(parents=True, exist_ok=True)
        _, to, data = envelope(message)
        name = f"{time.time_ns()}-{to.replace('@', '_at_')}.eml"
        # Written aside, then renamed: whoever reads the folder never sees half a message.
        partial = self.outbox / f".{name}.part"
        await partial.write_bytes(data)
        await partial.rename(self.outbox / name)
        if message.is_multipart():
            # A message with an HTML part (a digest) holds private notes and a sign-in link:
            # the log names it only; the .eml file is where it can be read.
            log.warning("mail to %s: %s (in %s)", to, message["Subject"], name)
            return
        # A sign-in message: its code is read on the console in local use.
        body = message.get_payload(decode=True)
        shown = body.decode() if isinstance(body, bytes) else ""
        log.warning("mail to %s: %s\n%s", to, message["Subject"], shown)

    async def close(self) -> None:
        return None

    def abort(self) -> None:
        return None


Sender = SmtpSender | OutboxSender


@asynccontextmanager
async def open_sender(settings: Settings) -> AsyncIterator[Sender]:
    """The configured way out (SMTP when ENLACE_SMTP_HOST is set), closed at the end."""
    sender: Sender = SmtpSender(settings) if settings.smtp_host else OutboxSender(settings)
    try:
        yield sender
    except BaseException:
        sender.abort()
        raise
    await sender.close()


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message now (sign-in: the code is wanted within seconds)."""
    async with open_sender(settings) as sender:
        await sender.deliver(build_message(settings, to, subject, body))
