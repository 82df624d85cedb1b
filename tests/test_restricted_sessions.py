"""Restricted sessions: organizers mark them and say who is registered; attended ones stay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.models import Attendee, Checkin, Event, EventSession
from api.settings import Settings
from tests.conftest import add_attendee, add_event, run_in_db, sign_in
from tests.test_events import event_payload, organizer_client

pytestmark = pytest.mark.anyio
EVENT = "/api/events/madrid-2026"


def session_item(title: str, hour: int, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "room": "Sala 1",
        "starts_at": f"2026-03-10T{hour:02d}:00:00",
        "ends_at": f"2026-03-10T{hour:02d}:45:00",
    } | extra


async def event_with_workshop(client: AsyncTestClient[Any], settings: Settings) -> dict[str, Any]:
    await organizer_client(client, settings)
    sessions = [session_item("Apertura", 9), session_item("Taller de datos", 11, restricted=True)]
    created = await client.post("/api/events", json=event_payload(sessions=sessions))
    assert created.status_code == 201, created.text
    event_id = await run_in_db(
        settings, lambda s: s.scalar(select(Event.id).where(Event.slug == "madrid-2026"))
    )
    for email, name in [("ana@example.org", "Ana"), ("ben@example.org", "Ben")]:
        await add_attendee(settings, event_id, email, name=name)
    event: dict[str, Any] = created.json()
    return event


async def test_a_session_is_marked_restricted_and_reads_back_so(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event = await event_with_workshop(client, settings)
    assert [(s["title"], s["restricted"]) for s in event["sessions"]] == [
        ("Apertura", False),
        ("Taller de datos", True),
    ]
    sessions = [
        {k: s[k] for k in ("id", "title", "room", "starts_at", "ends_at")}
        for s in event["sessions"]
    ]
    sessions[0]["restricted"] = True
    edited = await client.patch(EVENT, json={"sessions": sessions})
    assert [s["restricted"] for s in edited.json()["sessions"]] == [True, False]


async def test_registrations_are_set_by_email_and_strangers_are_named(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event = await event_with_workshop(client, settings)
    workshop = event["sessions"][1]["id"]
    path = f"{EVENT}/sessions/{workshop}/registrations"
    emails = ["Ana@Example.org", "nobody@example.org", "ana@example.org", "typo@example"]
    answer = await client.put(path, json={"emails": emails})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "session_id": workshop,
        "restricted": True,
        "registered": ["ana@example.org"],
        "not_attendees": ["nobody@example.org", "typo@example"],
    }
    replaced = await client.put(path, json={"emails": ["ben@example.org"]})
    assert replaced.json()["registered"] == ["ben@example.org"]
    listed = (await client.get(path)).json()
    assert (listed["registered"], listed["not_attendees"]) == (["ben@example.org"], [])


async def test_a_session_of_another_event_is_not_found(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_workshop(client, settings)
    other_event = await add_event(settings, "other-event")

    async def other_session(session: Any) -> int:
        row = EventSession(
            event_id=other_event,
            title="Ajena",
            starts_at=datetime(2026, 3, 10, 9, tzinfo=UTC),
            ends_at=datetime(2026, 3, 10, 10, tzinfo=UTC),
        )
        session.add(row)
        await session.flush()
        return int(row.id)

    foreign = await run_in_db(settings, other_session)
    for session_id in [foreign, 2**40]:
        response = await client.put(
            f"{EVENT}/sessions/{session_id}/registrations", json={"emails": []}
        )
        assert response.status_code == 404
        assert response.json()["code"] == "session_not_found"


async def test_attendees_and_staff_cannot_set_registrations(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event = await event_with_workshop(client, settings)
    workshop = event["sessions"][1]["id"]
    await client.post(f"{EVENT}/staff", json={"email": "door@example.org"})
    for person in ["ana@example.org", "door@example.org"]:
        await client.post("/api/auth/signout")
        await sign_in(client, settings, person)
        response = await client.put(
            f"{EVENT}/sessions/{workshop}/registrations", json={"emails": ["ana@example.org"]}
        )
        assert (response.status_code, response.json()["code"]) == (404, "event_not_found")


async def add_checkin(settings: Settings, session_id: int, outcome: str = "checked_in") -> None:
    async def work(session: Any) -> None:
        row = await session.get(EventSession, session_id)
        attendee_id = await session.scalar(
            select(Attendee.id).where(Attendee.email == "ana@example.org")
        )
        session.add(
            Checkin(
                event_id=row.event_id,
                attendee_id=attendee_id,
                session_id=session_id,
                at=datetime(2026, 3, 10, 10, 5, tzinfo=UTC),
                method="badge",
                outcome=outcome,
                op_id=f"op-{session_id}-{outcome}",
            )
        )

    await run_in_db(settings, work)


async def test_a_session_with_check_ins_is_not_dropped_from_the_schedule(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event = await event_with_workshop(client, settings)
    opening, workshop = event["sessions"]
    # A refused attempt is part of the door's record too.
    await add_checkin(settings, workshop["id"], outcome="not_registered")
    response = await client.patch(EVENT, json={"sessions": [opening]})
    assert response.status_code == 409, response.text
    body = response.json()
    assert (body["code"], body["field"], body["session_id"]) == (
        "session_has_checkins",
        "sessions",
        workshop["id"],
    )
    assert "Taller de datos" in body["detail"] and "Keep the session" in body["detail"]
    titles = [s["title"] for s in (await client.get(EVENT)).json()["sessions"]]
    assert titles == ["Apertura", "Taller de datos"]


async def test_a_session_without_check_ins_can_still_be_dropped(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event = await event_with_workshop(client, settings)
    opening = event["sessions"][0]
    await add_checkin(settings, opening["id"])
    response = await client.patch(EVENT, json={"sessions": [opening]})
    assert response.status_code == 200, response.text
    assert [s["title"] for s in response.json()["sessions"]] == ["Apertura"]
