"""Badges in the app: my badge with a scannable QR, the page a QR opens, and printing."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.browser.harness import (
    ATTENDEE,
    ORGANIZER,
    Pages,
    app_ready,
    describe_violations,
    open_app,
    run_axe,
    screenshot,
    sign_in_with_code,
    wait_for_service_worker,
    wait_until,
)
from tests.browser.screens import UNKNOWN_BADGE, api_get, csrf_headers

# What a click on an in-app link does (app.js listens to popstate), without the network.
IN_APP_NAVIGATION = """(path) => {
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}"""


def decode_qr(element: Locator) -> str:
    """The text of the QR code drawn in `element`, read from a screenshot like a camera would."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(element.screenshot())))
    assert found, "no QR code found in the screenshot"
    return str(found[0].text)


def other_attendees(page: Page) -> list[dict[str, Any]]:
    """Demo attendees other than Alex, as the organizer of `page` lists them."""
    listed = api_get(page, "/api/events/demo/attendees?limit=20")["items"]
    return [person for person in listed if person["email"] != ATTENDEE]


def reissue(page: Page, attendee_id: int) -> dict[str, Any]:
    """Reissue a badge as the organizer of `page`; answers the new badge."""
    response = page.request.post(
        f"/api/events/demo/attendees/{attendee_id}/badge/reissue", headers=csrf_headers(page)
    )
    assert response.ok, response.text()
    badge: dict[str, Any] = response.json()
    return badge


def organizer_page(pages: Pages) -> Page:
    return open_app(pages.new(ORGANIZER, language="en"), "/")


