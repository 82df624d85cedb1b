"""WebKit, Safari's engine, for the tests: Debian's WebKitGTK under Xvfb, driven by Selenium."""

from __future__ import annotations

import os
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.webkitgtk.service import Service

from tests.browser.harness import ATTENDEE, ORGANIZER, PHONE, LiveServer
from tests.conftest import link_token, mail_code

WEBKIT_DRIVER = Path("/usr/bin/WebKitWebDriver")  # Debian's webkit2gtk-driver
MINIBROWSER = Path("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")  # libwebkit2gtk-4.1-0
XVFB = Path("/usr/bin/Xvfb")  # Debian's xvfb
REQUIRE_WEBKIT = os.environ.get("ENLACE_REQUIRE_WEBKIT") == "1"
TIMEOUT = 10.0


def require_webkit() -> None:
    missing = [str(path) for path in (WEBKIT_DRIVER, MINIBROWSER, XVFB) if not path.exists()]
    if not missing:
        return
    message = (
        f"WebKit tests need {', '.join(missing)} (apt-get install webkit2gtk-driver xvfb xauth)"
    )
    if REQUIRE_WEBKIT:
        pytest.fail(message)
    pytest.skip(message)


# MiniBrowser's window is never narrower than its toolbar (447 px with the default theme); with
# the toolbar's parts allowed to shrink, the page gets a phone's width.
NARROW_TOOLBAR_CSS = """
headerbar, toolbar, box, entry, button { min-width: 0; padding: 0; margin: 0; }
button image { -gtk-icon-transform: scale(0.4); }
entry { font-size: 4px; }
"""


@dataclass
class Desktop:
    display: str  # an Xvfb display, e.g. ":99"
    config_home: Path  # XDG_CONFIG_HOME for the browser: its GTK stylesheet


