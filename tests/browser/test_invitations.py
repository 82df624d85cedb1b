"""Invitations and the card set-up they lead to: the organizer invites from the dashboard, the
invited attendee's link signs them in onto setting up their card, where nothing is ticked until
they tick it and sharing their interests is one tap."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attendee, Event
from tests.browser.harness import ATTENDEE, ORGANIZER, STAFF, Pages, in_database, open_app
from tests.browser.screens import csrf_headers


def a_person_sharing_nothing(pages: Pages, tmp_path: Path, language: str) -> dict[str, str]:
    """A demo attendee with imported interests who shares nothing yet and has not been invited,
    in `language`, who is none of the people the other tests sign in as."""

    async def work(session: AsyncSession) -> dict[str, str]:
        candidates = await session.execute(
            select(Attendee.id, Attendee.email, Attendee.name, Attendee.interests)
            .join(Event, Event.id == Attendee.event_id)
            .where(
                Event.slug == "demo",
                Attendee.language == language,
                Attendee.invited_at.is_(None),
                # Not one of the people other tests sign in as (and mail sign-in links).
                Attendee.email.not_in([ORGANIZER, STAFF, ATTENDEE]),
            )
            .order_by(Attendee.id.desc())
            .limit(100)
        )
        # Imported interests to share (people other tests add may have none).
        row = next(row for row in candidates if row.interests)
        await session.execute(
            update(Attendee).where(Attendee.id == row.id).values(shared_fields=[])
        )
        return {"id": str(row.id), "email": row.email, "name": row.name}

    found: dict[str, str] = in_database(pages.server.database_url, tmp_path, work)
    return found


@pytest.mark.parametrize(
    ("language", "invite", "title", "share"),
    [
        ("en", "Invite", "Set up your card", "Share my interests"),
        ("es", "Invitar", "Prepara tu tarjeta", "Compartir mis intereses"),
    ],
)
def test_an_invited_attendee_signs_in_onto_their_card_and_shares_in_one_tap(
    pages: Pages, tmp_path: Path, language: str, invite: str, title: str, share: str
) -> None:
    person = a_person_sharing_nothing(pages, tmp_path, language)
    earlier = len(pages.server.mails_to(person["email"]))
    organizer = open_app(pages.new(ORGANIZER, language=language), "/organize/demo")
    answer = organizer.request.post(
        "/api/events/demo/invitations",
        data={"who": "chosen", "attendees": [int(person["id"])]},
        headers=csrf_headers(organizer),
    )
    assert answer.ok, answer.text()
    assert answer.json()["queued"] == 1
    organizer.context.close()
    pages.server.run_jobs()
    [mail] = pages.server.mails_to(person["email"])[earlier:]
    link = re.search(r"https?://\S+/signin\?next=%2Fevents%2Fdemo%2Fsetup#t=[A-Za-z0-9_-]+", mail)
    assert link, mail

    page = pages.new(language=language)
    page.goto(link.group(0))
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/events/demo/setup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    # Nothing is ticked: a scan shows the name and organization only.
    boxes = page.locator("input[name=shared]")
    assert boxes.count() >= 1
    for n in range(boxes.count()):
        expect(boxes.nth(n)).not_to_be_checked()
    expect(page.locator(".badge-card dl")).to_have_count(0)

    page.get_by_role("button", name=share).click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("input[name=shared][value=interests]")).to_be_checked()
    expect(page.locator(".badge-card .card-interests")).to_be_visible()

    async def shared(session: AsyncSession) -> list[str]:
        found = await session.scalar(
            select(Attendee.shared_fields).where(Attendee.id == int(person["id"]))
        )
        return list(found or [])

    assert in_database(pages.server.database_url, tmp_path, shared) == ["interests"]


def test_the_organizer_invites_those_not_invited_from_the_dashboard(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/organize/demo")
    section = page.get_by_role("region", name="Invitations")
    invited = section.locator("[data-count=invited] dd")
    button = section.get_by_role("button", name=re.compile(r"^Invite those not invited yet"))
    expect(button).to_be_enabled()
    button.click()
    expect(section.locator(".message-success")).to_contain_text("Invitations queued")
    expect(invited).to_have_text(re.compile(r"^([\d,]+) of \1$"))
    expect(button).to_be_disabled()
    # Everyone again, after a confirmation: those invited minutes ago are left out.
    section.get_by_role("button", name="Invite everyone again").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("except anyone invited in the last 10 minutes")
    dialog.get_by_role("button", name="Send to everyone").click()
    expect(section.locator(".message-success")).to_contain_text("Invitations queued: 0")
