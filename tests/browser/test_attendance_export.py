"""The organizer's attendance export screen: filters, downloads, accessible and narrow-proof."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.harness import (
    ORGANIZER,
    Pages,
    describe_violations,
    horizontal_overflow,
    open_app,
    run_axe,
    screenshot,
)
from tests.browser.screens import api_get

NARROW = {"width": 320, "height": 640}


def test_organizer_downloads_the_attendance_of_one_session_and_day(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/organize/demo/attendance")
    expect(page.get_by_role("heading", level=1)).to_have_text("Export attendance")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)

    event = api_get(page, "/api/events/demo")
    session = next(s for s in event["sessions"] if s["room"] == "Sala A")
    page.get_by_label("Only people who did not come").check()
    page.get_by_label("Session", exact=True).select_option(str(session["id"]))
    page.get_by_label("Day", exact=True).fill(event["starts_on"])
    expect(page.locator("p[role=status]")).to_contain_text(session["title"])
    link = page.get_by_role("link", name="Attendance (CSV)")
    query = f"status=absent&session={session['id']}&day={event['starts_on']}"
    expect(link).to_have_attribute("href", f"/api/events/demo/attendance.csv?{query}")
    expect(page.get_by_role("link", name="Attendance and check-ins (XLSX)")).to_have_attribute(
        "href", re.compile(re.escape(f"attendance.xlsx?{query}") + "$")
    )
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == (
        f"demo-asistencia-s{session['id']}-{event['starts_on']}-absent.csv"
    )
    with Path(download.path()).open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    # Headers in the organizer's account language; nobody has checked in to the demo yet.
    assert rows[0][:2] == ["Nombre", "Correo"]
    assert len(rows) == 1 + event["attendee_count"]


def test_the_export_screen_fits_320px_at_200_percent_text_in_spanish(pages: Pages) -> None:
    page = open_app(
        pages.new(ORGANIZER, language="es", viewport=NARROW), "/organize/demo/attendance"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Exportar la asistencia")
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.wait_for_timeout(50)
    screenshot(page, "attendance-export-es-320-text-200")
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert not layout["wide"], layout
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
