"""Check-in mode: the staff scanner answers every outcome, offline check-ins sync once, and an
attendee checks in to a session by a room's poster."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.badges import qr
from api.badges.tokens import new_token
from api.models import Badge, Checkin, Event, EventSession, Poster
from tests.browser.harness import (
    ATTENDEE,
    STAFF,
    Pages,
    describe_violations,
    fake_camera_browser,
    horizontal_overflow,
    in_database,
    open_app,
    run_axe,
    screenshot,
    wait_for_service_worker,
    wait_until,
)
from tests.browser.screens import api_get
from tests.browser.test_scanner import badge_of_another_attendee, on_white_frame, reissue

CHECKIN = "/events/demo/checkin"
FPS = 10
# Every answer the screen gives, recorded as it appears (the answer hides after a few seconds).
RECORD_ANSWERS = """(() => {
  window.checkinAnswers = [];
  new MutationObserver(() => {
    const shown = document.querySelector(".checkin-result:not([hidden]) .checkin-outcome");
    const text = shown?.textContent;
    if (text && window.checkinAnswers.at(-1) !== text) window.checkinAnswers.push(text);
    if (!shown && window.checkinAnswers.at(-1) !== "") window.checkinAnswers.push("");
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();"""


def write_frames(path: Path, scenes: list[tuple[Image.Image, float]]) -> Path:
    """A Y4M video (4:2:0, grey) showing each image for its seconds, for the fake camera."""
    first = scenes[0][0]
    width, height = first.size
    chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for image, seconds in scenes:
            picture = b"FRAME\n" + image.convert("L").tobytes() + chroma
            for _ in range(round(seconds * FPS)):
                out.write(picture)
    return path


def badge_frame(url: str) -> Image.Image:
    return on_white_frame(qr.to_image(qr.encode(url), scale=8))


def assert_fits(page: Page) -> None:
    page.wait_for_timeout(50)
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= layout["width"] and not layout["wide"], layout


def expect_everyone_on_the_phone(page: Page) -> None:
    """The phone says it holds the whole list: everyone the event has now (other tests add and
    remove people, so the number is read, not assumed)."""
    people = len(api_get(page, "/api/events/demo/checkin/list")["people"])
    assert people > 100
    expect(page.get_by_text(f"List of {people} people on this phone")).to_be_visible()


def staff_page(pages: Pages, **options: Any) -> Page:
    return open_app(pages.new(STAFF, language="en", **options), CHECKIN)


def test_the_staff_scanner_answers_each_outcome_at_a_glance(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    first, first_badge = badge_of_another_attendee(pages, 10)
    second, replaced = badge_of_another_attendee(pages, 11)
    _, gone = badge_of_another_attendee(pages, 12)
    organizer = open_app(pages.new("organizadora@example.org", language="en"), "/")
    reissue(organizer, second)  # `replaced` no longer opens anything

    async def leave_event(session: AsyncSession) -> None:
        # The person left: their badge stays, emptied (as when an attendee is deleted).
        await session.execute(
            update(Badge).where(Badge.token == gone["token"]).values(attendee_id=None)
        )

    in_database(database_url, tmp_path, leave_event)
    blank = Image.new("L", (640, 480), 255)
    video = write_frames(
        tmp_path / "door.y4m",
        [
            (badge_frame(first_badge["url"]), 1.0),
            (blank, 4.0),
            (badge_frame(first_badge["url"]), 1.0),  # the same person again: already
            (blank, 1.0),
            (badge_frame(replaced["url"]), 1.0),
            (blank, 1.0),
            (badge_frame(f"{pages.server.url}/B/{new_token()}".upper()), 1.0),
            (blank, 1.0),
            (badge_frame(gone["url"]), 1.0),
            (blank, 1.0),
        ],
    )
    with fake_camera_browser(video) as camera:
        page = pages.new(STAFF, language="en", browser=camera, permissions=["camera"])
        page.add_init_script(RECORD_ANSWERS)
        open_app(page, CHECKIN)
        expect_everyone_on_the_phone(page)
        page.get_by_label("Entrance").check()
        page.get_by_role("button", name="Start scanning").click()
        expect(page.locator(".checkin-here")).to_have_text("Checking in at: Entrance")

        expect(page.locator(".checkin-result")).to_contain_text(first["name"], timeout=15_000)
        expect(page.locator(".checkin-result")).to_have_class("checkin-result checkin-good")
        screenshot(page, "checkin-checked-in-en-390")
        wanted = [
            "Checked in",
            "Already checked in",
            "Replaced badge",
            "Unknown badge",
            "No longer in the event",
        ]
        wait_until(lambda: set(wanted) <= set(page.evaluate("window.checkinAnswers")), 40)
        answers = [a for a in page.evaluate("window.checkinAnswers") if a]
        assert answers[:5] == wanted
        expect(page.get_by_role("heading", name="Checked in on this phone")).to_be_visible()
        page.context.close()


def test_a_restricted_session_answers_not_registered(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    async def restricted(session: AsyncSession) -> None:
        event = await session.scalar(select(Event).where(Event.slug == "demo"))
        assert event is not None
        now = datetime.now(UTC)
        session.add(
            EventSession(
                event_id=event.id,
                title="Taller solo con inscripción",
                room="Sala Cerrada",
                starts_at=now,
                ends_at=now + timedelta(hours=1),
                restricted=True,
            )
        )

    in_database(database_url, tmp_path, restricted)
    page = open_app(pages.new(STAFF, language="en"), CHECKIN)
    page.get_by_label("Taller solo con inscripción").check()
    page.get_by_role("button", name="Start scanning").click()
    page.get_by_label("Name or organization").fill("a")
    page.locator(".checkin-matches li").first.get_by_role("button", name="Check in").click()
    result = page.locator(".checkin-result")
    expect(result).to_contain_text("Not registered for this session")
    expect(result).to_contain_text("Only registered people may attend this session")
    expect(result).to_have_class("checkin-result checkin-bad")
    page.context.close()


def test_a_check_in_made_offline_by_name_syncs_once_and_can_be_undone(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    person = api_get(
        open_app(pages.new("organizadora@example.org", language="en"), "/"),
        "/api/events/demo/attendees?limit=20",
    )["items"][12]
    page = staff_page(pages, service_workers="allow")
    wait_for_service_worker(page)
    expect_everyone_on_the_phone(page)
    page.get_by_role("button", name="Start scanning").click()

    page.context.set_offline(True)
    page.get_by_label("Name or organization").fill(person["name"])
    match = page.locator(".checkin-matches li").filter(has_text=person["name"]).first
    match.get_by_role("button", name="Check in").click()
    result = page.locator(".checkin-result")
    expect(result).to_contain_text("Checked in")
    expect(result).to_contain_text(person["name"])
    expect(page.locator("#sync-status")).to_have_text("Changes for 1 person waiting to sync")
    result.get_by_role("button", name="Next").click()
    # Again while still offline: the phone remembers what it checked in itself.
    match.get_by_role("button", name="Check in").click()
    expect(result).to_contain_text("Already checked in")
    result.get_by_role("button", name="Next").click()
    # Two check-ins waiting, of one person: the header counts people.
    expect(page.locator("#sync-status")).to_have_text("Changes for 1 person waiting to sync")

    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_be_hidden(timeout=15_000)

    async def rows(session: AsyncSession) -> list[tuple[str, bool, bool]]:
        found = await session.execute(
            select(Checkin.outcome, Checkin.offline, Checkin.undone_at.is_not(None))
            .where(Checkin.attendee_id == person["id"])
            .order_by(Checkin.id)
        )
        return [tuple(row) for row in found]

    assert in_database(database_url, tmp_path, rows) == [
        ("checked_in", True, False),
        ("already", True, False),
    ]
    recent = page.locator(".checkin-recent li").first
    recent.get_by_role("button", name="Undo").click()
    expect(result).to_contain_text("Check-in undone")
    wait_until(lambda: in_database(database_url, tmp_path, rows)[1][2] is True, 10)
    page.context.close()


def poster_of_a_session_now(database_url: str, tmp_path: Path, room: str) -> str:
    """A session running now in `room` of the demo event, and that room's poster token."""
    token = new_token()

    async def work(session: AsyncSession) -> None:
        event = await session.scalar(select(Event).where(Event.slug == "demo"))
        assert event is not None
        now = datetime.now(UTC)
        session.add(
            EventSession(
                event_id=event.id,
                title="Taller de datos abiertos",
                room=room,
                starts_at=now - timedelta(minutes=10),
                ends_at=now + timedelta(minutes=50),
            )
        )
        session.add(Poster(event_id=event.id, room=room, token=token))

    in_database(database_url, tmp_path, work)
    return token


def poster_check_ins(database_url: str, tmp_path: Path, room: str) -> int:
    async def work(session: AsyncSession) -> int:
        found = await session.scalar(
            select(func.count())
            .select_from(Checkin)
            .join(EventSession, EventSession.id == Checkin.session_id)
            .where(Checkin.method == "poster", EventSession.room == room)
        )
        return int(found or 0)

    count: int = in_database(database_url, tmp_path, work)
    return count


def test_an_attendee_checks_in_by_the_poster_at_a_rooms_door(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    token = poster_of_a_session_now(database_url, tmp_path, "Sala Poster")
    # The phone's camera app opens the poster's address.
    page = open_app(pages.new(ATTENDEE, language="en"), f"/R/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check in: Sala Poster")
    status = page.locator("#main .message")
    expect(status).to_contain_text(
        "You are checked in to “Taller de datos abiertos” (Sala Poster).", timeout=15_000
    )
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    screenshot(page, "poster-checked-in-en-390")
    assert poster_check_ins(database_url, tmp_path, "Sala Poster") == 1
    # Opened again (a reload): the answer given is shown, nothing is checked in twice.
    page.reload()
    expect(page.locator("#main .message")).to_contain_text("You are checked in")
    assert poster_check_ins(database_url, tmp_path, "Sala Poster") == 1
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.set_viewport_size({"width": 320, "height": 700})
    assert_fits(page)
    page.context.close()


def test_the_apps_scanner_reads_a_poster_and_checks_in(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    token = poster_of_a_session_now(database_url, tmp_path, "Sala Escáner")
    video = write_frames(
        tmp_path / "poster.y4m", [(badge_frame(f"{pages.server.url}/R/{token}".upper()), 2.0)]
    )
    with fake_camera_browser(video) as camera:
        page = pages.new(ATTENDEE, language="es", browser=camera, permissions=["camera"])
        open_app(page, "/events/demo/scan")
        expect(page).to_have_url(re.compile(rf"/R/{token}$"), timeout=15_000)
        expect(page.locator("#main .message")).to_contain_text(
            "Entrada registrada en «Taller de datos abiertos» (Sala Escáner).", timeout=15_000
        )
        page.context.close()
    assert poster_check_ins(database_url, tmp_path, "Sala Escáner") == 1


def test_the_check_in_screens_are_accessible_and_fit_at_320_px_with_200_percent_text(
    pages: Pages,
) -> None:
    for language in ("en", "es"):
        page = pages.new(STAFF, language=language, viewport={"width": 320, "height": 700})
        open_app(page, CHECKIN)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        assert_fits(page)
        screenshot(page, f"checkin-place-{language}-320-200")
        page.get_by_role(
            "button", name="Start scanning" if language == "en" else "Empezar a escanear"
        ).click()
        search = page.get_by_label(
            "Name or organization" if language == "en" else "Nombre u organización"
        )
        search.fill("a")
        page.locator(".checkin-matches li").first.get_by_role("button").click()
        expect(page.locator(".checkin-result")).to_be_visible()
        violations = run_axe(page)
        assert not violations, describe_violations(violations)
        assert_fits(page)
        screenshot(page, f"checkin-answer-{language}-320-200")
        page.context.close()
