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
    wait_for_service_worker,
    wait_until,
)
from tests.browser.screens import api_get
from tests.browser.test_scanner import badge_of_another_attendee, camera_showing_badge

QUEUE_OWN_SCAN = """async (token) => {
  const outbox = await import("/js/outbox.js");
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
        found = server_connections(page)
        return len(found) == 1 and found[0]["note"] == "Talk about the pilot"

    wait_until(synced, 10)
    assert server_connections(page)[0]["attendee"] == person["id"]


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
  const get = db.transaction("directories").objectStore("directories").get("demo");
  return await new Promise((resolve) => { get.onsuccess = () => resolve(Boolean(get.result)); });
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
    expect(page.locator("#sync-status")).to_have_text("1 waiting to sync")
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
        expect(page).to_have_url(re.compile(rf"/b/{badge['token']}$"), timeout=15_000)
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
