"""In WebKit: signing in with the e-mailed code or link, and choosing the language."""

from __future__ import annotations

from tests.browser.harness import ATTENDEE, PHONE, STAFF, mail_link
from tests.webkit.phone import Phone, wait_until


def test_signing_in_with_the_emailed_code_shows_my_events(phone: Phone) -> None:
    phone.choose_language("en").open("/signin")
    assert phone.js("return document.documentElement.clientWidth") == PHONE["width"]
    phone.sign_in_with_code(ATTENDEE)
    assert phone.path() == "/"
    assert phone.heading() == "Your events"
    phone.shows("main h3", "Enlace Demo 2026")
    assert phone.link("My profile").get_attribute("href").endswith("/events/demo/profile")
    assert phone.visible("#signout").text == "Sign out"
    assert phone.api("GET", "/api/me")["email"] == ATTENDEE


def test_the_emailed_link_signs_in_only_after_a_click(phone: Phone) -> None:
    phone.choose_language("en").open("/signin")
    seen = len(phone.server.mails_to(STAFF))
    phone.request_code(STAFF)
    link = mail_link(phone.server.wait_for_new_mail(STAFF, seen))

    phone.open(link.replace(phone.server.url, ""))
    assert phone.path() == "/signin"  # the token left the address bar
    assert phone.js("return fetch('/api/me').then((r) => r.status)") == 401  # not signed in yet
    phone.button("Sign in").click()
    wait_until(lambda: phone.path() == "/", what="back home")
    phone.ready()
    phone.shows("main h1", "Your events")
    phone.shows("main", "Check-in staff")
    assert phone.api("GET", "/api/me")["email"] == STAFF


def test_switching_language_changes_the_texts_and_is_kept(phone: Phone) -> None:
    phone.sign_in_as(ATTENDEE, language="en").open("/")
    assert phone.js("return document.documentElement.lang") == "en"
    assert phone.heading() == "Your events"
    phone.css("[data-language=es]").click()
    wait_until(lambda: phone.js("return document.documentElement.lang") == "es")
    phone.shows("main h1", "Tus eventos")
    assert phone.link("Mi perfil").is_displayed()
    assert phone.css("[data-language=es]").get_attribute("aria-pressed") == "true"
    assert phone.css("#signout").text == "Cerrar sesión"
    wait_until(lambda: phone.api("GET", "/api/me")["language"] == "es", what="saved as mine")
    phone.driver.refresh()
    phone.ready()
    assert phone.heading() == "Tus eventos"
    phone.css("[data-language=en]").click()
    phone.shows("main h1", "Your events")
    wait_until(lambda: phone.api("GET", "/api/me")["language"] == "en", what="saved back")