def image_loaded(image: Locator) -> bool:
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def test_my_badge_shows_a_qr_that_scans_to_my_badge_url_also_offline(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    screenshot(page, "home-attendee-en-390")
    page.get_by_role("link", name="My badge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My badge")
    badge = api_get(page, "/api/events/demo/me/badge")

    qr = page.get_by_role("img", name="QR code of your badge")
    expect(qr).to_be_visible()
    assert decode_qr(qr) == badge["url"]
    expect(page.locator(".badge-code")).to_have_text(badge["code"])
    card = page.locator(".badge-card")
    expect(card).to_contain_text("Alex Rivera")
    expect(card).to_contain_text("Product manager")  # Alex shares the role
    expect(page.get_by_role("link", name="Download PNG")).to_have_attribute(
        "href", "/api/events/demo/me/badge.png"
    )
    screenshot(page, "badge-en-390")

    page.context.set_offline(True)
    page.reload()
    app_ready(page)
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("My badge")
    expect(qr).to_be_visible()
    assert decode_qr(qr) == badge["url"]
    expect(page.locator(".badge-code")).to_have_text(badge["code"])
    expect(card).to_contain_text("Alex Rivera")
    page.context.set_offline(False)


CACHED = """async (path) => {
  await fetch(path);
  const cache = await caches.open("enlace-api-v1");
  return (await cache.match(path)) !== undefined;
}"""


def test_the_offline_cache_keeps_the_badge_data_but_not_downloads(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    assert page.evaluate(CACHED, "/api/events/demo/me/badge") is True
    assert page.evaluate(CACHED, "/api/events/demo/me/badge.png") is False
    assert page.evaluate(CACHED, "/api/events/demo/me/badge.svg") is False


def test_full_screen_shows_the_badge_alone_until_closed(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/events/demo/badge")
    page.get_by_role("button", name="Full screen").click()
    close = page.get_by_role("button", name="Close full screen")
    expect(close).to_be_visible()
    expect(close).to_be_focused()
    expect(page.locator(".qr-box")).to_have_class(re.compile(r"\bis-full\b"))
    screenshot(page, "badge-fullscreen-en-390")
    close.click()
    expect(close).to_be_hidden()
    expect(page.get_by_role("button", name="Full screen")).to_be_focused()


def test_the_profile_links_to_my_badge(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="es"), "/events/demo/profile")
    page.get_by_role("link", name="Mostrar mi acreditación").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mi acreditación")
    expect(page.get_by_text("Código para teclear si el escaneo falla")).to_be_visible()


def test_a_badge_opened_signed_out_asks_to_sign_in_then_shows_the_card(pages: Pages) -> None:
    organizer = organizer_page(pages)
    scanned, visitor = other_attendees(organizer)[:2]
    token = reissue(organizer, scanned["id"])["token"]

    page = pages.new(language="en")
    page.goto(f"/B/{token}")
    app_ready(page)
    expect(page).to_have_url(re.compile(rf"/signin\?next=%2FB%2F{token}$"))
    sign_in_with_code(page, pages.server, visitor["email"])

    expect(page).to_have_url(re.compile(rf"/B/{token}$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(scanned["name"])
    expect(heading).to_be_focused()
    card = page.locator(".badge-card")
    expect(card).to_contain_text(scanned["organization"])
    expect(page.get_by_text("Attending Enlace Demo 2026")).to_be_visible()
    expect(page.get_by_text("This is your own badge.")).to_have_count(0)
    starters = page.get_by_role("region", name="What to talk about").get_by_role("listitem")
    expect(starters.first).to_contain_text("Why:")  # in the language the app shows
    assert 1 <= starters.count() <= 3
    screenshot(page, "connect-en-390")


def test_my_own_badge_opened_with_a_typed_code_says_it_is_mine(pages: Pages) -> None:
    page = pages.new(ATTENDEE, language="en")
    code = api_get(page, "/api/events/demo/me/badge")["code"]
    open_app(page, f"/b/{code.lower()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alex Rivera")
    expect(page.get_by_text("This is your own badge.")).to_be_visible()
    page.get_by_role("link", name="My badge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My badge")


def test_an_unknown_code_is_not_a_badge_of_your_events(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), f"/B/{UNKNOWN_BADGE}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This code is not a badge of your events"
    )
    expect(page.get_by_role("alert")).to_contain_text("no character is missing or wrong")
    open_app(page, "/b/not-a-badge")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This code is not a badge of your events"
    )


def test_a_badge_opened_offline_says_it_cannot_be_checked_now(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/")
    page.context.set_offline(True)
    # An in-app navigation: the app is loaded, only the badge lookup needs the network.
    page.evaluate(IN_APP_NAVIGATION, f"/B/{UNKNOWN_BADGE.replace('-', '')}")
    # Not among the cards saved on this phone: it can be saved to sync, or checked again later.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Saved cards don't include this badge"
    )
    expect(page.get_by_role("button", name="Save contact")).to_be_visible()
    page.context.set_offline(False)
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This code is not a badge of your events"
    )


def test_a_reissued_badge_says_it_was_replaced(pages: Pages) -> None:
    organizer = organizer_page(pages)
    person = other_attendees(organizer)[2]
    old_token = reissue(organizer, person["id"])["token"]

    # The organizer reissues it on the print screen, confirming in a dialog.
    open_app(organizer, "/")
    demo = organizer.locator(".card", has=organizer.get_by_role("heading", name="Enlace Demo 2026"))
    demo.get_by_role("link", name="Print badges").click()
    expect(organizer.get_by_role("heading", level=1)).to_have_text("Print badges")
    organizer.get_by_label("Only attendees matching").fill(person["email"])
    row = organizer.locator(".attendee-badges > li", has_text=person["name"])
    expect(organizer.locator(".attendee-badges > li")).to_have_count(1)
    row.get_by_role("button", name=f"Reissue badge of {person['name']}").click()
    dialog = organizer.get_by_role("dialog", name=f"Reissue the badge of {person['name']}?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("stops working at once")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    violations = run_axe(organizer)
    assert not violations, describe_violations(violations)
    screenshot(organizer, "print-reissue-dialog-en-390")
    dialog.get_by_role("button", name="Yes, reissue the badge").click()
    expect(dialog).to_be_hidden()
    expect(row.locator(".message-success")).to_contain_text("The old one no longer works.")

    page = open_app(pages.new(ATTENDEE, language="en"), f"/B/{old_token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("This badge was replaced")
    expect(page.get_by_role("alert")).to_contain_text("Ask the person for their current badge")


@pytest.mark.parametrize(
    ("language", "title", "said"),
    [
        ("en", "Phones may not open these badges", "that is this computer itself"),
        ("es", "Puede que los teléfonos no abran estas acreditaciones", "es este mismo ordenador"),
    ],
)
def test_the_print_screen_warns_when_phones_cannot_open_the_qr_address(
    pages: Pages, language: str, title: str, said: str
) -> None:
    # The test server's base URL is a loopback address, as `make run`'s default is.
    page = open_app(pages.new(ORGANIZER, language=language), "/organize/demo/badges")
    warning = page.get_by_role("alert").filter(has_text=title)
    expect(warning).to_contain_text(said)
    expect(warning).to_contain_text(pages.server.url)
    expect(warning).to_contain_text("ENLACE_BASE_URL")


def test_organizer_previews_and_prints_a_letter_pdf(pages: Pages, tmp_path: Path) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/organize/demo/badges")
    total = api_get(page, "/api/events/demo/attendees?limit=1")["total"]
    expect(page.get_by_text(f"Badges to print: {total}")).to_be_visible()
    preview = page.get_by_role("img", name="First sheet of badges: A4 with crop marks")
    wait_until(lambda: image_loaded(preview))

    page.get_by_role("radio", name="US Letter with crop marks").check()
    preview = page.get_by_role("img", name="First sheet of badges: US Letter with crop marks")
    expect(preview).to_have_attribute("src", re.compile(r"layout=letter"))
    wait_until(lambda: image_loaded(preview))
    screenshot(page, "print-en-390")

    page.get_by_role("button", name="Create PDF").click()
    progress = page.locator(".progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text(re.compile(rf"\d+ of {total} badges"))
    download_link = page.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    expect(download_link).to_be_focused()
    expect(page.locator("#main")).to_contain_text(
        f"The PDF is ready. Badges: {total}; paper: US Letter"
    )
    screenshot(page, "print-ready-en-390")
    with page.expect_download() as info:
        download_link.click()
    saved = tmp_path / "badges.pdf"
    info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")


def test_a_search_narrows_the_preview_and_the_single_badges(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="es"), "/organize/demo/badges")
    page.get_by_label("Solo las personas que coincidan con").fill("alex rivera")
    expect(page.get_by_text("Asistentes que coinciden: 1.")).to_be_visible()
    expect(page.locator("img.sheet-image")).to_have_attribute("src", re.compile(r"q=alex"))
    row = page.locator(".attendee-badges > li")
    expect(row).to_have_count(1)
    png_link = row.get_by_role("link", name="PNG de la acreditación de Alex Rivera")
    expect(png_link).to_have_attribute(
        "href", re.compile(r"/api/events/demo/attendees/\d+/badge\.png$")
    )
    png = page.request.get(str(png_link.get_attribute("href")))
    assert png.ok and png.body().startswith(b"\x89PNG")


def test_more_attendees_load_on_request_and_keep_the_keyboard_place(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/organize/demo/badges")
    rows = page.locator(".attendee-badges > li")
    expect(rows).to_have_count(20)
    page.get_by_role("button", name="Show more attendees").click()
    expect(rows).to_have_count(40)
    expect(rows.nth(20).get_by_role("heading", level=3)).to_be_focused()
