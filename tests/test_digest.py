"""The follow-up digest end to end: organizers queue it (now or on a schedule), a real SMTP server
receives it, each attendee gets theirs alone, links sign in once and unsubscribe without sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import JOBS, create_app
from api.cli import main
from api.db import create_engine, session_factory
from api.followups import digests
from api.followups.digests import queue_digests, queue_due_digests
from api.jobs import run_due_jobs
from api.mail.worker import send_due_mail
from api.models import Account, Event, MailMessage, utcnow
from api.settings import Settings
from tests.conftest import add_account, arm_csrf, run_in_db
from tests.test_connections import (
    ANA,
    EVENT,
    LUCIA,
    ORGANIZER,
    PEDRO,
    badge_url,
    event_with_people,
    op,
    scan,
    signed_in_client,
    sync,
)
from tests.test_mail import free_port
from tests.test_mail_queue import MailServer, start_server

pytestmark = pytest.mark.anyio

NOEMI = "noemi@example.org"  # has an account, met nobody
# Each person's note names its author: a mail holding someone else's is easy to see.
NOTES = {
    LUCIA: "LUCIA-PRIVATE: Pedro wants the DataLab report",
    PEDRO: "PEDRO-PRIVATE: ask Lucía about open data",
    ANA: "ANA-PRIVATE: Lucía, possible hire",
}
MET = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)


async def event_with_followups(settings: Settings) -> dict[str, str]:
    """Lucía (Spanish) and Pedro (English) met each other, Ana met Lucía; each wrote a note.
    Noemí has signed in but met nobody. Answers the badge tokens."""
    tokens = await event_with_people(settings)

    async def languages(session: AsyncSession) -> None:
        from api.models import Attendee

        for attendee in await session.scalars(select(Attendee)):
            attendee.language = {PEDRO: "en", LUCIA: "es"}.get(attendee.email, "")
        event = await session.scalar(select(Event).where(Event.slug == EVENT))
        assert event is not None
        session.add(Attendee(event_id=event.id, email=NOEMI, name="Noemí Sanz"))

    await run_in_db(settings, languages)
    await add_account(settings, NOEMI, language="es")
    met = {LUCIA: PEDRO, PEDRO: LUCIA, ANA: LUCIA}
    for author, other in met.items():
        async with signed_in_client(settings, author) as client:
            await sync(client, scan(tokens[other], MET))
            note = op("note", MET, scanned=badge_url(tokens[other]), text=NOTES[author])
            await sync(client, {**note, "base_revision": 0})
    return tokens


@pytest.fixture
def smtp(settings: Settings) -> Iterator[MailServer]:
    """A real SMTP server on a free port, and the settings pointing at it."""
    port = free_port()
    server, controller = start_server(port)
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    try:
        yield server
    finally:
        controller.stop()


async def run_scheduler(settings: Settings, now: datetime) -> int:
    """Run the "digests" job once at `now`, as the server's runner does."""
    engine = create_engine(settings)
    try:
        return await queue_due_digests(session_factory(engine), settings, now)
    finally:
        await engine.dispose()


async def deliver(settings: Settings, now: datetime | None = None) -> int:
    """Run the "mail" job once, as the server's runner does."""
    engine = create_engine(settings)
    try:
        return await send_due_mail(session_factory(engine), settings, now or utcnow())
    finally:
        await engine.dispose()


def body_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: str = part.get_content()
    return content


def by_recipient(server: MailServer) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in server.messages:
        found.setdefault(str(message["To"]), []).append(message)
    return found


