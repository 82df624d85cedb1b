"""My connections on a phone: connecting back, removing, filtering, and the list offline."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.harness import (
    ATTENDEE,
    ORGANIZER,
    Pages,
    describe_violations,
    horizontal_overflow,
    open_app,
    run_axe,
    wait_for_service_worker,
    wait_until,
)
from tests.browser.screens import api_get, csrf_headers
from tests.browser.test_outbox import DIRECTORY_SAVED, server_connections
from tests.browser.test_scanner import reissue

CONNECTIONS = "/events/demo/connections"
NARROW = {"width": 320, "height": 640}
NOTE_MARKER = "Also written on another device"


def someone(pages: Pages, nth: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `nth` demo attendee whose name no one else has, past those the other browser tests
    scan (the first eight), and a fresh badge for them."""
    organizer = open_app(pages.new(ORGANIZER, language="en"), "/")
    listed = api_get(organizer, "/api/events/demo/attendees?limit=60")["items"]
    others = [p for p in listed if p["email"] != ATTENDEE]
    names = Counter(p["name"] for p in listed)
    person = [p for p in others[8:] if names[p["name"]] == 1][nth]
    badge = reissue(organizer, person)
    organizer.context.close()
    return person, badge


def sync(page: Page, *operations: dict[str, Any]) -> list[dict[str, Any]]:
    """Send outbox operations for the person signed in on `page`, as the app does."""
    at = datetime.now(UTC).isoformat()
    payload = {
        "operations": [
            {"id": str(uuid.uuid4()), "event": "demo", "at": at} | op for op in operations
        ]
    }
    response = page.request.post("/api/sync", data=payload, headers=csrf_headers(page))
    assert response.ok, response.text()
    results: list[dict[str, Any]] = response.json()["results"]
    assert all(r["status"] == "applied" for r in results), results
    return results


# Whether a note with this text waits in the phone's outbox (saved on the phone, not yet sent).
NOTE_WAITING = """async (text) => {
  const { readAll } = await import("/js/outbox/storage.js");
  const waiting = await readAll("ops");
  return waiting.some((record) => record.op.kind === "note" && record.op.text === text);
}"""


def note(token: str, text: str) -> dict[str, Any]:
    """A first note on the connection made by scanning `token`."""
    return {"kind": "note", "scanned": token, "text": text, "base_revision": 0}


def mine(page: Page) -> Locator:
    """The cards under "People I connected with"."""
    return page.get_by_role("region", name="People I connected with").locator("li.connection")


def card_of(page: Page, name: str) -> Locator:
    return mine(page).filter(has=page.get_by_role("heading", name=name, exact=True))


def test_connecting_back_with_someone_who_saved_me_makes_it_mutual(pages: Pages) -> None:
    alex = open_app(pages.new(ATTENDEE, language="en"), "/")
    alex_badge = api_get(alex, "/api/events/demo/me/badge")
    person, _ = someone(pages, 0)

    # The other person scans Alex's badge on their own phone and saves the contact.
    other = open_app(pages.new(person["email"], language="en"), f"/B/{alex_badge['token']}")
    other.get_by_role("button", name="Save contact").click()
    wait_until(
        lambda: any(c["card"]["name"] == "Alex Rivera" for c in server_connections(other)), 10
    )

    open_app(alex, CONNECTIONS)
    theirs = alex.get_by_role("region", name="Who connected with me")
    them = theirs.get_by_role("listitem").filter(
        has=alex.get_by_role("heading", name=person["name"], exact=True)
    )
    expect(them).to_have_count(1)
    them.get_by_role("button", name="Connect back").click()

    def mutual_on_the_server() -> bool:
        back = api_get(alex, "/api/events/demo/connected-with-me")
        return any(p["attendee"] == person["id"] and p["mutual"] for p in back)

    wait_until(mutual_on_the_server, 10)
    [connection] = [c for c in server_connections(alex) if c["attendee"] == person["id"]]
    assert connection["mutual"] is True
    expect(them).to_contain_text("Connected with each other")  # redrawn once synced
    expect(card_of(alex, person["name"])).to_contain_text("Connected with each other")
    # And the other person sees it too.
    [saved] = [c for c in server_connections(other) if c["card"]["name"] == "Alex Rivera"]
    assert saved["mutual"] is True


