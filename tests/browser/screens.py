"""Shared steps of the browser tests: open each screen in a known state, call the API."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.harness import ATTENDEE, ORGANIZER, Pages, open_app, screenshot, wait_until

EVENTBRITE_CSV = (
    "Order #,First Name,Last Name,Email,Company,Job Title,Ticket Type\n"
    "1001,Ana,Pérez,ana@example.org,DataLab,Engineer,General\n"
    "1002,Luis,Gómez,luis@example.org,Acme,CTO,Speaker\n"
    "1003,Zoë,Smith,zoe@example.org,Acme,Designer,General\n"
    "1004,Kwame,Okafor,kwame@example.org,Globant,Student,General\n"
    "1005,Sin,Correo,,Acme,CTO,General\n"
).encode()
LEGACY_CSV = "Email;Nombre;Empresa\njose@example.org;José Muñoz;Compañía\n".encode("cp1252")


def unique_slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def csrf_headers(page: Page) -> dict[str, str]:
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return {"x-csrftoken": token}


def api_get(page: Page, path: str) -> Any:
    response = page.request.get(path)
    assert response.ok, f"GET {path}: {response.status} {response.text()}"
    return response.json()


def create_event(page: Page, name: str = "Expo Test", **values: Any) -> dict[str, Any]:
    """Create an event as the signed-in organizer of `page`, through the API."""
    payload = {
        "slug": unique_slug("expo"),
        "name": name,
        "starts_on": "2026-10-05",
        "ends_on": "2026-10-06",
        "timezone": "Europe/Madrid",
        "languages": ["es", "en"],
    } | values
    response = page.request.post("/api/events", data=payload, headers=csrf_headers(page))
    assert response.status == 201, response.text()
    return response.json()


def choose_file(page: Page, name: str, content: bytes) -> None:
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )


def check_file(page: Page) -> None:
    page.locator("form button[type=submit]").click()


# Screens for the accessibility and layout checks: name -> (who, language) and how to reach it.
SCREENS = [
    "signin",
    "home-signed-out",
    "home",
    "profile",
    "event-new",
    "event",
    "import-report",
    "badge",
    "connect",
    "connect-unknown",
    "print",
    "scan",
    "connections",
    "staff",
    "dashboard",
    "setup",
    "attendees",
    "attendee",
]
UNKNOWN_BADGE = "0000-0000-0000-0000-0000-0000-0000"


def show_screen(pages: Pages, name: str, language: str = "en", **options: Any) -> Page:
    """Open screen `name` in `language`, in the state the checks need, fully drawn."""
    if name == "signin":
        page = open_app(pages.new(language=language, **options), "/signin")
    elif name == "home-signed-out":
        page = open_app(pages.new(language=language, **options), "/")
    elif name == "home":
        page = open_app(pages.new(ORGANIZER, language=language, **options), "/")
    elif name == "profile":
        page = open_app(pages.new(ATTENDEE, language=language, **options), "/events/demo/profile")
    elif name == "event-new":
        page = open_app(pages.new(ORGANIZER, language=language, **options), "/organize/new")
    elif name == "event":
        page = open_app(pages.new(ORGANIZER, language=language, **options), "/organize/demo/edit")
    elif name == "import-report":
        page = pages.new(ORGANIZER, language=language, **options)
        open_app(page, "/")
        event = create_event(page)
        open_app(page, f"/organize/{event['slug']}/import")
        choose_file(page, "attendees.csv", EVENTBRITE_CSV)
        check_file(page)
        expect(page.locator(".report")).to_be_visible()
    elif name == "badge":
        page = open_app(pages.new(ATTENDEE, language=language, **options), "/events/demo/badge")
    elif name == "connect":
        page = pages.new(ATTENDEE, language=language, **options)
        token = api_get(page, "/api/events/demo/me/badge")["token"]
        open_app(page, f"/B/{token}")
    elif name == "connect-unknown":
        page = open_app(pages.new(ATTENDEE, language=language, **options), f"/b/{UNKNOWN_BADGE}")
    elif name == "scan":
        # The shared Chromium has no camera: the scanner says so and offers to type the code.
        page = open_app(pages.new(ATTENDEE, language=language, **options), "/events/demo/scan")
        expect(page.locator(".scan-problem")).to_be_visible()
    elif name == "connections":
        page = open_app(
            pages.new(ATTENDEE, language=language, **options), "/events/demo/connections"
        )
    elif name == "print":
        page = open_app(pages.new(ORGANIZER, language=language, **options), "/organize/demo/badges")
        expect(page.locator(".attendee-badges > li").first).to_be_visible()
        wait_until(lambda: page.locator("img.sheet-image").evaluate("img => img.complete"))
    elif name == "dashboard":
        page = open_app(pages.new(ORGANIZER, language=language, **options), "/organize/demo")
        expect(
            page.get_by_role("region", name=re.compile("Invitations|Invitaciones"))
        ).to_be_visible()
    elif name == "attendees":
        page = open_app(
            pages.new(ORGANIZER, language=language, **options), "/organize/demo/attendees"
        )
        expect(page.locator(".attendee-list > li").first).to_be_visible()
    elif name == "attendee":
        page = pages.new(ORGANIZER, language=language, **options)
        someone = api_get(page, "/api/events/demo/attendees?limit=1")["items"][0]
        open_app(page, f"/organize/demo/attendees/{someone['id']}")
    elif name == "setup":
        page = open_app(pages.new(ATTENDEE, language=language, **options), "/events/demo/setup")
    elif name == "staff":
        page = open_app(pages.new(ORGANIZER, language=language, **options), "/organize/demo/staff")
    else:  # pragma: no cover - a typo in a test
        raise ValueError(name)
    screenshot(
        page, f"{name}-{language}-{page.viewport_size['width'] if page.viewport_size else 0}"
    )
    return page
