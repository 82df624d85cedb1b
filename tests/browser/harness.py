"""Helpers for the browser tests: the live server, one shared Chromium, sign-in, axe and layout."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.conftest import mail_code, make_settings, read_outbox, run_coroutine, run_in_db, wipe

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ENLACE = Path(sys.executable).with_name("enlace")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REQUIRE_BROWSER = os.environ.get("ENLACE_REQUIRE_BROWSER") == "1"
SHOTS_DIR = os.environ.get("ENLACE_SCREENSHOTS")  # a folder: keep phone-size screenshots there
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
ORGANIZER = "organizadora@example.org"
STAFF = "staff@example.org"
ATTENDEE = "asistente@example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    pwa_dir: Path  # the server's own copy of pwa/, so a test can deploy a new version
    database_url: str
    env: dict[str, str] = field(default_factory=dict, repr=False)  # what `enlace serve` runs with
    signed_in: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """`enlace serve` on this server's port, database and data, once it answers /health."""
        port = self.url.rsplit(":", 1)[1]
        log_path = self.data_dir / "server.log"
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                [str(ENLACE), "serve", "--port", port],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_until_healthy(self.url, self.process, log_path)

    def stop(self) -> None:
        """Stop the server process: for the phones using it, a real outage (no browser flag)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def run_jobs(self) -> None:
        """Run the due scheduled jobs once (send queued mail...), as `enlace worker --once`."""
        env = os.environ | {
            "DATABASE_URL": self.database_url,
            "ENLACE_DATA_DIR": str(self.data_dir),
            "ENLACE_BASE_URL": self.url,
        }
        done = subprocess.run(  # noqa: S603 - our own command
            [str(ENLACE), "worker", "--once"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def mails_to(self, email: str) -> list[str]:
        return read_outbox(self.data_dir / "outbox", email)

    def wait_for_new_mail(self, email: str, seen: int, timeout: float = 10.0) -> str:
        """The newest mail for `email` once more than `seen` have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = self.mails_to(email)
            if len(mails) > seen:
                return mails[-1]
            time.sleep(0.1)
        raise AssertionError(f"no new sign-in mail for {email} in {self.data_dir / 'outbox'}")


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"enlace serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"enlace serve did not answer /health within 60 s:\n{log.read_text()}")


