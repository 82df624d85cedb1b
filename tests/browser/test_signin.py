"""Signing in with the e-mailed code or link, and choosing the language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.harness import (
    ATTENDEE,
    ORGANIZER,
    STAFF,
    Pages,
    app_ready,
    mail_link,
    open_app,
    request_code,
    sign_in_with_code,
    wait_until,
)
from tests.browser.screens import api_get
from tests.browser.test_scanner import badge_of_another_attendee


def test_signing_in_with_the_emailed_code_shows_my_events(pages: Pages) -> None:
    page = open_app(pages.new(language="en"), "/signin")
    sign_in_with_code(page, pages.server, ATTENDEE)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your events")
    expect(page.get_by_role("heading", name="Enlace Demo 2026")).to_be_visible()
    expect(page.get_by_role("link", name="My profile")).to_have_attribute(
        "href", "/events/demo/profile"
    )
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_wrong_code_is_explained_next_to_the_code_field(pages: Pages) -> None:
    page = open_app(pages.new(language="en"), "/signin")
    request_code(page, STAFF)
    code = page.get_by_label("Code from the e-mail")
    code.fill("0000 0000")
    page.get_by_role("button", name="Sign in").click()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_contain_text("not right or has expired")
    expect(code).to_be_focused()


def test_switching_language_changes_the_text_and_html_lang_and_is_kept(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en"), "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your events")
    page.get_by_role("button", name=re.compile("^ES")).click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tus eventos")
    expect(page.get_by_role("link", name="Mi perfil")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^ES"))).to_have_attribute(
        "aria-pressed", "true"
    )
    wait_until(lambda: page.request.get("/api/me").json()["language"] == "es")
    page.reload()
    app_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tus eventos")
    page.get_by_role("button", name=re.compile("^EN")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your events")


def test_the_emailed_link_signs_in_only_after_a_click(pages: Pages) -> None:
    asking = open_app(pages.new(language="en"), "/signin")
    seen = len(pages.server.mails_to(STAFF))
    request_code(asking, STAFF)
    link = mail_link(pages.server.wait_for_new_mail(STAFF, seen))

    page = pages.new(language="en")
    page.goto(link.replace(pages.server.url, ""))
    app_ready(page)
    expect(page).to_have_url(re.compile(r"/signin$"))  # the token left the address bar
    button = page.get_by_role("button", name="Sign in")
    expect(button).to_be_visible()
    assert page.request.get("/api/me").status == 401  # opening the link alone signs nobody in
    button.click()
    app_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your events")
    expect(page.get_by_text("Check-in staff")).to_be_visible()


def test_a_used_link_asks_for_a_new_code(pages: Pages) -> None:
    asking = open_app(pages.new(language="en"), "/signin")
    seen = len(pages.server.mails_to(STAFF))
    request_code(asking, STAFF)
    link = mail_link(pages.server.wait_for_new_mail(STAFF, seen)).replace(pages.server.url, "")
    first = open_app(pages.new(language="en"), link)
    first.get_by_role("button", name="Sign in").click()
    expect(first.get_by_role("heading", level=1)).to_have_text("Your events")

    again = open_app(pages.new(language="en"), link)
    again.get_by_role("button", name="Sign in").click()
    expect(again.locator(".message-error")).to_contain_text("no longer works")
    expect(again.locator("input[type=email]")).to_be_visible()


def test_a_link_cut_short_by_the_mail_app_says_so_in_spanish_and_asks_for_a_code(
    pages: Pages,
) -> None:
    # Someone who has not asked for codes yet (the sign-in requests of one address are limited,
    # and the other tests here ask for staff's).
    organizer = open_app(pages.new(ORGANIZER, language="es"), "/")
    email = api_get(organizer, "/api/events/demo/attendees?limit=20")["items"][18]["email"]
    asking = open_app(pages.new(language="es"), "/signin")
    seen = len(pages.server.mails_to(email))
    request_code(asking, email)
    link = mail_link(pages.server.wait_for_new_mail(email, seen)).replace(pages.server.url, "")
    page = open_app(pages.new(language="es"), link[: link.index("#t=") + 13])
    page.get_by_role("button", name="Entrar").click()
    error = page.locator(".message-error")
    expect(error).to_contain_text("incompleto")
    expect(error).not_to_contain_text("Expected")
    expect(page.locator("input[type=email]")).to_be_visible()


def test_a_signed_out_visit_to_an_organizer_page_returns_there_after_sign_in(pages: Pages) -> None:
    page = open_app(pages.new(language="en"), "/organize/demo")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Forganize%2Fdemo$"))
    sign_in_with_code(page, pages.server, ORGANIZER)
    expect(page).to_have_url(re.compile(r"/organize/demo$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enlace Demo 2026")


def test_signing_out_ends_the_session_and_shows_the_signed_out_home(pages: Pages) -> None:
    page = open_app(pages.new(language="en"), "/signin")
    sign_in_with_code(page, pages.server, ATTENDEE)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meet the right people at your event")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    assert page.request.get("/api/me").status == 401


@pytest.mark.parametrize(
    ("language", "notice", "app_hint"),
    [
        ("en", "You scanned a badge", "Open the app and scan the badge"),
        ("es", "Has escaneado una acreditación", "Abre la aplicación y escanea"),
    ],
)
def test_a_badge_opened_in_a_browser_not_signed_in_says_why_and_comes_back_to_it(
    pages: Pages, language: str, notice: str, app_hint: str
) -> None:
    """As when an iPhone's Camera opens a badge in Safari, apart from the installed app."""
    person, badge = badge_of_another_attendee(pages, 3)
    reader, _ = badge_of_another_attendee(pages, 4 if language == "en" else 5)
    page = open_app(pages.new(language=language), f"/B/{badge['token']}")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2FB%2F"))
    expect(page.get_by_role("heading", level=2)).to_have_text(notice)
    expect(page.get_by_role("region", name=notice)).to_contain_text(app_hint)
    sign_in_with_code(page, pages.server, reader["email"])
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
