"""An attendee edits their profile and chooses what a badge scan reveals."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.harness import ATTENDEE, Pages, app_ready, open_app
from tests.browser.screens import api_get


def test_attendee_edits_profile_and_sharing_and_a_reload_shows_them(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/events/demo/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    page.get_by_role("textbox", name="Organization").fill("Cooperativa Tejido Norte")
    page.get_by_role("textbox", name="Phone").fill("+34 600 123 456")
    page.get_by_role("textbox", name="Links").fill("https://example.org/alex")
    interests = page.get_by_role("combobox", name="Interests", exact=True)
    interests.fill("Civic tech")
    interests.press("Enter")
    page.get_by_role("button", name="Remove Machine learning").click()
    page.get_by_role("checkbox", name="Phone").check()
    page.get_by_role("checkbox", name="Role or job title").uncheck()

    preview = page.locator(".badge-card")
    expect(preview).to_contain_text("Cooperativa Tejido Norte")
    expect(preview).to_contain_text("+34 600 123 456")
    expect(preview).to_contain_text("Civic tech")
    expect(preview).not_to_contain_text("Product manager")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".message-success")).to_have_text("Profile saved.")

    page.reload()
    app_ready(page)
    expect(page.get_by_role("textbox", name="Organization")).to_have_value(
        "Cooperativa Tejido Norte"
    )
    expect(page.get_by_role("textbox", name="Phone")).to_have_value("+34 600 123 456")
    expect(page.get_by_role("button", name="Remove Civic tech")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Machine learning")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Phone")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Role or job title")).not_to_be_checked()
    saved = api_get(page, "/api/events/demo/me")
    assert "phone" in saved["shared_fields"] and "role" not in saved["shared_fields"]
    assert saved["links"] == ["https://example.org/alex"]


def test_a_link_that_is_not_a_web_address_is_refused_next_to_the_field(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="es"), "/events/demo/profile")
    links = page.get_by_role("textbox", name="Enlaces")
    links.fill("mi-web.example")
    page.get_by_role("button", name="Guardar perfil").click()
    expect(links).to_have_attribute("aria-invalid", "true")
    expect(links).to_be_focused()
    expect(page.locator(".field-error")).to_contain_text("no es una dirección web")


def test_an_event_i_do_not_attend_shows_a_friendly_message(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/events/no-such-event/profile")
    expect(page.get_by_role("alert")).to_contain_text("does not exist, or you are not part of it")


def test_the_offline_card_can_be_turned_off_and_on(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/events/demo/profile")
    box = page.get_by_role(
        "checkbox", name="Let people who scan my badge see my card even without a network"
    )
    expect(box).to_be_checked()  # on unless turned off: only a scan of the badge opens it
    expect(box).to_have_accessible_description(re.compile("sealed copy"))
    box.uncheck()
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".message-success")).to_have_text("Profile saved.")
    page.reload()
    app_ready(page)
    expect(box).not_to_be_checked()
    assert api_get(page, "/api/events/demo/me")["offline_card"] is False
    box.check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".message-success")).to_have_text("Profile saved.")
    assert api_get(page, "/api/events/demo/me")["offline_card"] is True


def test_an_arabic_name_reads_right_to_left_on_the_card(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/events/demo/profile")
    page.get_by_role("textbox", name="Name", exact=True).fill("مريم الحسيني")
    name = page.locator(".badge-card .card-name")
    expect(name).to_have_text("مريم الحسيني")
    assert name.evaluate("el => getComputedStyle(el).direction") == "rtl"
    # Set against the card's right edge, as Arabic is read (the page itself stays left to right).
    box, card = name.evaluate(
        """el => {
          const range = document.createRange();
          range.selectNodeContents(el);
          return [range.getBoundingClientRect().right, el.getBoundingClientRect().right];
        }"""
    )
    assert card - box < 2, (box, card)
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    expect(page.locator(".badge-card .card-org")).to_have_attribute("dir", "auto")
    page.context.close()  # nothing saved: Alex keeps his name
