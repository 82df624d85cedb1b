"""In WebKit: editing my profile and what a scan shares, and my badge with a QR that scans."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from tests.browser.harness import ATTENDEE
from tests.webkit.phone import Phone


def test_my_profile_and_what_i_share_are_saved_and_shown_after_a_reload(phone: Phone) -> None:
    phone.sign_in_as(ATTENDEE).open("/events/demo/profile")
    assert phone.heading() == "My profile"
    phone.fill("Organization", "Cooperativa Tejido Norte")
    phone.fill("Phone", "+34 600 123 456")
    phone.tap(phone.css("input[name=shared][value=phone]"))
    assert phone.css("input[name=shared][value=phone]").is_selected()
    if phone.css("input[name=shared][value=role]").is_selected():
        phone.tap(phone.css("input[name=shared][value=role]"))
    preview = ".badge-card"
    phone.shows(preview, "Cooperativa Tejido Norte")
    phone.shows(preview, "+34 600 123 456")
    phone.button("Save profile").click()
    phone.shows(".message-success", "Profile saved.")

    phone.driver.refresh()
    phone.ready()
    assert phone.labelled("Organization").get_attribute("value") == "Cooperativa Tejido Norte"
    assert phone.labelled("Phone").get_attribute("value") == "+34 600 123 456"
    assert phone.css("input[name=shared][value=phone]").is_selected()
    assert not phone.css("input[name=shared][value=role]").is_selected()
    saved = phone.api("GET", "/api/events/demo/me")
    assert saved["organization"] == "Cooperativa Tejido Norte"
    assert "phone" in saved["shared_fields"] and "role" not in saved["shared_fields"]


def test_my_badge_shows_a_qr_that_scans_to_my_badge_address(phone: Phone) -> None:
    phone.sign_in_as(ATTENDEE).open("/")
    phone.link("My badge").click()
    phone.shows("main h1", "My badge")
    badge = phone.api("GET", "/api/events/demo/me/badge")
    qr = phone.visible("[role=img][aria-label='QR code of your badge']")
    # The screen as the person holds it out (WebKitGTK's element screenshots come out shifted).
    phone.js("arguments[0].scrollIntoView({block: 'center'})", qr)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(phone.driver.get_screenshot_as_png())))
    assert found, "no QR code in the screenshot of the badge"
    assert found[0].text == badge["url"]
    phone.shows(".badge-code", badge["code"])
    phone.shows(".badge-card", "Alex Rivera")
