"""Queued mail is sent by the worker through a real SMTP server, retried when the server says
"later", given up with the server's answer when it says "never", and never lost to a crash."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import create_engine, session_factory
from api.mail import Outgoing, enqueue, enqueue_many, mail_counts
from api.mail import queue as queue_module
from api.mail.queue import mail_failures
from api.mail.sender import build_message, envelope
from api.mail.worker import MAX_ATTEMPTS, claim_due, send_due
from api.models import MailMessage
from api.settings import Settings
from tests.conftest import add_event, run_in_db
from tests.test_mail import free_port

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)


class MailServer:
    """An aiosmtpd handler that keeps what it accepts, refuses some addresses for good, and
    answers the next messages with the replies queued in `answers` (a 451, say)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.answers: list[str] = []
        self.unknown: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.unknown:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answers:
            return self.answers.pop(0)
        message = message_from_bytes(envelope.content, policy=email_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def start_server(port: int) -> tuple[MailServer, Controller]:
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return handler, controller


@pytest.fixture
def smtp(settings: Settings) -> Iterator[MailServer]:
    """A real SMTP server on a free port, and the settings pointing at it."""
    port = free_port()
    handler, controller = start_server(port)
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    try:
        yield handler
    finally:
        controller.stop()


def outbox_files(folder: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=email_policy)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


async def queue(settings: Settings, key: str, to: str = "ana@example.org", **values: Any) -> bool:
    async def work(session: AsyncSession) -> bool:
        return await enqueue(
            session,
            key=key,
            kind=values.pop("kind", "digest"),
            to=to,
            subject=values.pop("subject", "Tus contactos de la Jornada Ñandú"),
            text=values.pop("text", "Hola Ana, esta es la gente que conociste."),
            now=NOW,
            **values,
        )

    queued: bool = await run_in_db(settings, work)
    return queued


async def send(settings: Settings, now: datetime) -> Any:
    engine = create_engine(settings)
    try:
        return await send_due(session_factory(engine), settings, now)
    finally:
        await engine.dispose()


async def stored(settings: Settings, key: str) -> MailMessage:
    async def work(session: AsyncSession) -> MailMessage:
        found = await session.scalar(select(MailMessage).where(MailMessage.key == key))
        assert found is not None
        return found

    message: MailMessage = await run_in_db(settings, work)
    return message


async def counts(settings: Settings, event_id: int, kind: str = "digest") -> dict[str, int]:
    result: dict[str, int] = await run_in_db(
        settings, lambda session: mail_counts(session, event_id, kind)
    )
    return result


async def test_a_key_is_queued_once_and_the_first_message_stays(
    settings: Settings, smtp: MailServer
) -> None:
    assert await queue(settings, "digest:1:1", subject="First")
    assert not await queue(settings, "digest:1:1", subject="Second")
    assert (await send(settings, NOW)).sent == 1
    assert [m["Subject"] for m in smtp.messages] == ["First"]
    assert (await send(settings, NOW + timedelta(hours=1))).total == 0


async def test_many_messages_queued_at_once_keep_the_first_of_each_key_and_count_the_new(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small statements, so one call spans several INSERTs and a key repeats across them.
    monkeypatch.setattr(queue_module, "ROWS_PER_INSERT", 3)
    assert await queue(settings, "bulk:2", subject="Queued before")

    def message(number: int, subject: str) -> Outgoing:
        return Outgoing(
            key=f"bulk:{number}",
            kind="bulk",
            to=f"person{number}@example.org",
            subject=subject,
            text="Hola.",
            headers={"List-Unsubscribe": f"<https://example.org/u/{number}>"},
        )

    batch = [message(n, "First") for n in range(1, 8)] + [message(1, "Second"), message(5, "Again")]

    async def work(session: AsyncSession) -> int:
        return await enqueue_many(session, batch, NOW)

    assert await run_in_db(settings, work) == 6, "bulk:1..7 less bulk:2, queued before"
    assert await run_in_db(settings, work) == 0
    assert (await stored(settings, "bulk:2")).subject == "Queued before"
    assert (await stored(settings, "bulk:1")).subject == "First"
    assert (await stored(settings, "bulk:5")).subject == "First"
    assert (await stored(settings, "bulk:7")).headers == {
        "List-Unsubscribe": "<https://example.org/u/7>"
    }
    rows = await run_in_db(
        settings, lambda s: s.scalar(select(func.count()).select_from(MailMessage))
    )
    assert rows == 7


async def test_a_queued_message_goes_out_by_smtp_with_text_html_and_its_headers(
    settings: Settings, smtp: MailServer
) -> None:
    event_id = await add_event(settings)
    unsubscribe = "<http://testserver.local/unsubscribe/abc>"
    await queue(
        settings,
        "digest:1:2",
        to="luis@example.org",
        text="Conociste a Marta.",
        html="<p>Conociste a <b>Marta</b>.</p>",
        headers={
            "List-Unsubscribe": unsubscribe,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        event_id=event_id,
    )
    assert await counts(settings, event_id) == {"queued": 1, "sent": 0, "failed": 0}
    done = await send(settings, NOW)
    assert (done.sent, done.retried, done.failed) == (1, 0, 0)
    [message] = smtp.messages
    assert message["To"] == "luis@example.org"
    assert message["Subject"] == "Tus contactos de la Jornada Ñandú"
    assert message["List-Unsubscribe"] == unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert text.get_content().strip() == "Conociste a Marta."
    assert "<b>Marta</b>" in html.get_content()
    row = await stored(settings, "digest:1:2")
    assert message["Message-ID"] == row.message_id
    assert (row.status, row.sent_at, row.attempts) == ("sent", NOW, 1)
    # Once out, its body (a digest's notes and sign-in link) is not kept in the queue.
    assert (row.text, row.html) == ("", "")
    assert await counts(settings, event_id) == {"queued": 0, "sent": 1, "failed": 0}


async def test_a_4xx_answer_is_retried_later_with_back_off_and_then_sent(
    settings: Settings, smtp: MailServer
) -> None:
    smtp.answers = ["451 4.3.0 Mailbox busy, try later", "452 4.2.2 Over quota for now"]
    await queue(settings, "digest:1:3")
    assert (await send(settings, NOW)).retried == 1
    row = await stored(settings, "digest:1:3")
    assert (row.status, row.last_error) == ("queued", "451 4.3.0 Mailbox busy, try later")
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    assert (await send(settings, NOW + timedelta(seconds=59))).total == 0
    assert (await send(settings, NOW + timedelta(minutes=1))).retried == 1
    row = await stored(settings, "digest:1:3")
    assert row.next_attempt_at == NOW + timedelta(minutes=3)  # 1 minute, then 2
    assert (await send(settings, NOW + timedelta(minutes=3))).sent == 1
    assert len(smtp.messages) == 1
    row = await stored(settings, "digest:1:3")
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")


async def test_with_no_server_listening_the_message_waits_and_goes_once_it_is_back(
    settings: Settings,
) -> None:
    port = free_port()  # nothing listens here yet: the connection is refused
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    await queue(settings, "digest:1:4", to="ana@example.org")
    await queue(settings, "digest:1:5", to="luis@example.org")
    done = await send(settings, NOW)
    # The first try meets the refused connection; the second is handed back untried.
    assert (done.sent, done.retried, done.failed) == (0, 1, 0)
    first, second = await stored(settings, "digest:1:4"), await stored(settings, "digest:1:5")
    assert first.status == second.status == "queued"
    assert first.last_error
    assert (first.attempts, second.attempts) == (1, 0)
    handler, controller = start_server(port)
    try:
        assert (await send(settings, NOW + timedelta(minutes=1))).sent == 2
    finally:
        controller.stop()
    assert sorted(str(m["To"]) for m in handler.messages) == ["ana@example.org", "luis@example.org"]


async def test_a_5xx_answer_fails_with_the_servers_answer_and_the_counts_show_it(
    settings: Settings, smtp: MailServer
) -> None:
    event_id = await add_event(settings)
    smtp.unknown = {"nobody@example.org"}
    await queue(settings, "digest:1:6", to="nobody@example.org", event_id=event_id)
    await queue(settings, "digest:1:7", to="ana@example.org", event_id=event_id)
    done = await send(settings, NOW)
    assert (done.sent, done.retried, done.failed) == (1, 0, 1)
    row = await stored(settings, "digest:1:6")
    assert row.status == "failed"
    assert row.last_error == "550 5.1.1 <nobody@example.org>: no such mailbox here"
    assert await counts(settings, event_id) == {"queued": 0, "sent": 1, "failed": 1}
    failures = await run_in_db(settings, lambda s: mail_failures(s, event_id, "digest"))
    assert failures == [("nobody@example.org", row.last_error)]
    # A failed message is not tried again.
    assert (await send(settings, NOW + timedelta(days=1))).total == 0
    assert [m["To"] for m in smtp.messages] == ["ana@example.org"]


async def test_a_message_that_keeps_meeting_4xx_is_given_up_after_its_last_try(
    settings: Settings, smtp: MailServer
) -> None:
    smtp.answers = ["421 4.7.0 Try again later"] * MAX_ATTEMPTS
    await queue(settings, "digest:1:8")
    when = NOW
    for _ in range(MAX_ATTEMPTS):
        when += timedelta(hours=1)  # longer than the longest back-off
        await send(settings, when)
    row = await stored(settings, "digest:1:8")
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.last_error == "421 4.7.0 Try again later"
    assert smtp.messages == []


async def test_without_smtp_queued_mail_goes_to_the_outbox_folder_and_not_to_the_log(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    note = "Nota privada: hablar de su nuevo trabajo"
    await queue(settings, "digest:1:9", to="ana@example.org", text=note, html=f"<p>{note}</p>")
    with caplog.at_level(logging.INFO):
        assert (await send(settings, NOW)).sent == 1
    [message] = outbox_files(settings.outbox_dir)
    assert message["To"] == "ana@example.org"
    assert message["Subject"] == "Tus contactos de la Jornada Ñandú"
    assert message["Message-ID"] == (await stored(settings, "digest:1:9")).message_id
    # The log names the message; its body (notes, a sign-in link) stays in the .eml file.
    assert "ana@example.org" in caplog.text
    assert "Nota privada" not in caplog.text


async def test_a_message_claimed_by_a_worker_that_died_is_sent_again_with_its_message_id(
    settings: Settings, smtp: MailServer
) -> None:
    await queue(settings, "digest:1:10")
    lease = timedelta(seconds=settings.lease_seconds)
    engine = create_engine(settings)
    try:
        # A worker claims the message and dies before sending it or recording anything.
        [claimed] = await claim_due(session_factory(engine), NOW, lease, 50)
    finally:
        await engine.dispose()
    assert (await stored(settings, "digest:1:10")).status == "sending"
    # While its claim holds, no one else sends it.
    assert (await send(settings, NOW + lease / 2)).total == 0
    assert (await send(settings, NOW + lease + timedelta(seconds=1))).sent == 1
    [message] = smtp.messages
    assert message["Message-ID"] == claimed.message_id
    row = await stored(settings, "digest:1:10")
    assert (row.status, row.attempts) == ("sent", 2)


async def test_two_workers_sending_at_once_send_each_message_once(
    settings: Settings, smtp: MailServer
) -> None:
    for i in range(120):
        await queue(settings, f"digest:1:{100 + i}", to=f"person{i}@example.org")
    first, second = await asyncio.gather(send(settings, NOW), send(settings, NOW))
    assert first.sent + second.sent == 120
    received = Counter(str(message["Message-ID"]) for message in smtp.messages)
    assert len(received) == 120
    assert set(received.values()) == {1}


class SlowSecondMessage(MailServer):
    """Takes the first message, then holds the second until the connection is dropped."""

    holding = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.messages:
            self.holding = True
            await asyncio.sleep(60)
        return await super().handle_DATA(server, session, envelope)


async def test_a_worker_stopped_mid_run_records_what_it_sent_and_hands_back_the_rest(
    settings: Settings,
) -> None:
    port = free_port()
    handler = SlowSecondMessage()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    try:
        for i in range(5):
            await queue(settings, f"digest:1:{200 + i}", to=f"person{i}@example.org")
        sending = asyncio.create_task(send(settings, NOW))
        with anyio.fail_after(10):
            while not handler.holding:  # noqa: ASYNC110 - the server's state is the signal
                await asyncio.sleep(0.01)
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
    finally:
        controller.stop()
    rows = [await stored(settings, f"digest:1:{200 + i}") for i in range(5)]
    assert [row.status for row in rows] == ["sent", "sending", "queued", "queued", "queued"]
    assert [row.attempts for row in rows] == [1, 1, 0, 0, 0]
    assert all(row.next_attempt_at == NOW for row in rows[2:])


class SlowServer(MailServer):
    """Takes every message, a quarter of a second each."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.25)
        return await super().handle_DATA(server, session, envelope)


async def test_a_run_past_its_time_hands_back_what_it_has_not_sent_before_its_claims_lapse(
    settings: Settings,
) -> None:
    port = free_port()
    handler = SlowServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    try:
        for i in range(8):
            await queue(settings, f"digest:1:{300 + i}", to=f"person{i}@example.org")
        engine = create_engine(settings)
        try:
            done = await send_due(session_factory(engine), settings, NOW, budget_seconds=0.6)
        finally:
            await engine.dispose()
    finally:
        controller.stop()
    rows = [await stored(settings, f"digest:1:{300 + i}") for i in range(8)]
    sent = [row for row in rows if row.status == "sent"]
    # Stopped between messages, not at the end of the batch: the rest is queued again at once,
    # its attempt not counted, and nothing is left claimed for another worker to send again.
    assert 1 <= done.sent == len(sent) == len(handler.messages) < 8
    assert all((row.status, row.attempts) == ("queued", 0) for row in rows if row not in sent)
    assert all(row.next_attempt_at == NOW for row in rows if row not in sent)


@pytest.mark.parametrize(
    "subject",
    [
        "Tus contactos de la Conferència Internacional de Ñandúes de Sudamérica 2026 — resumen",
        "你在开放数据大会上认识的人：十二位联系人和三个待办提醒",
        "الأشخاص الذين قابلتهم في مؤتمر البيانات المفتوحة",
    ],
)
def test_subjects_in_any_script_arrive_as_written(subject: str) -> None:
    settings = Settings(mail_from="Jornadas Ñandú <hola@example.org>")
    message = build_message(settings, "ana@example.org", subject, "Hola", "<p>Hola</p>")
    sender, recipient, data = envelope(message)
    assert (sender, recipient) == ("hola@example.org", "ana@example.org")
    received = message_from_bytes(data, policy=email_policy)
    assert received["Subject"] == subject
    assert received["From"] == "Jornadas Ñandú <hola@example.org>"


def test_a_line_break_in_a_subject_cannot_add_a_header() -> None:
    message = build_message(Settings(), "ana@example.org", "Hola\r\nBcc: eve@example.org", "x")
    received = message_from_bytes(envelope(message)[2], policy=email_policy)
    assert received["Bcc"] is None
    assert received["Subject"] == "Hola Bcc: eve@example.org"
