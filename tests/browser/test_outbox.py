"""The offline outbox: saving a contact and a note syncs once; rejections are listed."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.harness import ATTENDEE, Pages, open_app, wait_until
from tests.browser.screens import api_get
from tests.browser.test_scanner import badge_of_another_attendee

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
    assert all(c["scan_count"] >= 1 for c in server_connections(page))
