"""The organizer's dashboard in a browser: figures with table alternatives, kept fresh, for all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attendee, Checkin, Connection, Event
from tests.browser.harness import (
    ORGANIZER,
    Pages,
    describe_violations,
    horizontal_overflow,
    in_database,
    open_app,
    run_axe,
    screenshot,
)
from tests.browser.screens import create_event

# 5 October 2026, 10:00 in Madrid.
TEN = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
NARROW = {"width": 320, "height": 640}


def checkins(event_id: int, people: list[int], at: datetime) -> list[Checkin]:
    return [
        Checkin(
            event_id=event_id,
            attendee_id=person,
            at=at + timedelta(minutes=3 * n),
            method="badge",
            outcome="checked_in",
            op_id=str(uuid.uuid4()),
        )
        for n, person in enumerate(people)
    ]


def event_with_activity(page: Page, database_url: str, folder: Path) -> dict[str, Any]:
    """An event of 12 people: 8 checked in from 10:00 (5 before 10:15), 6 who each met two
    others around 11:00, everyone sharing the interest "Open data"."""
    event = create_event(
        page,
        name="Expo Panel",
        sessions=[
            {
                "title": "Keynote",
                "starts_at": "2026-10-05T10:00:00",
                "ends_at": "2026-10-05T11:00:00",
            }
        ],
    )

    async def work(session: AsyncSession) -> tuple[int, list[int]]:
        event_id = await session.scalar(select(Event.id).where(Event.slug == event["slug"]))
        assert event_id is not None
        people = [
            Attendee(
                event_id=event_id,
                email=f"p{i}@example.org",
                name=f"Persona {i}",
                interests=["Open data"],
                shared_fields=["interests"],
            )
            for i in range(12)
        ]
        session.add_all(people)
        await session.flush()
        ids = [p.id for p in people]
        session.add_all(checkins(event_id, ids[:8], TEN))
        for i, owner in enumerate(ids[:6]):
            for k in (1, 2):
                met = TEN + timedelta(hours=1, minutes=i)
                session.add(
                    Connection(
                        event_id=event_id,
                        owner_id=owner,
                        other_id=ids[(i + k) % 12],
                        first_met_at=met,
                        last_met_at=met,
                        scan_count=1,
                        note="Nota privada que nadie más ve",
                    )
                )
        return event_id, ids

    event["event_id"], event["people"] = in_database(database_url, folder, work)
    return event


def add_checkins(database_url: str, folder: Path, event: dict[str, Any], people: list[int]) -> None:
    async def work(session: AsyncSession) -> None:
        session.add_all(checkins(event["event_id"], people, TEN + timedelta(hours=2)))

    in_database(database_url, folder, work)


def set_visibility(page: Page, state: str) -> None:
    page.evaluate(
        """(state) => {
          Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
          document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def test_the_dashboard_shows_its_figures_as_tables_too_and_refreshes_while_visible(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    page = pages.new(ORGANIZER, language="en")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/dashboard" in r.url else None)
    page.clock.install()
    open_app(page, "/")
    event = event_with_activity(page, database_url, tmp_path)
    slug = event["slug"]
    open_app(page, f"/organize/{slug}")

    expect(page.get_by_role("heading", level=1)).to_have_text("Expo Panel")
    screens = page.get_by_role("navigation", name="Organizer screens")
    for name, href in [
        ("Edit the event", f"/organize/{slug}/edit"),
        ("Import attendees", f"/organize/{slug}/import"),
        ("Print badges", f"/organize/{slug}/badges"),
        ("Room posters", f"/organize/{slug}/posters"),
        ("Staff", f"/organize/{slug}/staff"),
        ("Export attendance", f"/organize/{slug}/attendance"),
        ("Check-in mode", f"/events/{slug}/checkin"),
    ]:
        expect(screens.get_by_role("link", name=name)).to_have_attribute("href", href)
    totals = page.locator(".dashboard-totals")
    expect(totals).to_contain_text("Registered12")
    expect(totals).to_contain_text("8 (67% of registered)")

    # Every chart has its figures in a table; hidden ones read "fewer than 5", never 0.
    checkins_chart = page.get_by_role("figure", name="Check-ins every 15 minutes (event time)")
    expect(checkins_chart.get_by_role("img")).to_have_attribute(
        "aria-label", "Bar chart. Highest: 5 at 10:00 AM. Every figure is in the table below."
    )
    checkins_chart.get_by_text("Show the figures as a table").click()
    table = page.get_by_role("table", name="Check-ins every 15 minutes (event time)")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table.get_by_role("row", name="10:00 AM 5")).to_be_visible()
    expect(table.get_by_role("row", name="10:15 AM 3")).to_be_visible()
    bands = page.get_by_role("figure", name="How many people made each number of connections")
    bands.get_by_text("Show the figures as a table").click()
    bands_table = page.get_by_role("table", name="How many people made each number of connections")
    expect(bands_table.get_by_role("row", name="1 to 4 connections 6")).to_be_visible()
    # 6 made none: hidden too, or the smaller groups beside it could be found by subtraction.
    expect(bands_table.get_by_role("row", name="No connections withheld")).to_be_visible()
    expect(
        bands_table.get_by_role("row", name="10 or more connections fewer than 5")
    ).to_be_visible()
    interests = page.get_by_role("figure", name="Interests held by most people among those who")
    expect(interests).to_contain_text("Open data12")
    assert "Nota privada" not in page.content()
    screenshot(page, "dashboard-en-390")

    # Refreshes about every 30 s while visible; a hidden tab asks for nothing until shown again.
    add_checkins(database_url, tmp_path, event, event["people"][8:10])
    page.clock.run_for(31_000)
    expect(totals).to_contain_text("10 (83% of registered)")
    set_visibility(page, "hidden")
    add_checkins(database_url, tmp_path, event, event["people"][10:12])
    before = len(asked)
    page.clock.run_for(95_000)
    page.wait_for_timeout(300)  # a request, had one been made, shows within this
    assert len(asked) == before
    expect(totals).to_contain_text("10 (83% of registered)")
    set_visibility(page, "visible")
    page.clock.run_for(1_000)
    expect(totals).to_contain_text("12 (100% of registered)")


def test_the_dashboard_is_axe_clean_and_fits_320px_at_200_percent_text(
    pages: Pages, database_url: str, tmp_path: Path
) -> None:
    page = pages.new(ORGANIZER, language="es", viewport=NARROW)
    open_app(page, "/")
    event = event_with_activity(page, database_url, tmp_path)
    open_app(page, f"/organize/{event['slug']}")
    for summary in page.get_by_text("Ver las cifras en una tabla").all():
        summary.click()
    expect(page.locator("details[open]")).to_have_count(5)
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.wait_for_timeout(50)
    screenshot(page, "dashboard-es-320-text-200")
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert not layout["wide"], layout
