"""The organizer's attendees screen: paging through everyone, finding someone, one person's
registration and progress, correcting it, inviting again, reissuing the badge, removing."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.harness import ORGANIZER, Pages, open_app
from tests.browser.screens import api_get


def test_pages_of_fifty_and_a_search(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/organize/demo/attendees")
    total = api_get(page, "/api/events/demo/attendees?limit=1")["total"]
    status = page.get_by_role("status").filter(has_text="Attendees")
    expect(status).to_have_text(f"Attendees 1–50 of {total}")
    expect(page.locator(".attendee-list > li")).to_have_count(50)
    page.get_by_role("button", name="Next 50").click()
    expect(status).to_have_text(f"Attendees 51–100 of {total}")
    expect(page).to_have_url(re.compile(r"\?from=50$"))
    page.get_by_label("Find someone").fill("alex rivera")
    found = page.get_by_role("status").filter(has_text="Found")
    expect(found).to_have_text("Found: 1 (showing 1–1)")
    expect(page.get_by_role("button", name="Previous 50")).to_be_disabled()
    expect(page.get_by_role("link", name="Alex Rivera")).to_be_visible()


def test_one_person_corrected_invited_reissued_and_removed(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="es"), "/organize/demo/attendees")
    listed = api_get(page, "/api/events/demo/attendees?limit=20&offset=200")["items"]
    person = listed[0]
    page.goto(f"/organize/demo/attendees/{person['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
    code = page.locator(".facts .attendee-code")
    before = code.inner_text()
    # On a phone every value keeps room to be read (a long label once squeezed them to a letter
    # per line): each value gets at least a third of the list's width.
    squeezed = page.evaluate(
        """() => [...document.querySelectorAll('.facts')].flatMap((list) =>
          [...list.querySelectorAll('dd')].filter(
            (value) => value.getBoundingClientRect().width < list.getBoundingClientRect().width / 3
          ).map((value) => value.textContent))"""
    )
    assert squeezed == [], squeezed

    page.get_by_label("Organización").fill("Cooperativa Nueva")
    page.get_by_role("button", name="Guardar correcciones").click()
    expect(page.locator(".message-success")).to_contain_text("Guardado")
    assert api_get(page, f"/api/events/demo/attendees/{person['id']}")["organization"] == (
        "Cooperativa Nueva"
    )

    page.get_by_role("button", name=re.compile("^Enviar la invitación")).click()
    expect(page.locator(".message-success")).to_contain_text("en cola")
    expect(page.get_by_role("button", name="Enviar la invitación de nuevo")).to_be_visible()

    page.get_by_role("button", name="Reemitir acreditación").click()
    page.get_by_role("dialog").get_by_role("button", name="Reemitir acreditación").click()
    expect(page.locator(".message-success")).to_contain_text("Nueva acreditación emitida")
    expect(code).not_to_have_text(before)

    page.get_by_role("button", name="Quitar del evento").click()
    dialog = page.get_by_role("dialog").filter(has_text="¿Quitar a esta persona del evento?")
    dialog.get_by_role("button", name="Quitar del evento").click()
    expect(page).to_have_url(re.compile(r"/organize/demo/attendees$"))
    gone = page.request.get(f"/api/events/demo/attendees/{person['id']}")
    assert gone.status == 404
