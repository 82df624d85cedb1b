"""Scanning a badge: the camera reads a badge QR, typing the printed code, a blocked camera."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import qrcode
from PIL import Image
from playwright.sync_api import Page, expect

from api.badges import qr
from tests.browser.harness import (
    ATTENDEE,
    ORGANIZER,
    Pages,
    describe_violations,
    fake_camera_browser,
    open_app,
    run_axe,
    screenshot,
    wait_until,
    write_y4m,
)
from tests.browser.screens import api_get, csrf_headers

SCANNER = "/events/demo/scan"
FRAME = (640, 480)

# Counts the camera tracks the page holds open (an init script: it runs before the app, CSP or not).
TRACK_SPY = """(() => {
  const opened = [];
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    opened.push(stream);
    return stream;
  };
  window.liveCameraTracks = () =>
    opened.flatMap((stream) => stream.getTracks()).filter((track) => track.readyState === "live")
      .length;
})();"""
# What the browser does when the person switches apps or locks the phone.
SET_VISIBILITY = """(visibility) => {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => visibility });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def reissue(organizer: Page, person: dict[str, Any]) -> dict[str, Any]:
    """A fresh badge for `person`, reissued by the organizer of `organizer`."""
    response = organizer.request.post(
        f"/api/events/demo/attendees/{person['id']}/badge/reissue",
        headers=csrf_headers(organizer),
    )
    assert response.ok, response.text()
    badge: dict[str, Any] = response.json()
    return badge


