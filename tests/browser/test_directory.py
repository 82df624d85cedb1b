"""The offline directory on the phone: fetched now and then, not on every card; deltas applied;
contacts kept by an older version of the app read by this one."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page, Request, Route, expect

from tests.browser.harness import ATTENDEE, Pages, app_ready, open_app, wait_until
from tests.browser.test_badges import IN_APP_NAVIGATION
from tests.browser.test_outbox import DIRECTORY_SAVED
from tests.browser.test_scanner import badge_of_another_attendee

DIRECTORY = "**/api/events/demo/directory*"

STORED = """async () => {
  const { readAll } = await import("/js/outbox/storage.js");
  const all = await readAll("directories");
  const [saved] = all.filter((directory) => directory.event === "demo");
  const keys = saved.entries.map((entry) => entry.key).sort();
  return { version: saved.version, etag: saved.etag, keys };
}"""

REFRESH_NOW = """async () => {
  const { refreshDirectory } = await import("/js/outbox/directory.js");
  await refreshDirectory("demo", { force: true });
}"""


def entry(key: str) -> dict[str, str]:
    return {"key": key, "nonce": "bm9uY2U", "box": f"box-{key}"}


def directory_answer(**fields: Any) -> dict[str, Any]:
    """A directory answer of the versioned contract (see directory.js), with `fields` in it."""
    base = {"event": "demo", "me": 1, "algorithm": "HMAC-SHA256/AES-256-GCM", "salt": "c2FsdA"}
    return base | {"key_bytes": 16, "entries": [], "removed": []} | fields


def test_the_card_view_does_not_fetch_the_directory_on_every_view(pages: Pages) -> None:
    (first, first_badge), (second, second_badge) = (
        badge_of_another_attendee(pages, 0),
        badge_of_another_attendee(pages, 1),
    )
    page = pages.new(ATTENDEE, language="en")
    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if "/api/" in request.url else None
    )
    open_app(page, "/")
    wait_until(lambda: page.evaluate(DIRECTORY_SAVED) is True, 10)

    for person, badge in ((first, first_badge), (second, second_badge), (first, first_badge)):
        page.evaluate(IN_APP_NAVIGATION, f"/B/{badge['token']}")
        expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
    page.reload()  # a fresh start within minutes uses the copy it has
    app_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(first["name"])
    page.evaluate(IN_APP_NAVIGATION, "/events/demo/scan")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    directory = [url for url in asked if "/directory" in url]
    assert len(directory) == 1, asked
    assert sum("/api/badges/" in url for url in asked) == 4  # four card views, one directory


def test_a_delta_is_applied_on_top_of_the_stored_directory(pages: Pages) -> None:
    page = pages.new(ATTENDEE, language="en")
    sent: list[Request] = []
    answers = [
        (200, directory_answer(version=1, full=True, entries=[entry("a"), entry("b")]), "v1"),
        (200, directory_answer(version=2, full=False, entries=[entry("c")], removed=["a"]), "v2"),
        (304, None, "v2"),
    ]

    def answer(route: Route) -> None:
        sent.append(route.request)
        status, body, etag = answers[min(len(sent), len(answers)) - 1]
        route.fulfill(
            status=status,
            headers={"ETag": etag, "Content-Type": "application/json"},
            body=json.dumps(body) if body is not None else "",
        )

    page.route(DIRECTORY, answer)
    open_app(page, "/")
    wait_until(lambda: page.evaluate(DIRECTORY_SAVED) is True, 10)
    assert page.evaluate(STORED) == {"version": 1, "etag": "v1", "keys": ["a", "b"]}

    page.evaluate(REFRESH_NOW)
    assert page.evaluate(STORED) == {"version": 2, "etag": "v2", "keys": ["b", "c"]}
    delta = sent[1]
    assert delta.url.endswith("/api/events/demo/directory?since=1")
    assert delta.headers.get("if-none-match") == "v1"

    page.evaluate(REFRESH_NOW)  # 304: nothing changed, everything kept
    assert sent[2].headers.get("if-none-match") == "v2"
    assert sent[2].url.endswith("?since=2")
    assert page.evaluate(STORED) == {"version": 2, "etag": "v2", "keys": ["b", "c"]}


def test_a_directory_from_a_server_without_versions_replaces_the_copy(pages: Pages) -> None:
    page = pages.new(ATTENDEE, language="en")
    old_shape = [
        directory_answer(entries=[entry("a"), entry("b")]),
        directory_answer(entries=[entry("b")]),  # "a" was revoked: absent from the next one
    ]
    served: list[int] = []

    def answer(route: Route) -> None:
        served.append(1)
        body = old_shape[min(len(served), len(old_shape)) - 1] | {}
        for name in ("version", "full", "removed"):
            body.pop(name, None)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(DIRECTORY, answer)
    open_app(page, "/")
    wait_until(lambda: page.evaluate(DIRECTORY_SAVED) is True, 10)
    page.evaluate(REFRESH_NOW)
    assert page.evaluate(STORED) == {"version": None, "etag": None, "keys": ["b"]}


REVOKED_LOOKUP = """async (token) => {
  const { lookUpOffline, refreshDirectory } = await import("/js/outbox/directory.js");
  await refreshDirectory("demo", { force: true });
  return (await lookUpOffline(token))?.card?.name ?? null;
}"""


def test_a_reissued_badge_drops_off_the_phone_at_the_next_refresh(pages: Pages) -> None:
    person, old = badge_of_another_attendee(pages, 2)
    page = open_app(pages.new(ATTENDEE, language="en"), "/")
    wait_until(lambda: page.evaluate(DIRECTORY_SAVED) is True, 10)
    assert page.evaluate(REVOKED_LOOKUP, old["token"]) == person["name"]
    _, new = badge_of_another_attendee(pages, 2)  # the old badge is revoked
    assert page.evaluate(REVOKED_LOOKUP, old["token"]) is None
    assert page.evaluate(REVOKED_LOOKUP, new["token"]) == person["name"]


# The outbox as version 2 of the app left it: a contact saved by scanning (keyed by badge), the
# same person edited from My connections (keyed by connection id), and writes waiting for both.
OLD_OUTBOX = """async ([account, token, attendee]) => {
  const request = indexedDB.open("enlace-outbox", 2);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore("ops", { keyPath: "seq", autoIncrement: true });
    db.createObjectStore("failed", { keyPath: "id" });
    db.createObjectStore("contacts", { keyPath: "key" });
    db.createObjectStore("directories", { keyPath: ["account", "event"] });
  };
  const db = await new Promise((resolve) => { request.onsuccess = () => resolve(request.result); });
  const tx = db.transaction(["ops", "contacts"], "readwrite");
  const scanned = `${account}|demo|${token}`;
  const edited = `${account}|demo|#999`;
  tx.objectStore("contacts").put({ key: scanned, account, event: "demo", token, attendee,
    card: { name: "Old record" }, note: "", note_revision: 0, tags: [],
    updatedAt: "2026-01-01T00:00:00Z" });
  tx.objectStore("contacts").put({ key: edited, account, event: "demo", connection: 999, attendee,
    card: { name: "Old record" }, note: "Edited later", note_revision: 0, tags: ["hiring"],
    updatedAt: "2026-01-02T00:00:00Z" });
  const op = (kind, extra) =>
    ({ id: crypto.randomUUID(), at: "2026-01-01T00:00:00Z", kind, event: "demo", ...extra });
  tx.objectStore("ops").add({ op: op("scan", { scanned: token }), contact: scanned, account });
  const tags = op("tags", { connection: 999, tags: ["hiring"] });
  tx.objectStore("ops").add({ op: tags, contact: edited, account });
  await new Promise((resolve) => { tx.oncomplete = resolve; });
  db.close();
}"""

AFTER_UPGRADE = """async () => {
  const { phoneContacts } = await import("/js/outbox/contacts.js");
  const { waitingWrites } = await import("/js/outbox/queue.js");
  const { contacts, pending } = await phoneContacts("demo");
  const ops = await waitingWrites();
  return {
    contacts: contacts.map(({ key, note, tags, token, connection }) =>
      ({ key, note, tags, token, connection })),
    pending: [...pending],
    kinds: ops.map((record) => record.op.kind),
  };
}"""


def test_a_new_version_reads_the_old_outbox_with_one_record_per_contact(pages: Pages) -> None:
    page: Page = pages.new(ATTENDEE, language="en")
    page.route(DIRECTORY, lambda route: route.abort())  # offline enough: nothing syncs meanwhile
    page.route("**/api/sync", lambda route: route.abort())
    page.goto("/health")  # same origin, no app yet: write the old version's store
    token = "0" * 28
    page.evaluate(OLD_OUTBOX, [ATTENDEE, token, 4242])
    open_app(page, "/")
    found = page.evaluate(AFTER_UPGRADE)
    key = f"{ATTENDEE}|demo|attendee:4242"
    assert found["contacts"] == [
        {"key": key, "note": "Edited later", "tags": ["hiring"], "token": token, "connection": 999}
    ]
    assert found["pending"] == [key]
    assert found["kinds"] == ["scan", "tags"]
    expect(page.locator("#sync-status")).to_have_text("Changes for 1 person waiting to sync")