def signin_token(text: str) -> str:
    found = re.search(r"/signin\?next=%2Fevents%2F[a-z0-9-]+%2Ffollowups#t=([A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


def unsubscribe_token(text: str) -> str:
    found = re.search(r"/unsubscribe/([0-9]+-[A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


def in_madrid(moment: datetime) -> str:
    """A moment as an organizer types it for this event (its zone is Europe/Madrid)."""
    return moment.astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%dT%H:%M")


async def send_now(settings: Settings) -> dict[str, Any]:
    async with signed_in_client(settings, ORGANIZER) as client:
        response = await client.post(f"/api/events/{EVENT}/digest/send")
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_each_attendee_gets_one_digest_in_their_language_with_only_their_notes(
    settings: Settings, smtp: MailServer
) -> None:
    await event_with_followups(settings)
    queued = await send_now(settings)
    assert queued == {"queued": 3, "already_queued": 0, "opted_out": 0, "without_connections": 1}
    assert await deliver(settings) == 3

    mails = by_recipient(smtp)
    assert sorted(mails) == sorted([LUCIA, PEDRO, ANA]), "nobody who met no one"
    assert all(len(copies) == 1 for copies in mails.values())
    lucia, pedro, ana = mails[LUCIA][0], mails[PEDRO][0], mails[ANA][0]
    assert lucia["Subject"] == "Tus seguimientos de Congreso Abierto"
    assert pedro["Subject"] == "Your follow-ups from Congreso Abierto"
    for author, message in ((LUCIA, lucia), (PEDRO, pedro), (ANA, ana)):
        text, html = body_of(message, "plain"), body_of(message, "html")
        assert NOTES[author] in text
        assert NOTES[author].split(":")[0] in html
        for other, note in NOTES.items():
            if other != author:
                assert note.split(":")[0] not in text + html, f"{other}'s note in {author}'s mail"
    pedro_text = body_of(pedro, "plain")
    assert "Lucía García (DataLab)" in pedro_text
    assert "Send a thank-you" in pedro_text
    # Met at 16:00 in Madrid (15:00 UTC), written the English way.
    assert "Mar 11, 2026, 4:00" in pedro_text
    assert "11 mar 2026, 16:00" in body_of(lucia, "plain")


async def test_every_digest_has_a_working_unsubscribe_link_and_one_click_headers(
    settings: Settings, smtp: MailServer
) -> None:
    await event_with_followups(settings)
    await send_now(settings)
    await deliver(settings)
    message = by_recipient(smtp)[PEDRO][0]
    token = unsubscribe_token(body_of(message, "plain"))
    # A long header is folded onto a second line; unfolded it is the one URL.
    assert (
        message["List-Unsubscribe"].strip() == f"<http://testserver.local/api/unsubscribe/{token}>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"http://testserver.local/unsubscribe/{token}" in body_of(message, "html")

    # A stranger's browser: no session, no CSRF cookie or header.
    async with AsyncTestClient(app=create_app(settings)) as anonymous:
        page = await anonymous.get(f"/unsubscribe/{token}")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert (await anonymous.get(f"/api/unsubscribe/{token}")).json() == {"unsubscribed": False}
        # What a mail app sends for RFC 8058 one-click.
        response = await anonymous.post(
            f"/api/unsubscribe/{token}",
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200, response.text
        assert (await anonymous.get(f"/api/unsubscribe/{token}")).json() == {"unsubscribed": True}
        again = await anonymous.post(f"/api/unsubscribe/{token}")
        assert again.status_code == 200
        forged = token.split("-")[0] + "-AAAAAAAAAAAAAAAAAAAAAA"
        assert (await anonymous.post(f"/api/unsubscribe/{forged}")).status_code == 404
        assert (await anonymous.get(f"/api/unsubscribe/{forged}")).status_code == 404

    opted = await run_in_db(
        settings,
        lambda s: s.scalar(select(Account.digest_opt_out_at).where(Account.email == PEDRO)),
    )
    assert opted is not None


async def test_other_writes_still_need_the_csrf_token(settings: Settings) -> None:
    await event_with_followups(settings)
    async with AsyncTestClient(app=create_app(settings)) as anonymous:
        response = await anonymous.post("/api/auth/request", json={"email": PEDRO})
    assert response.status_code == 403


async def test_sending_twice_gives_nobody_a_second_copy(
    settings: Settings, smtp: MailServer
) -> None:
    await event_with_followups(settings)
    assert (await send_now(settings))["queued"] == 3
    await deliver(settings)
    again = await send_now(settings)
    assert again["queued"] == 0
    assert again["already_queued"] == 3
    # The schedule coming due afterwards queues nothing new either.
    async with signed_in_client(settings, ORGANIZER) as client:
        local = in_madrid(datetime.now(UTC) + timedelta(hours=1))
        response = await client.put(f"/api/events/{EVENT}/digest", json={"local_time": local})
        assert response.status_code == 200, response.text
    await run_scheduler(settings, utcnow() + timedelta(days=1))
    await deliver(settings)
    assert sorted(len(copies) for copies in by_recipient(smtp).values()) == [1, 1, 1]


async def test_people_who_unsubscribed_get_no_digest(settings: Settings, smtp: MailServer) -> None:
    await event_with_followups(settings)

    async def opt_out(session: AsyncSession) -> None:
        account = await session.scalar(select(Account).where(Account.email == ANA))
        assert account is not None
        account.digest_opt_out_at = utcnow()

    await run_in_db(settings, opt_out)
    queued = await send_now(settings)
    assert queued["queued"] == 2
    assert queued["opted_out"] == 1
    await deliver(settings)
    assert sorted(by_recipient(smtp)) == sorted([LUCIA, PEDRO])
    async with signed_in_client(settings, ORGANIZER) as client:
        report = (await client.get(f"/api/events/{EVENT}/digest")).json()["report"]
    assert report["opted_out"] == 1
    assert report["sent"] == 2


async def test_the_sign_in_link_opens_the_follow_up_list_once(
    settings: Settings, smtp: MailServer
) -> None:
    await event_with_followups(settings)
    await send_now(settings)
    await deliver(settings)
    token = signin_token(body_of(by_recipient(smtp)[LUCIA][0], "plain"))
    async with AsyncTestClient(app=create_app(settings)) as browser:
        await arm_csrf(browser)
        first = await browser.post("/api/auth/verify-link", json={"token": token})
        assert first.status_code == 200, first.text
        assert first.json()["next"] == f"/events/{EVENT}/followups"
        assert (await browser.get("/api/me")).json()["email"] == LUCIA
        second = await browser.post("/api/auth/verify-link", json={"token": token})
        assert second.status_code == 422
        assert second.json()["code"] == "invalid_link"
        # The page a reused link opens is the sign-in page, with where to go after it.
        page = await browser.get(f"/signin?next=%2Fevents%2F{EVENT}%2Ffollowups")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]


async def test_a_sign_in_link_still_works_after_six_days_and_not_after_eight(
    settings: Settings,
) -> None:
    await event_with_followups(settings)
    links: dict[str, str] = {}

    async def queue_at(moment: datetime) -> None:
        async def work(session: AsyncSession) -> None:
            event = await session.scalar(select(Event).where(Event.slug == EVENT))
            assert event is not None
            await queue_digests(session, settings, event, moment)
            for message in await session.scalars(select(MailMessage)):
                links.setdefault(message.to, signin_token(message.text))
            await session.execute(MailMessage.__table__.delete())

        await run_in_db(settings, work)

    await queue_at(utcnow() - timedelta(days=8))
    old = links.pop(LUCIA)
    await queue_at(utcnow() - timedelta(days=6))
    recent = links.pop(LUCIA)
    async with AsyncTestClient(app=create_app(settings)) as browser:
        await arm_csrf(browser)
        expired = await browser.post("/api/auth/verify-link", json={"token": old})
        assert expired.status_code == 422
        assert expired.json()["code"] == "invalid_link"
        fresh = await browser.post("/api/auth/verify-link", json={"token": recent})
        assert fresh.status_code == 200


async def test_organizers_preview_a_made_up_digest_in_both_languages_and_never_see_notes(
    settings: Settings, smtp: MailServer
) -> None:
    await event_with_followups(settings)
    smtp.unknown.add(PEDRO)
    await send_now(settings)
    await deliver(settings)
    async with signed_in_client(settings, ORGANIZER) as client:
        seen = []
        for language, subject in (("es", "Tus seguimientos"), ("en", "Your follow-ups")):
            response = await client.get(f"/api/events/{EVENT}/digest/preview?language={language}")
            assert response.status_code == 200
            preview = response.json()
            assert preview["subject"].startswith(subject)
            assert "Lucía Fernández" in preview["text"]
            assert "<html" in preview["html"]
            seen.append(response.text)
            page = await client.get(f"/api/events/{EVENT}/digest/preview.html?language={language}")
            assert page.status_code == 200
            assert "default-src 'none'" in page.headers["content-security-policy"]
            assert "script-src" not in page.headers["content-security-policy"]
            assert page.headers["x-frame-options"] == "SAMEORIGIN"
            seen.append(page.text)
        status = await client.get(f"/api/events/{EVENT}/digest")
        assert status.status_code == 200
        report = status.json()["report"]
        seen.append(status.text)
        assert report["sent"] == 2
        assert report["failed"] == 1
        assert report["failures"][0]["to"] == PEDRO
        assert "550" in report["failures"][0]["error"]
        assert "no such mailbox" in report["failures"][0]["error"]
        # Someone else's digest is not the organizer's to read.
        mine = await client.get(f"/api/events/{EVENT}/digest/mine")
        assert mine.status_code == 404
    for answer in seen:
        for note in NOTES.values():
            assert note.split(":")[0] not in answer


async def test_an_attendee_previews_only_their_own_digest(settings: Settings) -> None:
    await event_with_followups(settings)
    async with signed_in_client(settings, PEDRO) as client:
        response = await client.get(f"/api/events/{EVENT}/digest/mine")
        assert response.status_code == 200
        assert "no-store" in response.headers["cache-control"]
        mine = response.json()
        assert mine["language"] == "en"
        assert NOTES[PEDRO] in mine["text"]
        assert all(note not in mine["text"] for who, note in NOTES.items() if who != PEDRO)
        spanish = (await client.get(f"/api/events/{EVENT}/digest/mine?language=es")).json()
        assert spanish["subject"] == "Tus seguimientos de Congreso Abierto"
        # Attendees do not organize: the organizer's answers are not theirs.
        assert (await client.get(f"/api/events/{EVENT}/digest")).status_code == 404
        assert (await client.get(f"/api/events/{EVENT}/digest/preview")).status_code == 404
        assert (await client.post(f"/api/events/{EVENT}/digest/send")).status_code == 404
    # No sign-in link was issued for a preview.
    tokens = await run_in_db(settings, lambda s: s.scalar(select(MailMessage.id).limit(1)))
    assert tokens is None


async def test_the_schedule_is_set_in_the_events_zone_and_runs_once(settings: Settings) -> None:
    await event_with_followups(settings)
    async with signed_in_client(settings, ORGANIZER) as client:
        status = (await client.get(f"/api/events/{EVENT}/digest")).json()
        # The event ends on 11 March 2026 in Madrid: 09:00 the next morning is suggested.
        # The event is over: the suggestion is 09:00 on a morning still to come, in its zone.
        suggested = datetime.fromisoformat(status["suggested_local_time"])
        assert suggested.time().isoformat() == "09:00:00"
        assert suggested.replace(tzinfo=ZoneInfo("Europe/Madrid")) > datetime.now(UTC)
        assert status["local_time"] is None
        assert status["recipients"] == 3
        past = await client.put(
            f"/api/events/{EVENT}/digest", json={"local_time": "2026-03-12T09:00"}
        )
        assert past.status_code == 422
        assert past.json()["code"] == "digest_time_passed"
        bad = await client.put(f"/api/events/{EVENT}/digest", json={"local_time": "tomorrow"})
        assert bad.status_code == 400
        chosen = in_madrid(datetime.now(UTC) + timedelta(days=30))
        saved = await client.put(f"/api/events/{EVENT}/digest", json={"local_time": chosen})
        assert saved.status_code == 200, saved.text
        assert saved.json()["local_time"] == chosen
        at = datetime.fromisoformat(saved.json()["at"])
    before = await run_scheduler(settings, at - timedelta(minutes=1))
    assert before == 0
    due = await run_scheduler(settings, at)
    assert due == 3
    again = await run_scheduler(settings, at + timedelta(minutes=5))
    assert again == 0
    async with signed_in_client(settings, ORGANIZER) as client:
        status = (await client.get(f"/api/events/{EVENT}/digest")).json()
    assert status["queued_at"] is not None
    assert status["report"]["queued"] == 3
    assert status["recipients"] == 0, "everyone who should have it has it"


async def test_a_run_stopped_between_chunks_leaves_the_event_due_and_the_next_queues_the_rest(
    settings: Settings, smtp: MailServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await event_with_followups(settings)
    at = utcnow()
    await run_in_db(
        settings,
        lambda s: s.execute(update(Event).where(Event.slug == EVENT).values(digest_at=at)),
    )
    # One attendee per chunk, and the worker dies (here: an error) after the first is in.
    monkeypatch.setattr(digests, "CHUNK_SIZE", 1)
    monkeypatch.setattr(digests.queue_digests_in_chunks, "__defaults__", (1,))
    stored = digests.store_digests
    calls: list[int] = []

    async def dies_after_one_chunk(*args: Any) -> int:
        if calls:
            raise RuntimeError("the worker stopped")
        calls.append(1)
        return await stored(*args)

    monkeypatch.setattr(digests, "store_digests", dies_after_one_chunk)
    with pytest.raises(RuntimeError):
        await run_scheduler(settings, at)
    keys = await run_in_db(settings, lambda s: s.scalars(select(MailMessage.key)))
    assert len(list(keys)) == 1, "the first chunk stayed queued"
    queued_at = await run_in_db(
        settings, lambda s: s.scalar(select(Event.digest_queued_at).where(Event.slug == EVENT))
    )
    assert queued_at is None, "not every chunk was in: the event is still due"

    monkeypatch.setattr(digests, "store_digests", stored)
    assert await run_scheduler(settings, at + timedelta(minutes=1)) == 2
    assert await run_scheduler(settings, at + timedelta(minutes=2)) == 0
    await deliver(settings, at + timedelta(minutes=3))
    assert sorted(by_recipient(smtp)) == sorted([LUCIA, PEDRO, ANA])
    assert sorted(len(copies) for copies in by_recipient(smtp).values()) == [1, 1, 1]


async def test_the_servers_runner_queues_a_due_digest_and_sends_it(
    settings: Settings, smtp: MailServer
) -> None:
    await event_with_followups(settings)
    # The queue stamps messages with the wall clock: the schedule is set to now.
    at = utcnow()

    async def schedule(session: AsyncSession) -> None:
        await session.execute(update(Event).where(Event.slug == EVENT).values(digest_at=at))

    await run_in_db(settings, schedule)
    engine = create_engine(settings)
    try:
        sessionmaker = session_factory(engine)
        first = await run_due_jobs(sessionmaker, settings, JOBS, at - timedelta(seconds=1))
        assert first.get("digests") == 0
        due = await run_due_jobs(sessionmaker, settings, JOBS, at + timedelta(minutes=1))
        assert due["digests"] == 3
        sent = await run_due_jobs(sessionmaker, settings, JOBS, at + timedelta(minutes=2))
        assert sent["mail"] == 3
    finally:
        await engine.dispose()
    assert sorted(by_recipient(smtp)) == sorted([LUCIA, PEDRO, ANA])


def test_the_cli_dry_run_counts_and_shows_a_sample_then_sends(
    database_url: str, tmp_path: Path
) -> None:
    from tests.conftest import make_settings, run_coroutine, wipe

    settings = make_settings(database_url, tmp_path)
    run_coroutine(wipe(database_url, tmp_path))
    run_coroutine(event_with_followups(settings))
    env = {
        "DATABASE_URL": database_url,
        "ENLACE_DATA_DIR": str(tmp_path),
        "ENLACE_SECRET_KEY": settings.secret_key,
    }
    dry = CliRunner().invoke(
        main, ["followups", EVENT, "--send", "--dry-run", "--language", "en"], env=env
    )
    assert dry.exit_code == 0, dry.output
    assert "3 attendees would get the digest now" in dry.output
    assert "Nothing was queued" in dry.output
    assert "Lucía Fernández" in dry.output  # the made-up sample
    assert all(note.split(":")[0] not in dry.output for note in NOTES.values())
    sent = CliRunner().invoke(main, ["followups", EVENT, "--send"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "3 digests queued" in sent.output
    again = CliRunner().invoke(main, ["followups", EVENT, "--send"], env=env)
    assert "0 digests queued (3 already had one" in again.output
    status = CliRunner().invoke(main, ["followups", EVENT], env=env)
    assert status.exit_code == 0, status.output
    assert "waiting 3" in status.output
    bad = CliRunner().invoke(main, ["followups", "nope", "--send"], env=env)
    assert bad.exit_code != 0
    assert "No event with slug 'nope'" in bad.output