def badge_of_another_attendee(
    pages: Pages, index: int, wanted: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A demo attendee other than Alex, and a fresh badge for them whose token matches `wanted`."""
    organizer = open_app(pages.new(ORGANIZER, language="en"), "/")
    listed = api_get(organizer, "/api/events/demo/attendees?limit=20")["items"]
    person = [someone for someone in listed if someone["email"] != ATTENDEE][index]
    badge = reissue(organizer, person)
    for _ in range(30):  # tokens are random: a few tries find one with a wanted character
        if re.search(wanted, badge["token"]):
            break
        badge = reissue(organizer, person)
    organizer.context.close()
    return person, badge


def on_white_frame(code: Image.Image) -> Image.Image:
    """`code` in the middle of a white camera frame."""
    frame = Image.new("L", FRAME, 255)
    frame.paste(code.convert("L"), ((FRAME[0] - code.width) // 2, (FRAME[1] - code.height) // 2))
    return frame


def camera_showing_badge(tmp_path: Path, url: str) -> Path:
    """A Y4M camera video of the badge QR for `url`, drawn by the app's own encoder."""
    frame = on_white_frame(qr.to_image(qr.encode(url), scale=8))
    return write_y4m(tmp_path / "badge.y4m", frame)


def camera_showing_text(tmp_path: Path, text: str) -> Path:
    """A Y4M camera video of an ordinary QR code holding `text`."""
    code = qrcode.QRCode(box_size=8, border=4)
    code.add_data(text)
    image = code.make_image().get_image()
    return write_y4m(tmp_path / "other.y4m", on_white_frame(image))


def typed_form(code: str) -> str:
    """`code` as a person might type it: lower case, spaces between groups, O for 0, l for 1."""
    return code.lower().replace("-", " ").replace("0", "o").replace("1", "l")


def scanner_page(pages: Pages, **options: Any) -> Page:
    return open_app(pages.new(ATTENDEE, language="en", **options), SCANNER)


def test_the_camera_reads_a_badge_and_opens_the_persons_card(pages: Pages, tmp_path: Path) -> None:
    person, badge = badge_of_another_attendee(pages, 5)
    video = camera_showing_badge(tmp_path, badge["url"])
    assert badge["url"].startswith("HTTP://127.0.0.1:")  # upper case, as printed

    with fake_camera_browser(video) as camera:
        page = scanner_page(pages, browser=camera, permissions=["camera"])
        expect(page).to_have_url(re.compile(rf"/b/{badge['token']}\?event=demo$"), timeout=15_000)
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text(person["name"])
        expect(heading).to_be_focused()
        starters = page.get_by_role("region", name="What to talk about").get_by_role("listitem")
        expect(starters.first).to_contain_text("Why:")
        screenshot(page, "scan-read-connect-en-390")
        page.context.close()


def test_a_qr_code_that_is_not_a_badge_is_answered_and_scanning_goes_on(
    pages: Pages, tmp_path: Path
) -> None:
    video = camera_showing_text(tmp_path, "https://example.org/hello")
    with fake_camera_browser(video) as camera:
        page = scanner_page(pages, browser=camera, permissions=["camera"])
        notice = page.locator(".scan-notice")
        expect(notice).to_contain_text("This QR code is not an Enlace badge", timeout=15_000)
        expect(notice).to_contain_text("It holds “https://example.org/hello”")
        expect(page.locator(".scanner-status")).to_have_text(
            "Camera on. Hold the QR code inside the frame."
        )
        page.wait_for_timeout(1_000)  # ~9 more frames read
        expect(page).to_have_url(re.compile(rf"{SCANNER}$"))
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        screenshot(page, "scan-not-a-badge-en-390")
        page.context.close()


def test_the_camera_shows_in_an_aim_frame_and_the_torch_only_where_there_is_one(
    pages: Pages,
) -> None:
    with fake_camera_browser() as camera:
        page = scanner_page(pages, browser=camera, permissions=["camera"])
        expect(page.locator(".scanner-status")).to_have_text(
            "Camera on. Hold the QR code inside the frame."
        )
        wait_until(lambda: page.locator("video").evaluate("video => video.videoWidth > 0"))
        expect(page.locator(".scanner-aim")).to_be_visible()
        # Chromium's fake camera has no torch, so there is no torch button.
        expect(page.get_by_role("button", name="Flashlight")).to_be_hidden()
        expect(page.get_by_role("button", name="Type the code")).to_be_in_viewport()
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        screenshot(page, "scan-camera-en-390")
        page.context.close()


def test_the_camera_is_released_when_the_page_is_hidden_or_left(pages: Pages) -> None:
    with fake_camera_browser() as camera:
        page = pages.new(ATTENDEE, language="en", browser=camera, permissions=["camera"])
        page.add_init_script(TRACK_SPY)
        open_app(page, SCANNER)
        wait_until(lambda: page.evaluate("liveCameraTracks()") == 1)

        page.evaluate(SET_VISIBILITY, "hidden")
        wait_until(lambda: page.evaluate("liveCameraTracks()") == 0)
        page.evaluate(SET_VISIBILITY, "visible")
        wait_until(lambda: page.evaluate("liveCameraTracks()") == 1)
        expect(page.locator(".scanner-status")).to_have_text(
            "Camera on. Hold the QR code inside the frame."
        )

        page.get_by_role("link", name="Enlace").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your events")
        wait_until(lambda: page.evaluate("liveCameraTracks()") == 0)
        page.context.close()


def test_a_blocked_camera_explains_how_to_allow_it_and_typing_still_works(pages: Pages) -> None:
    person, badge = badge_of_another_attendee(pages, 6)
    with fake_camera_browser() as camera:
        page = scanner_page(pages, browser=camera)  # camera permission not granted
        problem = page.locator(".scan-problem")
        expect(problem.get_by_role("heading", name="The camera is blocked")).to_be_visible()
        expect(problem).to_contain_text("set Camera to Allow")
        expect(problem.get_by_role("button", name="Try the camera again")).to_be_visible()
        expect(page.locator(".scanner-view")).to_be_hidden()
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        screenshot(page, "scan-denied-en-390")

        page.get_by_label("Code printed under the QR").fill(badge["code"])
        page.get_by_role("button", name="Open the card").click()
        expect(page).to_have_url(re.compile(rf"/b/{badge['token']}\?event=demo$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
        page.context.close()


def test_a_typed_code_in_lower_case_with_spaces_and_o_for_zero_opens_the_card(
    pages: Pages,
) -> None:
    # A token with a 0 or a 1, so the typed code can show the look-alike letters.
    person, badge = badge_of_another_attendee(pages, 5, wanted="[01]")
    typed = typed_form(badge["code"])
    assert re.search("[ol]", typed) and " " in typed

    page = scanner_page(pages)
    page.get_by_role("button", name="Type the code").click()
    code_field = page.get_by_label("Code printed under the QR")
    expect(code_field).to_be_focused()
    code_field.fill(typed)
    code_field.press("Enter")
    expect(page).to_have_url(re.compile(rf"/b/{badge['token']}\?event=demo$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(person["name"])
    expect(page.get_by_role("region", name="What to talk about")).to_be_visible()


def test_a_wrong_typed_code_says_what_is_wrong(pages: Pages) -> None:
    page = scanner_page(pages)
    code_field = page.get_by_label("Code printed under the QR")
    code_field.fill("7kq2-abcd")
    page.get_by_role("button", name="Open the card").click()
    error = page.locator(".field-error")
    expect(error).to_have_text(
        "A badge code has 28 letters and digits (7 groups of 4); this one has 8."
    )
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_be_focused()
    expect(page).to_have_url(re.compile(rf"{SCANNER}$"))
    screenshot(page, "scan-manual-error-en-390")

    code_field.fill("7KQ2-ABCU-EF34-GH56-JK78-MN9P-QRST")
    code_field.press("Enter")
    expect(error).to_have_text(
        "“U” is not used in badge codes: they have only the digits 0–9 and the letters A–Z "
        "except U."
    )
    code_field.fill("https://example.org/B/7KQ2")
    code_field.press("Enter")
    expect(error).to_contain_text("This link is not an Enlace badge.")


def test_the_home_card_and_my_badge_lead_to_the_scanner(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="es"), "/")
    page.get_by_role("link", name="Escanear una acreditación").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escanear una acreditación")
    expect(page.get_by_role("heading", name="No se ha encontrado ninguna cámara")).to_be_visible()
    open_app(page, "/events/demo/badge")
    page.get_by_role("link", name="Escanear una acreditación").click()
    expect(page).to_have_url(re.compile(rf"{SCANNER}$"))


def test_the_scanner_of_an_event_i_am_not_part_of_is_not_shown(pages: Pages) -> None:
    page = scanner_page(pages)
    open_app(page, "/events/no-such-event/scan")
    expect(page.get_by_role("heading", level=1)).to_have_text("This page could not be shown")
    expect(page.get_by_role("alert")).to_contain_text("This event does not exist")