def test_removing_a_connection_hides_it_here_and_on_the_server(pages: Pages) -> None:
    person, badge = someone(pages, 1)
    page = open_app(pages.new(ATTENDEE, language="en"), CONNECTIONS)
    sync(page, {"kind": "scan", "scanned": badge["token"]}, note(badge["token"], "Call in May"))
    open_app(page, CONNECTIONS)
    card = card_of(page, person["name"])
    expect(card).to_have_count(1)

    # One tap never loses a note: a question first, and "Keep" changes nothing.
    remove = card.get_by_role("button", name=f"Remove {person['name']}")
    remove.click()
    dialog = page.get_by_role("dialog", name=f"Remove {person['name']} from your connections?")
    expect(dialog).to_contain_text("with your private note and tags about them")
    expect(dialog.get_by_role("button", name="Keep")).to_be_focused()
    dialog.get_by_role("button", name="Keep").click()
    expect(dialog).to_be_hidden()
    expect(remove).to_be_focused()
    expect(card).to_contain_text("Call in May")

    # On a narrow phone at 200% text the question is in view and has room for its words.
    page.set_viewport_size(NARROW)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    remove.click()
    expect(dialog.get_by_role("heading")).to_be_in_viewport()
    room = dialog.evaluate("d => d.clientWidth - 2 * parseFloat(getComputedStyle(d).paddingLeft)")
    assert room > 240, room
    page.evaluate("document.documentElement.style.fontSize = ''")
    dialog.get_by_role("button", name="Remove").click()
    expect(card).to_have_count(0)
    expect(page.locator("#announcer")).to_have_text("Connection removed.")

    def gone() -> bool:
        return all(c["attendee"] != person["id"] for c in server_connections(page))

    wait_until(gone, 10)
    open_app(page, CONNECTIONS)  # and it stays gone (whatever else other tests saved for Alex)
    region = page.get_by_role("region", name="People I connected with")
    loaded = region.locator("li.connection").or_(region.get_by_text("You have not saved anyone"))
    expect(loaded.first).to_be_visible()
    expect(card_of(page, person["name"])).to_have_count(0)


def test_the_tag_filter_and_the_search_show_only_matching_contacts(pages: Pages) -> None:
    people = [someone(pages, nth) for nth in (2, 3, 4)]
    (first, first_badge), (second, second_badge), (third, third_badge) = people
    word = f"pilot{uuid.uuid4().hex[:6]}"
    tag = f"t-{uuid.uuid4().hex[:6]}"
    page = open_app(pages.new(ATTENDEE, language="en"), CONNECTIONS)
    sync(
        page,
        *(
            {"kind": "scan", "scanned": b["token"]}
            for b in (first_badge, second_badge, third_badge)
        ),
        note(first_badge["token"], f"Ask about {word}"),
        {"kind": "tags", "scanned": first_badge["token"], "tags": [tag]},
        {"kind": "tags", "scanned": second_badge["token"], "tags": [tag, "hiring"]},
        note(third_badge["token"], "Nothing to do with it"),
    )
    open_app(page, CONNECTIONS)
    for person in (first, second, third):
        expect(card_of(page, person["name"])).to_have_count(1)

    page.get_by_label("Tag", exact=True).select_option(tag)
    expect(mine(page)).to_have_count(2)
    expect(card_of(page, first["name"])).to_have_count(1)
    expect(card_of(page, second["name"])).to_have_count(1)

    page.get_by_label("Tag", exact=True).select_option("")
    page.get_by_label("Search by name, organization or note").fill(word.upper())
    page.get_by_role("button", name="Search", exact=True).click()
    expect(mine(page)).to_have_count(1)
    expect(card_of(page, first["name"])).to_contain_text(f"Ask about {word}")

    page.get_by_label("Search by name, organization or note").fill("no such contact anywhere")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(mine(page)).to_have_count(0)
    expect(page.get_by_text("Nobody matches this search.")).to_be_visible()