@contextmanager
def virtual_desktop(folder: Path) -> Iterator[Desktop]:
    """An X display of its own (Xvfb picks a free number) for the browser's windows."""
    (folder / "gtk-3.0").mkdir(parents=True, exist_ok=True)
    (folder / "gtk-3.0" / "gtk.css").write_text(NARROW_TOOLBAR_CSS)
    read_end, write_end = os.pipe()
    command = [str(XVFB), "-displayfd", str(write_end), "-screen", "0", "1280x1024x24"]
    xvfb = subprocess.Popen(  # noqa: S603 - a fixed system binary
        [*command, "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as announced:
            number = announced.readline().strip()
        if not number:
            pytest.fail("Xvfb did not start")
        yield Desktop(display=f":{number}", config_home=folder)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def start_webkit(desktop: Desktop) -> webdriver.WebKitGTK:
    """A fresh MiniBrowser under automation (its own empty storage), a phone-sized window."""
    options = webdriver.WebKitGTKOptions()
    options.binary_location = str(MINIBROWSER)
    options.add_argument("--automation")
    env = os.environ | {"DISPLAY": desktop.display, "XDG_CONFIG_HOME": str(desktop.config_home)}
    service = Service(executable_path=str(WEBKIT_DRIVER), env=env)
    with warnings.catch_warnings():
        # Selenium's own WebKitGTK driver hands its URL to RemoteConnection the deprecated way
        # (4.51); nothing here can pass it otherwise.
        warnings.filterwarnings(
            "ignore", "setting remote_server_addr in RemoteConnection", DeprecationWarning
        )
        driver = webdriver.WebKitGTK(options=options, service=service)
    driver.set_window_size(PHONE["width"], PHONE["height"])
    driver.set_script_timeout(TIMEOUT)
    return driver


# An async script: the last argument is WebDriver's callback; a thrown error comes back as text.
ASYNC_WRAPPER = """const done = arguments[arguments.length - 1];
const args = Array.prototype.slice.call(arguments, 0, -1);
(async (...args) => { %s })(...args).then(
  (value) => done({ value: value === undefined ? null : value }),
  (error) => done({ error: String(error && error.stack || error) }));"""


def xpath_text(text: str) -> str:
    """`text` as an XPath string literal (quotes in it included)."""
    if "'" not in text:
        return f"'{text}'"
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in text.split("'")) + ")"


def wait_until(
    condition: Callable[[], Any], timeout: float = TIMEOUT, what: str | Callable[[], str] = ""
) -> Any:
    """Poll `condition` until it answers something true, and answer that."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (NoSuchElementException, StaleElementReferenceException):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"not within {timeout} s: {said or condition}")
        time.sleep(0.1)


@dataclass
class Phone:
    """One WebKit window on the live server, with the steps a person takes on it."""

    driver: webdriver.WebKitGTK
    server: LiveServer

    # Reading the page.
    def js(self, script: str, *args: Any) -> Any:
        """Run `script` (a function body; `arguments` holds `args`) in the page."""
        return self.driver.execute_script(script, *args)

    def js_async(self, body: str, *args: Any) -> Any:
        """Await the async function body `body` (its arguments are `args`) in the page."""
        answer = self.driver.execute_async_script(ASYNC_WRAPPER % body, *args)
        assert "error" not in answer, answer["error"]
        return answer["value"]

    def css(self, selector: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def visible(self, selector: str, timeout: float = TIMEOUT) -> WebElement:
        """The first element matching `selector` once it is shown."""
        found: WebElement = wait_until(
            lambda: next((e for e in self.all(selector) if e.is_displayed()), None),
            timeout,
            f"{selector} shown",
        )
        return found

    def text_of(self, selector: str) -> str:
        return str(self.css(selector).text).strip()

    def shows(self, selector: str, text: str, timeout: float = TIMEOUT) -> None:
        """Wait until `selector` is shown and its text contains `text`."""
        wait_until(
            lambda: any(text in e.text for e in self.all(selector) if e.is_displayed()),
            timeout,
            lambda: f"{selector} showing {text!r}; it shows {[e.text for e in self.all(selector)]}",
        )

    def heading(self) -> str:
        return self.text_of("main h1")

    def button(self, name: str) -> WebElement:
        """The shown button whose text is `name`."""
        found: WebElement = wait_until(
            lambda: next(
                (
                    e
                    for e in self.driver.find_elements(
                        By.XPATH, f"//button[normalize-space()={xpath_text(name)}]"
                    )
                    if e.is_displayed() and e.is_enabled()
                ),
                None,
            ),
            what=f"button {name!r}",
        )
        return found

    def tap(self, element: WebElement) -> None:
        """Click `element` after scrolling it to the middle of the screen, clear of the bars
        stuck to the top and bottom (WebDriver would scroll it just into view, under them)."""
        self.js("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def link(self, name: str) -> WebElement:
        return self.driver.find_element(By.XPATH, f"//a[normalize-space()={xpath_text(name)}]")

    def labelled(self, name: str) -> WebElement:
        """The form control labelled `name`."""
        label = self.driver.find_element(By.XPATH, f"//label[normalize-space()={xpath_text(name)}]")
        return self.driver.find_element(By.ID, label.get_attribute("for"))

    def fill(self, name: str, text: str) -> None:
        control = self.labelled(name)
        control.clear()
        control.send_keys(text)

    # Moving around.
    def ready(self) -> None:
        """Until the app has booted and drawn a screen."""
        wait_until(
            lambda: self.js(
                "return document.documentElement.dataset.ready === 'true'"
                " && !!document.querySelector('main:not([aria-busy]) h1')"
            ),
            what="the app drawn",
        )

    def open(self, path: str) -> Phone:
        self.driver.get(self.server.url + path)
        self.ready()
        return self

    def path(self) -> str:
        return str(self.js("return location.pathname + location.search"))

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the API from the page, as the app would (its CSRF cookie and header)."""
        return self.js_async(
            """const [method, path, body] = args;
            const { api } = await import("/js/api.js");
            return await api(method, path, body === null ? undefined : body);""",
            method,
            path,
            body,
        )

    # Signing in.
    def sign_in_with_code(self, email: str) -> None:
        """On the sign-in screen: ask for a code, read it from the newest mail, type it."""
        seen = len(self.server.mails_to(email))
        self.request_code(email)
        self.fill("Code from the e-mail", mail_code(self.server.wait_for_new_mail(email, seen)))
        self.button("Sign in").click()
        wait_until(lambda: "/signin" not in self.path(), what="signed in")
        self.ready()

    def request_code(self, email: str) -> None:
        self.css("input[type=email]").send_keys(email)
        self.css("form button[type=submit]").click()
        self.visible("input[autocomplete='one-time-code']")

    def choose_language(self, language: str) -> Phone:
        """Keep `language` as this phone's choice (before the app first opens)."""
        self.driver.get(self.server.url + "/health")  # the origin, for its storage and cookies
        self.js("localStorage.setItem('enlace.language', arguments[0])", language)
        return self

    def sign_in_as(self, email: str, language: str = "en") -> Phone:
        """Signed in as `email` (through the sign-in screen once per run, then with the same
        session's cookies), with `language` as the phone's choice."""
        self.choose_language(language)
        if email not in self.server.signed_in:
            self.open("/signin")
            self.sign_in_with_code(email)
            self.server.signed_in[email] = self.driver.get_cookies()
            return self
        for cookie in self.server.signed_in[email]:
            self.driver.add_cookie(cookie)
        return self


@contextmanager
def organizer_api(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client signed in as the demo's organizer (by e-mailed link, once per run)."""
    key = f"http:{ORGANIZER}"
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        if key not in server.signed_in:
            client.get("/health").raise_for_status()  # the CSRF cookie
            client.headers["x-csrftoken"] = client.cookies["csrftoken"]
            seen = len(server.mails_to(ORGANIZER))
            client.post("/api/auth/request", json={"email": ORGANIZER}).raise_for_status()
            token = link_token(server.wait_for_new_mail(ORGANIZER, seen))
            client.post("/api/auth/verify-link", json={"token": token}).raise_for_status()
            server.signed_in[key] = {cookie.name: cookie.value for cookie in client.cookies.jar}
        client.cookies.clear()
        client.cookies.update(server.signed_in[key])
        client.headers["x-csrftoken"] = server.signed_in[key]["csrftoken"]
        yield client


def someone_else(server: LiveServer, nth: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `nth` demo attendee other than Alex, with a fresh badge (token, code, url)."""
    with organizer_api(server) as client:
        listed = client.get("/api/events/demo/attendees?limit=40").json()["items"]
        person: dict[str, Any] = [p for p in listed if p["email"] != ATTENDEE][nth]
        answer = client.post(f"/api/events/demo/attendees/{person['id']}/badge/reissue")
        answer.raise_for_status()
        badge: dict[str, Any] = answer.json()
    return person, badge
