"""In WebKit, through a real outage (the server stopped): a card opened from the phone's saved
cards, saved, shown as waiting, and synced exactly once when the server is back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.models import Attendee, Connection, Event
from tests.browser.harness import ATTENDEE, LiveServer, in_database
from tests.webkit.phone import Phone, someone_else, wait_until

DIRECTORY_SAVED = """const request = indexedDB.open("enlace-outbox");
const db = await new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});
const all = db.transaction("directories").objectStore("directories").getAll();
return await new Promise((resolve) => {
  all.onsuccess = () => resolve(all.result.some((saved) => saved.event === "demo"));
});"""
# The outbox retries with back-off (2, 4, 8, 16 s...) until the server answers again.
BACK_ONLINE_S = 60


@contextmanager
def outage(server: LiveServer) -> Iterator[None]:
    """The server stopped for the block's duration (started again however the block ends)."""
    server.stop()
    try:
        yield
    finally:
        if server.process is None:
            server.start()


def connections_between(server: LiveServer, owner_email: str, other_id: int) -> list[Any]:
    """The connection rows of `owner_email` (in the demo event) with attendee `other_id`."""
    owner = aliased(Attendee)

    async def rows(session: AsyncSession) -> list[Any]:
        found = await session.execute(
            select(Connection.scan_count, Connection.removed_at)
            .join(owner, owner.id == Connection.owner_id)
            .join(Event, Event.id == owner.event_id)
            .where(
                Event.slug == "demo", owner.email == owner_email, Connection.other_id == other_id
            )
        )
        return list(found.all())

    result: list[Any] = in_database(server.database_url, server.data_dir, rows)
    return result


def phone_ready_for_the_hall(phone: Phone) -> None:
    """Signed in, the app open, its service worker in control and the cards saved."""
    phone.sign_in_as(ATTENDEE).open("/")
    wait_until(
        lambda: phone.js("return navigator.serviceWorker.controller !== null"),
        15,
        "a service worker controls the page",
    )
    wait_until(lambda: phone.js_async(DIRECTORY_SAVED), 10, "the cards saved on the phone")


def open_card_by_typed_code(phone: Phone, person: dict[str, Any], badge: dict[str, Any]) -> None:
    phone.tap(phone.link("Scan a badge"))
    phone.shows("main h1", "Scan a badge")
    phone.css("input[name=badge-code]").send_keys(badge["code"])
    phone.button("Open the card").click()
    phone.shows("main h1", person["name"])


def test_in_an_outage_a_card_is_opened_saved_and_synced_once_when_the_server_is_back(
    phone: Phone,
) -> None:
    person, badge = someone_else(phone.server, 2)
    phone_ready_for_the_hall(phone)
    assert connections_between(phone.server, ATTENDEE, person["id"]) == []

    with outage(phone.server):  # the hall's Wi-Fi drops with the app open
        open_card_by_typed_code(phone, person, badge)
        phone.shows("main .message", "this card comes from the attendee list saved on this phone")
        phone.button("Save contact").click()
        phone.shows(".contact-status", "Saved on this phone, waiting to sync.")
        phone.shows("#sync-status", "Changes for 1 person waiting to sync")
        assert connections_between(phone.server, ATTENDEE, person["id"]) == []
        # Reloaded in the outage, the app comes from its service worker, the card from the phone.
        phone.driver.refresh()
        phone.ready()
        phone.shows("main h1", person["name"])
        phone.shows(".contact-status", "Saved on this phone, waiting to sync.")
        phone.server.start()  # back, on the same address and data

    wait_until(
        lambda: not phone.css("#sync-status").is_displayed(), BACK_ONLINE_S, "nothing waiting"
    )
    phone.shows(".contact-status", "Saved to your connections.")
    rows = connections_between(phone.server, ATTENDEE, person["id"])
    assert len(rows) == 1, rows
    assert rows[0].scan_count == 1 and rows[0].removed_at is None


ONLINE_STARTERS = """const [token] = args;
// Past the service worker's copy ("no-store"): the card offline must not come from it.
const response = await fetch(`/api/badges/${token}?lang=en`, { cache: "no-store" });
return (await response.json()).starters.map((starter) => starter.text);"""


def test_offline_card_shows_starters(phone: Phone) -> None:
    person, badge = someone_else(phone.server, 3)
    phone_ready_for_the_hall(phone)
    online = phone.js_async(ONLINE_STARTERS, badge["token"])
    assert online, "this person and Alex share nothing to start a conversation from"
    with outage(phone.server):
        open_card_by_typed_code(phone, person, badge)
        phone.shows(".starters h2", "What to talk about")
        offline = [starter.text for starter in phone.all(".starters .starter-text")]
        assert offline == online
