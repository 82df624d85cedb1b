"""The organizer's follow-up e-mail screen: preview in both languages, send now, the counts; and
the unsubscribe page a digest links to, used without signing in."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Account, Attendee, Connection, Event
from tests.browser.harness import (
    ORGANIZER,
    Pages,
    describe_violations,
    horizontal_overflow,
    in_database,
    open_app,
    run_axe,
    screenshot,
)

READER = "lector-digest@example.org"
NOTE = "DIGEST-NOTE: ask about the cooperative's fair"
NARROW = {"width": 320, "height": 640}


def reader_met_someone(database_url: str, folder: Path) -> None:
    """A demo attendee with an account who met someone and wrote a private note."""

    async def work(session: AsyncSession) -> None:
        event = await session.scalar(select(Event).where(Event.slug == "demo"))
        assert event is not None
        if await session.scalar(select(Attendee.id).where(Attendee.email == READER)):
            return
        other = await session.scalar(
            select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.id).limit(1)
        )
        assert other is not None
        reader = Attendee(event_id=event.id, email=READER, name="Lea Digest", language="es")
        session.add_all([reader, Account(email=READER, language="es")])
        await session.flush()
        met = datetime.now(UTC)
        session.add(
            Connection(
                event_id=event.id,
                owner_id=reader.id,
                other_id=other.id,
                first_met_at=met,
                last_met_at=met,
                scan_count=1,
                note=NOTE,
            )
        )

    in_database(database_url, folder, work)


def test_organizer_previews_in_both_languages_sends_now_and_sees_it_sent(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    reader_met_someone(database_url, tmp_path)
    page = open_app(pages.new(ORGANIZER, language="en"), "/organize/demo")
    page.get_by_role("link", name="Follow-up e-mail").click()
    expect(page).to_have_url(re.compile(r"/organize/demo/followups$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up e-mail")
    # The suggested time: 09:00 the morning after the last day, in the event's zone.
    expect(page.get_by_label("Date and time")).to_have_value(re.compile(r"T09:00$"))

    # The preview opens in the screen's language; the other is one press away.
    expect(page.get_by_text("Subject: Your follow-ups from")).to_be_visible()
    frame = page.frame_locator("iframe.digest-frame")
    expect(frame.get_by_role("link", name="Open my follow-up list")).to_be_visible()
    page.get_by_role("button", name="Spanish").click()
    expect(page.get_by_role("button", name="Spanish")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text("Subject: Tus seguimientos de")).to_be_visible()
    expect(frame.get_by_role("link", name="Abrir mi lista de seguimiento")).to_be_visible()
    expect(
        frame.get_by_role("heading", name="Lucía Fernández (Cooperativa Tejido)")
    ).to_be_visible()
    violations = run_axe(page)
    assert not violations, describe_violations(violations)

    page.get_by_role("button", name="Send now").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Send the follow-up e-mail now?")
    dialog.get_by_role("button", name="Yes, send it").click()
    main = page.locator("#main")
    expect(main.get_by_text(re.compile(r"Queued for sending: \d+\."))).to_be_visible()
    # The runner (here run by hand, as `enlace worker --once`) sends it to the outbox folder
    # once the server has queued it; the counts on the screen follow.
    sent = page.locator("[data-count=sent] dd")
    deadline = time.monotonic() + 30
    while not pages.server.mails_to(READER) and time.monotonic() < deadline:
        pages.server.run_jobs()
    expect(sent).not_to_have_text("0", timeout=30_000)
    expect(page.locator("[data-count=queued] dd")).to_have_text("0", timeout=30_000)
    screenshot(page, "digest-organizer-en")
    assert NOTE not in page.content(), "an organizer never sees a note"

    mails = pages.server.mails_to(READER)
    assert len(mails) == 1
    assert NOTE in mails[0]
    assert mails[0].startswith("Subject: Tus seguimientos de")

    # Sending again gives nobody a second copy.
    page.get_by_role("button", name="Send now").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, send it").click()
    expect(main.get_by_text("Nobody new to send it to")).to_be_visible()
    assert len(pages.server.mails_to(READER)) == 1


def test_the_screen_fits_320px_at_200_percent_text_in_spanish(pages: Pages) -> None:
    page = open_app(
        pages.new(ORGANIZER, language="es", viewport=NARROW), "/organize/demo/followups"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Correo de seguimiento")
    expect(page.get_by_text("Asunto: Tus seguimientos de")).to_be_visible()
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.wait_for_timeout(50)
    screenshot(page, "digest-organizer-es-320-text-200")
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert not layout["wide"], layout
    violations = run_axe(page)
    assert not violations, describe_violations(violations)


def test_the_unsubscribe_link_works_without_signing_in(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    reader_met_someone(database_url, tmp_path)
    from api.followups.unsubscribe import unsubscribe_token
    from tests.conftest import make_settings

    account_id = in_database(
        database_url,
        tmp_path,
        lambda session: session.scalar(select(Account.id).where(Account.email == READER)),
    )
    secret = (pages.server.data_dir / "secret_key").read_text().strip()
    settings = make_settings(database_url, tmp_path, secret_key=secret)
    token = unsubscribe_token(settings, account_id)

    page = open_app(pages.new(language="es"), f"/unsubscribe/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Darse de baja de los correos de seguimiento"
    )
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    page.get_by_role("button", name="Darme de baja").click()
    expect(page.locator("#main").get_by_role("status")).to_contain_text("Te has dado de baja")
    opted = in_database(
        database_url,
        tmp_path,
        lambda session: session.scalar(
            select(Account.digest_opt_out_at).where(Account.email == READER)
        ),
    )
    assert opted is not None
    # Opened again, the page says it is done instead of asking again.
    page.reload()
    expect(page.locator("#main").get_by_text("Te has dado de baja")).to_be_visible()


def test_a_digest_sign_in_link_works_once_then_leads_to_the_usual_sign_in(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    reader_met_someone(database_url, tmp_path)
    from api.auth.service import issue_signin_link
    from api.followups.digests import SIGNIN_VALID_FOR
    from api.models import utcnow
    from tests.conftest import make_settings

    settings = make_settings(database_url, tmp_path, base_url=pages.server.url)

    async def link(session: AsyncSession) -> str:
        account_id = await session.scalar(select(Account.id).where(Account.email == READER))
        assert account_id is not None
        return await issue_signin_link(
            session,
            settings,
            account_id,
            "/events/demo/followups",
            valid_for=SIGNIN_VALID_FOR,
            now=utcnow(),
        )

    url = in_database(database_url, tmp_path, link)
    first = pages.new(language="es")
    first.goto(url)
    first.get_by_role("button", name="Entrar").click()
    expect(first).to_have_url(re.compile(r"/events/demo/followups$"))

    again = pages.new(language="es")
    again.goto(url)
    again.get_by_role("button", name="Entrar").click()
    # Not an error page: the sign-in form, saying kindly why, and still going to the list after.
    expect(again.locator("#main .message")).to_contain_text("Este enlace")
    expect(again.get_by_label("Tu correo electrónico")).to_be_visible()
    expect(again).to_have_url(re.compile(r"/signin\?next=%2Fevents%2Fdemo%2Ffollowups$"))
    violations = run_axe(again)
    assert not violations, describe_violations(violations)
