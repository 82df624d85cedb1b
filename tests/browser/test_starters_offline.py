"""Conversation starters offline: the app's engine gives the golden cases in the browser, and a
card opened from the phone's directory without a network shows the starters the server gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import (
    ATTENDEE,
    Pages,
    open_app,
    sign_in_with_code,
    wait_for_service_worker,
    wait_until,
)
from tests.browser.screens import api_get, csrf_headers
from tests.browser.test_scanner import badge_of_another_attendee

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = json.loads((ROOT / "tests" / "starters_golden.json").read_text(encoding="utf-8"))
PHRASES = json.loads((ROOT / "api" / "starters" / "phrases.json").read_text(encoding="utf-8"))

RUN_GOLDEN = """async ({ golden, phrases }) => {
  const { EventIndex, person, startersFor } = await import("/js/starters.js");
  return golden.cases.map((c) => {
    const { people, holders } = c;
    const index = new EventIndex({ vocabulary: golden.vocabulary, people, holders });
    const found = startersFor(person(c.reader), person(c.other), index, phrases, c.language);
    return found.map(({ text, reason }) => ({ text, reason }));
  });
}"""

CARDS_SAVED = """async () => {
  const { readAll } = await import("/js/outbox/storage.js");
  const saved = await readAll("directories");
  return saved.some((directory) => directory.event === "demo" && directory.entries.length);
}"""

KIT_SAVED = """async () => {
  const { readAll } = await import("/js/outbox/storage.js");
  return (await readAll("directories")).some((saved) => saved.event === "demo" && saved.kit);
}"""


def test_the_apps_engine_gives_each_golden_case(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/")
    found = page.evaluate(RUN_GOLDEN, {"golden": GOLDEN, "phrases": PHRASES})
    for case, starters in zip(GOLDEN["cases"], found, strict=True):
        assert starters == case["expected"], case["case"]


def shown_starters(page: Page) -> list[str]:
    expect(page.locator(".starter").first).to_be_visible()
    expect(page.locator(".starter .detail").first).to_contain_text(":")  # with its reason
    return page.locator(".starter .starter-text").all_inner_texts()


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_card_opened_offline_shows_the_starters_the_server_gives(
    pages: Pages, language: str
) -> None:
    person, badge = badge_of_another_attendee(pages, 2)
    page = open_app(pages.new(ATTENDEE, language=language, service_workers="allow"), "/")
    wait_for_service_worker(page)
    wait_until(lambda: page.evaluate(KIT_SAVED) is True, 10)  # kept while online
    # What the card view shows online (asked past the service worker, which would otherwise
    # answer the offline card view from its copy of this very answer).
    online = api_get(page, f"/api/badges/{badge['token']}?lang={language}")["starters"]
    assert {s["reason"]["kind"] for s in online} - {"organization", "role", "event"}  # shared

    page.context.set_offline(True)
    open_app(page, f"/B/{badge['token']}")
    expect(page.locator(".message").first).to_contain_text(
        "sin conexión" if language == "es" else "offline"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
    assert shown_starters(page) == [s["text"] for s in online]
    page.context.set_offline(False)


def test_signing_out_drops_my_terms_kept_for_starters_and_keeps_the_sealed_cards(
    pages: Pages,
) -> None:
    # A session of its own (signing out ends it on the server for every page that shares it).
    reader, _ = badge_of_another_attendee(pages, 8)
    page = open_app(pages.new(language="en"), "/signin")
    sign_in_with_code(page, pages.server, reader["email"])
    wait_until(lambda: page.evaluate(KIT_SAVED) is True, 10)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert page.evaluate(KIT_SAVED) is False
    assert page.evaluate(CARDS_SAVED) is True


@pytest.mark.parametrize("offline", [False, True])
def test_switching_language_on_a_card_redraws_its_starters_and_keeps_the_note(
    pages: Pages, offline: bool
) -> None:
    person, badge = badge_of_another_attendee(pages, 3)
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    wait_until(lambda: page.evaluate(KIT_SAVED) is True, 10)
    spanish = api_get(page, f"/api/badges/{badge['token']}?lang=es")["starters"]
    english = api_get(page, f"/api/badges/{badge['token']}?lang=en")["starters"]
    assert [s["text"] for s in spanish] != [s["text"] for s in english]

    page.context.set_offline(offline)
    open_app(page, f"/B/{badge['token']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
    assert shown_starters(page) == [s["text"] for s in english]
    if not offline:
        # Online, the save syncs while the note is being typed (held until then, so it does):
        # the form is redrawn when the focus leaves it, and what was typed must survive that.
        page.context.route("**/api/sync", lambda route: route.abort())
        page.get_by_role("button", name="Save contact").click()
        expect(page.get_by_label("Private note")).to_be_focused()  # where the next step is
        page.get_by_label("Private note").fill("Half-typed note")
        page.context.unroute("**/api/sync")
        page.evaluate("window.dispatchEvent(new Event('online'))")  # send what waits, now
        expect(page.locator(".contact-status")).to_have_text("Saved to your connections.")
    page.get_by_role("button", name="ES Español").click()
    expect(page.locator(".starter .starter-text").first).to_have_text(spanish[0]["text"])
    assert shown_starters(page) == [s["text"] for s in spanish]
    expect(page.get_by_role("heading", level=2, name="De qué hablar")).to_be_visible()
    if not offline:
        expect(page.get_by_label("Nota privada")).to_have_value("Half-typed note")
    page.context.set_offline(False)


@pytest.mark.parametrize("offline", [False, True])
def test_a_cards_interests_read_in_the_readers_language_and_follow_a_switch(
    pages: Pages, offline: bool
) -> None:
    person, badge = badge_of_another_attendee(pages, 5)
    # They typed their interests in Spanish, one of them a term of the event's vocabulary.
    owner = open_app(pages.new(person["email"], language="es"), "/")
    saved = owner.request.patch(
        "/api/events/demo/me",
        data={"interests": ["Captación de fondos", "Cerámica"], "shared_fields": ["interests"]},
        headers=csrf_headers(owner),
    )
    assert saved.ok, saved.text()
    owner.context.close()

    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    wait_until(lambda: page.evaluate(KIT_SAVED) is True, 10)
    wait_until(lambda: page.evaluate(CARDS_SAVED) is True, 10)
    page.context.set_offline(offline)
    open_app(page, f"/B/{badge['token']}")
    interests = page.locator(".badge-card .card-interests")
    expect(interests).to_contain_text("Fundraising")
    expect(interests).to_contain_text("Cerámica")
    expect(interests).not_to_contain_text("Captación")
    page.get_by_role("button", name="ES Español").click()
    expect(interests).to_contain_text("Captación de fondos")
    expect(interests).not_to_contain_text("Fundraising")
    if not offline:
        # My connections reads them the same way, and follows a switch too.
        page.get_by_role("button", name="Guardar contacto").click()
        expect(page.locator(".contact-status")).to_have_text("Guardado en tus contactos.")
        open_app(page, "/events/demo/connections")
        listed = (
            page.locator("li.connection").filter(has_text=person["name"]).locator(".card-interests")
        )
        expect(listed).to_contain_text("Captación de fondos")
        page.get_by_role("button", name="EN English").click()
        expect(listed).to_contain_text("Fundraising")
        expect(listed).not_to_contain_text("Captación")
        # And the follow-ups, whose labels speak of the other person.
        open_app(page, "/events/demo/followups")
        about = page.locator(".shared-fields").filter(has_text="Cerámica")
        expect(about).to_contain_text("Fundraising")
        page.get_by_role("button", name="ES Español").click()
        expect(about).to_contain_text("Captación de fondos")
    page.context.set_offline(False)
