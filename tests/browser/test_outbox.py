"""The offline outbox: saving a contact and a note syncs once; rejections are listed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.harness import (
    ATTENDEE,
    Pages,
    fake_camera_browser,
    open_app,
    sign_in_with_code,
    wait_for_service_worker,
    wait_until,
)
from tests.browser.screens import api_get, csrf_headers
from tests.browser.test_scanner import badge_of_another_attendee, camera_showing_badge

QUEUE_OWN_SCAN = """async (token) => {
  const outbox = await import("/js/outbox/queue.js");
  await outbox.queue({ kind: "scan", event: "demo", scanned: token });
  await outbox.flush();
}"""


def server_connections(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await fetch('/api/events/demo/connections')).json()"
    )
    return found


def test_saving_a_contact_and_a_note_online_syncs_once(pages: Pages) -> None:
    person, badge = badge_of_another_attendee(pages, 0)
    page = open_app(pages.new(ATTENDEE, language="en"), f"/B/{badge['token']}")
    page.get_by_role("button", name="Save contact").click()
    page.get_by_label("Private note").fill("Talk about the pilot")
    page.get_by_role("button", name="Save note and tags").click()

    def synced() -> bool:
        found = [c for c in server_connections(page) if c["attendee"] == person["id"]]
        return len(found) == 1 and found[0]["note"] == "Talk about the pilot"

    wait_until(synced, 10)


def test_a_scan_of_my_own_badge_lands_in_could_not_sync(pages: Pages) -> None:
    page = pages.new(ATTENDEE, language="en")
    own = api_get(page, "/api/events/demo/me/badge")["token"]
    open_app(page, f"/B/{own}")
    page.evaluate(QUEUE_OWN_SCAN, own)
    open_app(page, "/events/demo/connections")
    expect(page.locator(".failed-reason")).to_have_text("This is your own badge.")
    own_card = api_get(page, "/api/events/demo/me/badge")["card"]
    assert all(c["card"]["name"] != own_card["name"] for c in server_connections(page))


DIRECTORY_SAVED = """async () => {
  const request = indexedDB.open("enlace-outbox");
  const db = await new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const all = db.transaction("directories").objectStore("directories").getAll();
  return await new Promise((resolve) => {
    all.onsuccess = () => resolve(all.result.some((saved) => saved.event === "demo"));
  });
}"""


def test_a_contact_saved_offline_is_queued_and_syncs_once_back_online(pages: Pages) -> None:
    person, badge = badge_of_another_attendee(pages, 1)
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    wait_until(lambda: page.evaluate(DIRECTORY_SAVED) is True, 10)  # kept while online
    before = [c for c in server_connections(page) if c["attendee"] == person["id"]]
    assert before == []

    page.context.set_offline(True)
    open_app(page, f"/B/{badge['token']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])  # from the directory
    page.get_by_role("button", name="Save contact").click()
    expect(page.locator("#sync-status")).to_have_text("Changes for 1 person waiting to sync")
    expect(page.locator("#sync-status")).to_be_visible()

    page.context.set_offline(False)

    def synced() -> bool:
        return any(c["attendee"] == person["id"] for c in server_connections(page))

    wait_until(synced, 15)
    expect(page.locator("#sync-status")).to_be_hidden()  # the pending count is back to 0
    mine = [c for c in server_connections(page) if c["attendee"] == person["id"]]
    assert len(mine) == 1 and mine[0]["scan_count"] == 1


def test_a_badge_read_by_the_camera_offline_is_saved_with_a_note_and_syncs_once(
    pages: Pages, tmp_path: Path
) -> None:
    person, badge = badge_of_another_attendee(pages, 7)
    video = camera_showing_badge(tmp_path, badge["url"])
    with fake_camera_browser(video) as camera:
        page = pages.new(
            ATTENDEE, language="en", browser=camera, permissions=["camera"], service_workers="allow"
        )
        open_app(page, "/")
        wait_for_service_worker(page)
        wait_until(lambda: page.evaluate(DIRECTORY_SAVED) is True, 10)

        page.context.set_offline(True)
        open_app(page, "/events/demo/scan")
        expect(page).to_have_url(re.compile(rf"/b/{badge['token']}\?event=demo$"), timeout=15_000)
        expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
        page.get_by_role("button", name="Save contact").click()
        page.get_by_label("Private note").fill("Met at the coffee queue")
        page.get_by_role("button", name="Save note and tags").click()
        expect(page.locator("#sync-status")).to_contain_text("waiting to sync")

        page.context.set_offline(False)

        def synced() -> bool:
            mine = [c for c in server_connections(page) if c["attendee"] == person["id"]]
            return len(mine) == 1 and mine[0]["note"] == "Met at the coffee queue"

        wait_until(synced, 15)
        expect(page.locator("#sync-status")).to_be_hidden()
        mine = [c for c in server_connections(page) if c["attendee"] == person["id"]]
        assert len(mine) == 1 and mine[0]["scan_count"] == 1
        page.context.close()


def test_on_a_shared_phone_the_next_person_sees_none_of_the_first_ones_notes(
    pages: Pages,
) -> None:
    _, badge = badge_of_another_attendee(pages, 2)
    other, _ = badge_of_another_attendee(pages, 4)
    # A session of this phone's own: signing out must not end the one the other tests share.
    page = open_app(pages.new(language="en"), "/signin")
    sign_in_with_code(page, pages.server, ATTENDEE)
    open_app(page, f"/B/{badge['token']}")
    page.get_by_role("button", name="Save contact").click()
    page.get_by_label("Private note").fill("Secret: salary talk")
    page.get_by_role("button", name="Save note and tags").click()
    wait_until(
        lambda: any(c["note"] == "Secret: salary talk" for c in server_connections(page)), 10
    )
    page.evaluate(QUEUE_OWN_SCAN, api_get(page, "/api/events/demo/me/badge")["token"])
    open_app(page, "/events/demo/connections")
    expect(page.locator(".failed-reason")).to_have_count(1)  # Alex's own refusal

    # Alex signs out; someone else signs in on the same phone and opens the same badge.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#announcer")).to_contain_text("signed out")
    open_app(page, "/signin")
    sign_in_with_code(page, pages.server, other["email"])
    open_app(page, f"/B/{badge['token']}")
    expect(page.get_by_role("button", name="Save contact")).to_be_visible()
    assert "Secret" not in page.content()
    open_app(page, "/events/demo/connections")
    expect(page.get_by_role("heading", name="My connections", level=1)).to_be_visible()
    assert "Secret" not in page.content()
    expect(page.locator(".failed-reason")).to_have_count(0)
    expect(page.locator("#sync-status")).to_be_hidden()


QUEUE_UNREADABLE_AND_GOOD = """async ([token]) => {
  const outbox = await import("/js/outbox/queue.js");
  // Half an emoji (a lone surrogate) cannot be sent as JSON text: the server refuses the request.
  await outbox.queue({ kind: "tags", event: "demo", scanned: token, tags: ["ok", "bad\\ud83d"] });
  await outbox.queue({ kind: "scan", event: "demo", scanned: token });
  await outbox.flush();
}"""


def test_a_request_refused_whole_is_narrowed_to_the_operation_at_fault(pages: Pages) -> None:
    person, badge = badge_of_another_attendee(pages, 3)
    page = open_app(pages.new(ATTENDEE, language="en"), "/events/demo/connections")
    page.evaluate(QUEUE_UNREADABLE_AND_GOOD, [badge["token"]])
    wait_until(lambda: any(c["attendee"] == person["id"] for c in server_connections(page)), 10)
    open_app(page, "/events/demo/connections")
    expect(page.locator(".failed-what")).to_contain_text("Tags edit")
    expect(page.locator(".failed-reason")).to_have_text("Some of the information was not valid.")
    expect(page.locator("#sync-status")).not_to_contain_text("waiting")


def test_offline_a_badge_missing_from_the_saved_cards_can_still_be_saved(pages: Pages) -> None:
    person, badge = badge_of_another_attendee(pages, 5)
    # The person keeps their card off the offline directory.
    owner = open_app(pages.new(person["email"], language="en"), "/")
    response = owner.request.patch(
        "/api/events/demo/me", data={"offline_card": False}, headers=csrf_headers(owner)
    )
    assert response.ok, response.text()
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    wait_until(lambda: page.evaluate(DIRECTORY_SAVED) is True, 10)

    page.context.set_offline(True)
    open_app(page, f"/b/{badge['token']}?event=demo")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Saved cards don't include this badge"
    )
    assert person["name"] not in page.content()  # nothing on the phone tells who it is
    page.get_by_role("button", name="Save contact").click()
    expect(page.locator("#sync-status")).to_have_text("Changes for 1 person waiting to sync")

    page.context.set_offline(False)

    def synced() -> bool:
        return any(c["attendee"] == person["id"] for c in server_connections(page))

    wait_until(synced, 15)
    open_app(page, "/events/demo/connections")
    expect(page.get_by_role("heading", name=person["name"], exact=True)).to_be_visible()
    owner.request.patch(
        "/api/events/demo/me", data={"offline_card": True}, headers=csrf_headers(owner)
    )
