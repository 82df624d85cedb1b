"""The follow-ups screen on a phone: people with notes and drafts, a draft edited and kept, done
and snooze made offline and synced once, accessible and fitting 320 px at 200% text."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Account, Followup, SyncOperation
from tests.browser.harness import (
    ATTENDEE,
    Pages,
    describe_violations,
    horizontal_overflow,
    in_database,
    open_app,
    run_axe,
    screenshot,
    sign_in_with_code,
    wait_for_service_worker,
)
from tests.browser.screens import api_get
from tests.browser.test_connections import note, someone, sync

FOLLOWUPS = "/events/demo/followups"
NARROW = {"width": 320, "height": 640}


def card_of(page: Page, name: str) -> Locator:
    """A person's card in the list (their name is a heading)."""
    return page.locator("li.followup").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def met(pages: Pages, page: Page, nth: int, text: str) -> dict[str, Any]:
    """Connect the signed-in attendee of `page` with the `nth` demo person, with a note, through
    the real sync; answers the person."""
    person, badge = someone(pages, nth)
    sync(page, {"kind": "scan", "scanned": badge["token"]}, note(badge["token"], text))
    return person


def connection_of(page: Page, person: dict[str, Any]) -> int:
    listed = api_get(page, "/api/events/demo/followups")["followups"]
    [found] = [f["connection"] for f in listed if f["attendee"] == person["id"]]
    return int(found)


def assert_fits_narrow(page: Page) -> None:
    page.set_viewport_size(NARROW)
    page.evaluate("document.documentElement.style.fontSize = '200%'")  # text at 200%
    page.wait_for_timeout(50)
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= layout["width"] and not layout["wide"], layout
    page.evaluate("document.documentElement.style.fontSize = ''")


def test_the_list_shows_each_person_with_their_note_and_a_draft_edit_is_kept(
    pages: Pages,
) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/")
    word = f"pilot-{uuid.uuid4().hex[:6]}"
    person = met(pages, page, 20, f"Wants to try the {word} in January")

    # From the event on the home screen.
    page.get_by_role("link", name="Follow-ups").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-ups")
    card = card_of(page, person["name"])
    expect(card).to_contain_text(f"Wants to try the {word} in January")
    expect(card).to_contain_text("To do")
    expect(card).to_contain_text("Scanned 1 ×")
    screenshot(page, "followups-list-en-390")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)

    card.get_by_role("link", name="Write to them").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
    subject, body = page.get_by_label("Subject"), page.get_by_label("Message", exact=True)
    expect(subject).not_to_have_value("")
    # My note is beside the draft, to draw on, and never in the message to the person it is about.
    expect(page.get_by_text(f"Wants to try the {word} in January")).to_be_visible()
    expect(body).not_to_have_value(re.compile(word))
    body.fill("Hi!\nThanks for the talk about the pilot, see you in January.")
    subject.fill("Our pilot")
    expect(page.get_by_text("Edits kept on this phone.")).to_be_visible()
    screenshot(page, "followups-person-en-390")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    assert_fits_narrow(page)

    open_app(page, page.url)  # a reload: the edit is still there
    expect(page.get_by_label("Subject")).to_have_value("Our pilot")
    expect(page.get_by_label("Message", exact=True)).to_have_value(
        "Hi!\nThanks for the talk about the pilot, see you in January."
    )
    mail = page.get_by_role("link", name="Open in mail app")
    if api_get(page, "/api/events/demo/followups")["followups"][0]["draft"]["to"]:
        assert "subject=Our%20pilot" in (mail.get_attribute("href") or "")
        assert "body=Hi!%0D%0AThanks" in (mail.get_attribute("href") or "")
    page.get_by_role("button", name="Start again from the suggested message").click()
    expect(page.get_by_label("Subject")).not_to_have_value("Our pilot")

    page.get_by_role("link", name="All follow-ups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-ups")
    # Back in the list, focus returns to the person just opened.
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == person["name"]
    assert_fits_narrow(page)

    # My own digest, with my note in it: shown to me only (the organizer's uses made-up people).
    page.get_by_text("See my e-mail as it would go out now").click()
    expect(page.get_by_text(re.compile(r"^Subject: "))).to_be_visible()
    expect(page.locator("pre.digest-text")).to_contain_text(f"Wants to try the {word} in January")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)