@contextmanager
def live_server_on(database_url: str, data_dir: Path) -> Iterator[LiveServer]:
    """`enlace serve` on a free port over an emptied database holding the demo event."""
    run_coroutine(wipe(database_url, data_dir))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    pwa_dir = data_dir / "pwa"
    shutil.rmtree(pwa_dir, ignore_errors=True)
    shutil.copytree(ROOT / "pwa", pwa_dir)
    env = os.environ | {
        "ENLACE_PWA_DIR": str(pwa_dir),
        "DATABASE_URL": database_url,
        "ENLACE_DATA_DIR": str(data_dir),
        "ENLACE_BASE_URL": url,
        "PORT": str(port),
        # No job loop of its own: the server shares its database with the tests that run while it
        # lives, and a loop there would send (and claim jobs) under them. A test that wants the
        # jobs run asks for it (`run_jobs`).
        "ENLACE_JOBS": "0",
    }
    demo = subprocess.run(  # noqa: S603 - our own command
        [str(ENLACE), "demo"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if demo.returncode != 0:
        pytest.fail(f"enlace demo failed:\n{demo.stdout}\n{demo.stderr}")
    (data_dir / "server.log").unlink(missing_ok=True)
    server = LiveServer(
        url=url, data_dir=data_dir, pwa_dir=pwa_dir, database_url=database_url, env=env
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


class BrowserPool:
    """One Chromium shared by the browser tests of one database run.

    Playwright's sync API keeps an event loop running in this thread, so the pool is stopped
    whenever the next test is not a browser test on the same database: async tests and the
    database fixtures need the thread's loop to themselves.
    """

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    def start(self) -> Playwright:
        if self.playwright is None:
            self.playwright = sync_playwright().start()
        return self.playwright

    def get(self) -> Browser:
        if self.browser is None:
            self.browser = self.start().chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
        return self.browser

    def stop(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        if self.playwright is not None:
            self.playwright.stop()
            self.playwright = None


POOL = BrowserPool()


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if REQUIRE_BROWSER:
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Pages:
    """Opens browser contexts against the live server and closes them after the test."""

    browser: Browser
    server: LiveServer
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def new(
        self,
        email: str | None = None,
        *,
        language: str | None = None,
        locale: str = "es-ES",
        viewport: dict[str, int] | None = None,
        service_workers: str = "block",
        browser: Browser | None = None,
        permissions: list[str] | None = None,
    ) -> Page:
        """A fresh page, signed in as `email` (through the real sign-in screen, once per run),
        with `language` saved as the person's own choice when given; in `browser` (e.g. one
        with a fake camera) instead of the shared one, granted `permissions` (e.g. "camera")."""
        state = sign_in_state(self, email) if email else None
        if language:
            state = state or {"cookies": []}
            saved = [{"name": "enlace.language", "value": language}]
            state["origins"] = [{"origin": self.server.url, "localStorage": saved}]
        context = (browser or self.browser).new_context(
            base_url=self.server.url,
            viewport=viewport or PHONE,
            locale=locale,
            storage_state=state,
            service_workers=service_workers,  # type: ignore[arg-type]
            permissions=permissions,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        watch(page, self.problems)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def watch(page: Page, problems: list[str]) -> None:
    """Collect uncaught script errors and Content-Security-Policy refusals of `page`."""
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def console(message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(f"CSP: {message.text}")

    page.on("console", console)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `condition` (the page's CSP forbids the eval that page.wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.1)


def wait_for_service_worker(page: Page) -> None:
    """Until a service worker controls the page (after install, activate and clients.claim)."""
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    wait_until(lambda: page.evaluate("() => navigator.serviceWorker.controller !== null"), 15)


def app_ready(page: Page) -> None:
    page.wait_for_selector("html[data-ready='true']")
    page.wait_for_selector("main:not([aria-busy]) h1")


def open_app(page: Page, path: str) -> Page:
    page.goto(path)
    app_ready(page)
    return page


def mail_link(message: str) -> str:
    found = re.search(r"https?://\S+/signin#t=[A-Za-z0-9_-]+", message)
    assert found, message
    return found.group(0)


def request_code(page: Page, email: str) -> None:
    """On the sign-in screen: type the address and ask for a code."""
    page.locator("input[type=email]").fill(email)
    page.locator("form button[type=submit]").click()
    page.locator("input[autocomplete='one-time-code']").wait_for()


def sign_in_with_code(page: Page, server: LiveServer, email: str) -> None:
    """Ask for a code on the sign-in screen, read it from the newest mail, type it."""
    seen = len(server.mails_to(email))
    request_code(page, email)
    page.locator("input[autocomplete='one-time-code']").fill(
        mail_code(server.wait_for_new_mail(email, seen))
    )
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/signin)"))
    app_ready(page)


def sign_in_state(pages: Pages, email: str) -> Any:
    """Cookies of a session for `email`, made once per database run through the sign-in screen."""
    if email not in pages.server.signed_in:
        context = pages.browser.new_context(
            base_url=pages.server.url, viewport=PHONE, service_workers="block"
        )
        try:
            page = context.new_page()
            open_app(page, "/signin")
            sign_in_with_code(page, pages.server, email)
            state = context.storage_state()
            state["origins"] = []  # no saved language: each test picks its own
            pages.server.signed_in[email] = state
        finally:
            context.close()
    return json.loads(json.dumps(pages.server.signed_in[email]))


def write_y4m(path: Path, frame: Image.Image, seconds: float = 2.0, fps: int = 10) -> Path:
    """A Y4M video (4:2:0) showing `frame` still, for Chromium's fake camera (which loops it)."""
    gray = frame.convert("L")
    width, height = gray.size
    chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)  # no colour: U and V at the middle
    picture = b"FRAME\n" + gray.tobytes() + chroma
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(max(1, round(seconds * fps))):
            out.write(picture)
    return path


@contextmanager
def fake_camera_browser(video: Path | None = None) -> Iterator[Browser]:
    """A Chromium of its own whose camera plays `video` (Y4M; a test pattern when None).

    The camera permission is not granted by a prompt here: a context granted "camera" gets the
    stream, any other is refused at once, as when a person blocks the camera.
    """
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"]
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    browser = POOL.start().chromium.launch(executable_path=str(CHROMIUM), args=args)
    try:
        yield browser
    finally:
        browser.close()


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # page.add_script_tag inlines the file, which the page's CSP rightly refuses;
        # DevTools evaluation is not subject to it.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in results if v.get("impact") in {"serious", "critical"}]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)


# Elements wider than the viewport, except inside a container that scrolls them (wide tables).
OVERFLOW_SCRIPT = """
() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(node).overflowX)) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (!box.width || el.closest(".visually-hidden, .skip-link") || clipped(el)) continue;
    if (box.right > width + 1 || box.left < -1) {
      const name = `${el.tagName.toLowerCase()}.${el.className}`;
      wide.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
  }
  return { width, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 10) };
}
"""


def horizontal_overflow(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(OVERFLOW_SCRIPT)
    return result


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page picture when ENLACE_SCREENSHOTS names a folder (for a person to look at)."""
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


def in_database(database_url: str, folder: Path, work: Any) -> Any:
    """Run `work(session)` on the live server's database, committed (to set up or check what
    the browser cannot see)."""
    return run_coroutine(run_in_db(make_settings(database_url, folder), work))