def test_offline_my_connections_lists_what_this_phone_knows(pages: Pages) -> None:
    (known, known_badge), (new, new_badge) = someone(pages, 5), someone(pages, 6)
    tag = f"t-{uuid.uuid4().hex[:6]}"
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    wait_until(lambda: page.evaluate(DIRECTORY_SAVED) is True, 10)
    sync(
        page,
        {"kind": "scan", "scanned": known_badge["token"]},
        note(known_badge["token"], "Met at the keynote"),
        {"kind": "tags", "scanned": known_badge["token"], "tags": [tag]},
    )
    open_app(page, CONNECTIONS)  # online once: the phone keeps the list
    expect(card_of(page, known["name"])).to_contain_text("Met at the keynote")

    page.context.set_offline(True)
    open_app(page, f"/B/{new_badge['token']}")
    page.get_by_role("button", name="Save contact").click()
    page.get_by_label("Private note").fill("Offline hello")
    page.get_by_role("button", name="Save note and tags").click()
    wait_until(lambda: page.evaluate(NOTE_WAITING, "Offline hello") is True, 10)
    # The scan and the note: one person.
    expect(page.locator("#sync-status")).to_have_text("Changes for 1 person waiting to sync")

    open_app(page, CONNECTIONS)  # a reload, still offline
    expect(page.get_by_text("You are offline. This is what this phone knows")).to_be_visible()
    known_card, new_card = card_of(page, known["name"]), card_of(page, new["name"])
    expect(known_card).to_contain_text("Met at the keynote")
    expect(new_card).to_contain_text("Offline hello")
    expect(new_card).to_contain_text("Waiting to sync")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    page.set_viewport_size(NARROW)
    page.evaluate("document.documentElement.style.fontSize = '200%'")  # text at 200%
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= layout["width"] and not layout["wide"], layout
    page.evaluate("document.documentElement.style.fontSize = ''")

    search = page.get_by_label("Search by name, organization or note")
    search.fill("offline HELLO")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(mine(page)).to_have_count(1)
    expect(new_card).to_be_visible()
    expect(page.locator("#announcer")).to_have_text("Contacts shown: 1.")
    search.fill("")
    page.get_by_label("Tag", exact=True).select_option(tag)
    expect(mine(page)).to_have_count(1)
    expect(known_card).to_be_visible()

    # Editing offline still queues the write, and the card shows it.
    known_card.get_by_text("Note and tags", exact=True).click()
    known_card.get_by_label("Private note").fill("Met at the keynote; call on Friday")
    known_card.get_by_role("button", name="Save note and tags").click()
    expect(known_card.locator(".note-text")).to_have_text("Met at the keynote; call on Friday")
    expect(known_card).to_contain_text("Waiting to sync")
    expect(page.locator("#sync-status")).to_have_text("Changes for 2 people waiting to sync")
    open_app(page, CONNECTIONS)  # the newer note on this phone wins over the kept list
    expect(card_of(page, known["name"]).locator(".note-text")).to_have_text(
        "Met at the keynote; call on Friday"
    )

    page.context.set_offline(False)

    def synced() -> bool:
        notes = {c["attendee"]: c["note"] for c in server_connections(page)}
        return (
            notes.get(known["id"]) == "Met at the keynote; call on Friday"
            and notes.get(new["id"]) == "Offline hello"
        )

    wait_until(synced, 15)
    expect(page.locator("#sync-status")).to_be_hidden()
    expect(page.get_by_text("You are offline. This is what this phone knows")).to_be_hidden()


def test_two_note_edits_in_a_row_offline_sync_as_the_second_without_a_conflict(
    pages: Pages,
) -> None:
    person, badge = someone(pages, 7)
    page = pages.new(ATTENDEE, language="en", service_workers="allow")
    open_app(page, f"/B/{badge['token']}")
    wait_for_service_worker(page)
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_text("Saved to your connections.")).to_be_visible()  # synced

    page.context.set_offline(True)
    page.get_by_label("Private note").fill("Call on Monday")
    page.get_by_role("button", name="Save note and tags").click()
    wait_until(lambda: page.evaluate(NOTE_WAITING, "Call on Monday") is True, 10)
    expect(page.locator("#sync-status")).to_have_text("Changes for 1 person waiting to sync")
    page.get_by_label("Private note").fill("Call on Tuesday instead")
    page.get_by_role("button", name="Save note and tags").click()
    wait_until(lambda: page.evaluate(NOTE_WAITING, "Call on Tuesday instead") is True, 10)
    # Two notes, one person.
    expect(page.locator("#sync-status")).to_have_text("Changes for 1 person waiting to sync")

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_be_hidden(timeout=15_000)
    [connection] = [c for c in server_connections(page) if c["attendee"] == person["id"]]
    assert connection["note"] == "Call on Tuesday instead"
    assert NOTE_MARKER not in connection["note"]
    assert connection["note_revision"] == 2
    expect(page.get_by_label("Private note")).to_have_value("Call on Tuesday instead")