def test_done_and_snooze_made_offline_show_at_once_and_sync_exactly_once(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)  # so the app itself opens offline
    first = met(pages, page, 21, "Send the slides")
    second = met(pages, page, 22, "Coffee in Madrid")
    first_id, second_id = connection_of(page, first), connection_of(page, second)
    today = api_get(page, "/api/events/demo/followups")["today"]
    open_app(page, FOLLOWUPS)  # online once: the phone keeps the list
    expect(card_of(page, first["name"])).to_be_visible()

    page.context.set_offline(True)
    open_app(page, FOLLOWUPS)  # from the phone's copy, saying since when
    expect(page.get_by_text("as saved on this phone on")).to_be_visible()
    card = card_of(page, first["name"])
    card.get_by_role("button", name="Mark done").click()
    expect(card).to_contain_text("Done")
    expect(card).to_contain_text("Waiting to sync")
    expect(page.locator("#announcer")).to_have_text(
        "Marked done. It will sync when you are back online."
    )
    expect(card.get_by_role("button", name="Mark to do")).to_be_focused()

    card_of(page, second["name"]).get_by_role("link", name="Write to them").click()
    page.get_by_role("button", name="Tomorrow").click()
    expect(page.locator(".status-now")).to_contain_text("Snoozed until")
    expect(page.locator("#sync-status")).to_have_text("Changes for 2 people waiting to sync")
    screenshot(page, "followups-snoozed-offline-en-390")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)

    open_app(page, FOLLOWUPS)  # still offline: the waiting writes apply over the kept list
    expect(card_of(page, first["name"])).to_contain_text("Done")
    expect(card_of(page, second["name"])).to_contain_text("Snoozed until")

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_be_hidden(timeout=15_000)
    expect(card_of(page, first["name"])).not_to_contain_text("Waiting to sync")

    async def stored(session: AsyncSession) -> tuple[dict[int, Any], dict[int, int]]:
        rows = await session.scalars(
            select(Followup).where(Followup.connection_id.in_([first_id, second_id]))
        )
        states = {row.connection_id: (row.done_at, row.snoozed_until) for row in rows}
        ops = await session.scalars(select(SyncOperation).where(SyncOperation.kind == "followup"))
        counts: dict[int, int] = {}
        for op in ops:
            connection = op.result.get("connection")
            if connection in (first_id, second_id):
                counts[connection] = counts.get(connection, 0) + 1
        return states, counts

    states, counts = in_database(database_url, tmp_path, stored)
    assert counts == {first_id: 1, second_id: 1}
    assert states[first_id][0] is not None and states[first_id][1] is None
    assert states[second_id][0] is None and str(states[second_id][1]) > today

    open_app(page, FOLLOWUPS)  # online: the server's list says the same
    expect(card_of(page, first["name"])).to_contain_text("Done")
    expect(card_of(page, second["name"])).to_contain_text("Snoozed until")
    expect(page.get_by_text("as saved on this phone on")).to_be_hidden()


def test_the_screen_reads_in_spanish(pages: Pages, database_url: str, tmp_path: Path) -> None:
    page = open_app(pages.new(ATTENDEE, language="es"), "/")
    person = met(pages, page, 23, "Hablar del taller")
    open_app(page, FOLLOWUPS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Seguimiento")
    expect(card_of(page, person["name"])).to_contain_text("Hablar del taller")
    page.get_by_role("radio", name="Agrupadas por etiqueta").check()
    expect(page.locator("#announcer")).to_contain_text("Personas mostradas")
    screenshot(page, "followups-list-es-390")
    card_of(page, person["name"]).get_by_role("link", name="Escribirle").click()
    expect(page.get_by_role("heading", name="Borrador del mensaje")).to_be_visible()
    screenshot(page, "followups-person-es-390")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    assert_fits_narrow(page)

    # Unsubscribed from the digest (by its link): the screen says so.
    def opt_out(when: datetime | None) -> Any:
        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(Account).where(Account.email == ATTENDEE).values(digest_opt_out_at=when)
            )

        return work

    in_database(database_url, tmp_path, opt_out(datetime.now(UTC)))
    try:
        open_app(page, FOLLOWUPS)
        expect(page.get_by_text("Te diste de baja de estos correos")).to_be_visible()
    finally:
        in_database(database_url, tmp_path, opt_out(None))


def test_the_digest_link_signs_in_and_lands_on_the_followups(pages: Pages) -> None:
    # Someone other than the usual attendee: sign-in codes are limited per address and hour,
    # and the sign-in tests ask for theirs.
    reader = someone(pages, 26)[0]["email"]
    page = open_app(pages.new(language="en"), FOLLOWUPS)  # signed out, as from the e-mail
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fevents%2Fdemo%2Ffollowups$"))
    sign_in_with_code(page, pages.server, reader)
    expect(page).to_have_url(re.compile(r"/events/demo/followups$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-ups")
