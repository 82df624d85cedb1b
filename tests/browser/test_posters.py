"""An organizer prints the QR posters for the doors of an event's rooms."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.harness import (
    ORGANIZER,
    Pages,
    describe_violations,
    horizontal_overflow,
    open_app,
    run_axe,
    screenshot,
)
from tests.browser.screens import create_event

LONG_ROOM = "Auditorio Principal del Edificio de Ciencias Exactas y Naturales, planta baja"
SESSIONS = [
    {
        "title": "Apertura",
        "room": "Sala A",
        "starts_at": "2026-10-05T09:00:00",
        "ends_at": "2026-10-05T09:45:00",
    },
    {
        "title": "Open data across twenty countries: interoperable registries",
        "room": LONG_ROOM,
        "starts_at": "2026-10-05T11:00:00",
        "ends_at": "2026-10-05T12:00:00",
    },
    {
        "title": "Cierre",
        "room": "Sala A",
        "starts_at": "2026-10-06T17:00:00",
        "ends_at": "2026-10-06T18:00:00",
    },
]


def test_organizer_lists_rooms_chooses_day_and_paper_and_downloads_the_posters(
    pages: Pages,
) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/")
    event = create_event(page, "Expo Carteles", sessions=SESSIONS)
    slug = event["slug"]
    open_app(page, f"/organize/{slug}/posters")
    expect(page.get_by_role("heading", level=1)).to_have_text("Room posters")
    rooms = page.locator(".cards > li")
    expect(rooms).to_have_count(2)
    expect(rooms.nth(0).get_by_role("heading")).to_have_text(LONG_ROOM)
    expect(rooms.nth(1)).to_contain_text("09:00–09:45 Apertura")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)

    page.get_by_label("Sessions of the day").select_option("2026-10-06")
    expect(rooms.nth(1)).to_contain_text("17:00–18:00 Cierre")
    expect(rooms.nth(0)).to_contain_text("No sessions in this room on this day")
    page.get_by_label("US Letter").check()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download posters (PDF)").click()
    assert download.value.suggested_filename == f"posters-{slug}-2026-10-06-letter.pdf"
    path = download.value.path()
    assert path.read_bytes().startswith(b"%PDF-")

    # The same screen on a narrow phone with the text doubled: nothing runs off the side.
    page.set_viewport_size({"width": 320, "height": 640})
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.wait_for_timeout(50)
    screenshot(page, "posters-en-320-text-200")
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert not layout["wide"], layout


def test_an_event_without_rooms_says_how_to_add_them(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="es"), "/")
    event = create_event(page, "Expo Sin Salas")
    open_app(page, f"/organize/{event['slug']}/posters")
    expect(page.get_by_role("heading", level=1)).to_have_text("Carteles de las salas")
    expect(page.get_by_text("El programa aún no tiene salas")).to_be_visible()
    expect(page.get_by_role("link", name="Editar el programa")).to_have_attribute(
        "href", f"/organize/{event['slug']}/edit"
    )
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
