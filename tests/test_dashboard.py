"""The organizer's dashboard: attendance in full, networking only in groups of five or more."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import (
    Account,
    Attendee,
    Checkin,
    Connection,
    Event,
    EventRole,
    EventSession,
    Interest,
)
from api.settings import Settings
from tests.conftest import add_account, add_event, run_in_db, sign_in

pytestmark = pytest.mark.anyio
ORGANIZER = "orga@example.org"
DOOR = "door@example.org"
# 10 March 2026 in Madrid is UTC+01:00.
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Madrid
SECRET_NOTE = "Hablar de la oferta secreta con Bea"


async def add_role(settings: Settings, event_id: int, email: str, role: str) -> None:
    await add_account(settings, email)

    async def work(session: AsyncSession) -> None:
        account_id = await session.scalar(select(Account.id).where(Account.email == email))
        session.add(EventRole(event_id=event_id, account_id=account_id, role=role))

    await run_in_db(settings, work)


async def add_people(settings: Settings, event_id: int, count: int, **values: Any) -> list[int]:
    """`count` attendees person{i}@example.org; answers their ids in order."""

    async def work(session: AsyncSession) -> list[int]:
        people = [
            Attendee(event_id=event_id, email=f"person{i}@example.org", name=f"P {i}", **values)
            for i in range(count)
        ]
        session.add_all(people)
        await session.flush()
        return [p.id for p in people]

    result: list[int] = await run_in_db(settings, work)
    return result


def checkin(event_id: int, attendee_id: int | None, at: datetime, **values: Any) -> Checkin:
    values.setdefault("outcome", "checked_in")
    return Checkin(
        event_id=event_id,
        attendee_id=attendee_id,
        at=at,
        method="badge",
        op_id=str(uuid.uuid4()),
        **values,
    )


def connection(event_id: int, owner: int, other: int, at: datetime, **values: Any) -> Connection:
    return Connection(
        event_id=event_id,
        owner_id=owner,
        other_id=other,
        first_met_at=at,
        last_met_at=at,
        scan_count=1,
        **values,
    )


async def save(settings: Settings, *rows: Any) -> None:
    async def work(session: AsyncSession) -> None:
        session.add_all(rows)

    await run_in_db(settings, work)


async def organizer_event(client: AsyncTestClient[Any], settings: Settings, **values: Any) -> int:
    event_id = await add_event(settings, "expo", **values)
    await add_role(settings, event_id, ORGANIZER, "organizer")
    await sign_in(client, settings, ORGANIZER)
    return event_id


async def _move_to(session: AsyncSession, event_id: int, day: date) -> None:
    event = await session.get(Event, event_id)
    assert event is not None
    event.starts_on = event.ends_on = day


async def dashboard(client: AsyncTestClient[Any], query: str = "") -> dict[str, Any]:
    response = await client.get(f"/api/events/expo/dashboard{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_registered_checked_in_and_session_attendance_count_people_once(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await organizer_event(client, settings)
    ana, bea, carla, dario, elena, *_ = await add_people(settings, event_id, 7)

    async def sessions(session: AsyncSession) -> list[int]:
        talks = [
            EventSession(
                event_id=event_id,
                title=title,
                room="A",
                starts_at=MORNING + timedelta(hours=hour),
                ends_at=MORNING + timedelta(hours=hour + 1),
            )
            for title, hour in (("Keynote", 1), ("Taller", 2))
        ]
        session.add_all(talks)
        await session.flush()
        return [t.id for t in talks]

    keynote, workshop = await run_in_db(settings, sessions)
    minute = timedelta(minutes=1)
    await save(
        settings,
        checkin(event_id, ana, MORNING + 5 * minute),  # 10:05
        checkin(event_id, ana, MORNING + 10 * minute, outcome="already"),  # 10:10
        checkin(event_id, bea, MORNING + 20 * minute),  # 10:20
        checkin(event_id, carla, MORNING + 65 * minute, session_id=keynote),  # 11:05
        checkin(event_id, ana, MORNING + 66 * minute, session_id=keynote),
        checkin(event_id, ana, MORNING + 67 * minute, session_id=keynote, outcome="already"),
        checkin(event_id, bea, MORNING + 125 * minute, session_id=workshop),  # 12:05
        # Not attendance: undone, refused, or a badge nobody holds.
        checkin(event_id, dario, MORNING, undone_at=MORNING + minute),
        checkin(event_id, elena, MORNING, outcome="not_registered", session_id=workshop),
        checkin(event_id, None, MORNING, outcome="unknown_badge"),
    )
    body = await dashboard(client)
    assert (body["registered"], body["checked_in"]) == (7, 3)
    assert body["bin_minutes"] == 15
    # From the first check-in to the last, quiet quarters included.
    assert [(b["starts_at"][11:], b["checkins"]) for b in body["checkins_over_time"]] == [
        ("10:00:00+01:00", 2),
        ("10:15:00+01:00", 1),
        ("10:30:00+01:00", 0),
        ("10:45:00+01:00", 0),
        ("11:00:00+01:00", 3),
        ("11:15:00+01:00", 0),
        ("11:30:00+01:00", 0),
        ("11:45:00+01:00", 0),
        ("12:00:00+01:00", 1),
    ]
    assert body["checkins_over_time"][0]["starts_at"] == "2026-03-10T10:00:00+01:00"
    assert [(s["title"], s["people"]) for s in body["sessions"]] == [("Keynote", 2), ("Taller", 1)]
    assert body["sessions"][0]["starts_at"] == "2026-03-10T11:00:00+01:00"


async def networking_event(client: AsyncTestClient[Any], settings: Settings) -> int:
    """14 people. Five make a connection around 10:00 and one around 12:00, four make 6 each
    around 11:00;
    vocabulary "Machine learning" (alias ML) and "Python"."""
    event_id = await organizer_event(client, settings)
    people = await add_people(settings, event_id, 14, shared_fields=["interests"])
    rows: list[Any] = [
        Interest(
            event_id=event_id,
            key="machine-learning",
            label_en="Machine learning",
            label_es="Aprendizaje automático",
            aliases=["ML"],
        ),
        Interest(event_id=event_id, key="python", label_en="Python", label_es="Python"),
    ]
    for i, owner in enumerate(people[:5]):
        for k in (1, 2):
            at = MORNING + timedelta(hours=2 * (k - 1), minutes=10 * i)
            rows.append(connection(event_id, owner, people[(i + k) % 14], at, note=SECRET_NOTE))
    for i, owner in enumerate(people[5:9]):
        for k in range(1, 7):
            at = MORNING + timedelta(hours=1, minutes=5 * i + k)
            rows.append(connection(event_id, owner, people[(5 + i + k) % 14], at))
    # Removed by its owner: it no longer counts.
    rows.append(connection(event_id, people[13], people[0], MORNING, removed_at=MORNING))
    await save(settings, *rows)

    async def interests(session: AsyncSession) -> None:
        held = {
            0: ["ML", "Python"],
            1: ["ml", "Python"],
            2: ["Machine Learning", "ML", "python"],  # one person, two spellings: counted once
            3: ["machine learning", "Python"],
            4: ["aprendizaje automatico", "ajedrez"],
            5: ["Aprendizaje Automático", "Ajedrez"],
            6: ["ajedrez"],
            7: ["Ajedrez"],
        }
        for index, terms in held.items():
            attendee = await session.get(Attendee, people[index])
            assert attendee is not None
            attendee.interests = terms
        # Holds ML but keeps interests private: not counted.
        hidden = await session.get(Attendee, people[10])
        assert hidden is not None
        hidden.interests, hidden.shared_fields = ["ML"], []

    await run_in_db(settings, interests)
    return event_id


async def test_networking_shows_only_groups_of_five_or_more(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await networking_event(client, settings)
    body = await dashboard(client, "?language=en")
    networking = body["networking"]
    assert networking["min_group"] == 5
    assert networking["connections_per_hour"] == [
        {"starts_at": "2026-03-10T10:00:00+01:00", "connections": {"value": 5, "suppressed": None}},
        # 24 connections, but made by four people.
        {
            "starts_at": "2026-03-10T11:00:00+01:00",
            "connections": {"value": None, "suppressed": "small_group"},
        },
        {"starts_at": "2026-03-10T12:00:00+01:00", "connections": {"value": 5, "suppressed": None}},
    ]
    bands = {b["band"]: b["people"] for b in networking["people_by_connections"]}
    assert bands == {
        # 14 registered = 5 + 5 + 4 + 0: the 4 and the 0 are too small, and together still
        # fewer than five, so "0" (as small as "1-4") is hidden too.
        "0": {"value": None, "suppressed": "complement"},
        "1-4": {"value": 5, "suppressed": None},
        "5-9": {"value": None, "suppressed": "small_group"},
        "10+": {"value": None, "suppressed": "small_group"},
    }
    interests = [(i["key"], i["label"], i["people"]) for i in networking["shared_interests"]]
    assert interests == [
        ("machine-learning", "Machine learning", {"value": 6, "suppressed": None}),
        # Held by four: named (the organizer's own vocabulary) but not counted. "ajedrez",
        # free text held by four, is not named at all.
        ("python", "Python", {"value": None, "suppressed": "small_group"}),
    ]


async def test_no_networking_figure_ever_shows_a_group_of_four(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await organizer_event(client, settings)
    people = await add_people(settings, event_id, 4, shared_fields=["interests"], interests=["IA"])
    await save(
        settings,
        *(
            connection(event_id, owner, other, MORNING + timedelta(minutes=owner % 7))
            for owner in people
            for other in people
            if owner != other
        ),
        Interest(event_id=event_id, key="ia", label_en="AI", label_es="IA"),
    )
    networking = (await dashboard(client))["networking"]
    # Not even an hour hidden at either end: it would say that someone connected then.
    assert networking["connections_per_hour"] == []
    figures = [b["people"] for b in networking["people_by_connections"]]
    figures += [i["people"] for i in networking["shared_interests"]]
    assert len(figures) == 4 + 1
    assert all(f["value"] is None and f["suppressed"] for f in figures), figures


async def test_notes_never_reach_the_dashboard(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await networking_event(client, settings)
    response = await client.get("/api/events/expo/dashboard")
    assert response.status_code == 200
    assert "note" not in response.text
    assert SECRET_NOTE not in response.text
    assert "oferta" not in response.text


async def test_interest_labels_are_in_the_organizers_language(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await networking_event(client, settings)
    response = await client.patch("/api/me", json={"language": "es"})
    assert response.status_code == 200
    labels = [i["label"] for i in (await dashboard(client))["networking"]["shared_interests"]]
    assert labels == ["Aprendizaje automático", "Python"]


async def test_bins_follow_the_event_clock_when_it_goes_back_an_hour(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await organizer_event(client, settings, name="Otoño")
    await run_in_db(settings, lambda session: _move_to(session, event_id, date(2026, 10, 25)))
    people = await add_people(settings, event_id, 12)
    change = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # Madrid: 03:00 +02:00 -> 02:00 +01:00
    rows: list[Any] = [
        checkin(event_id, people[0], change - timedelta(minutes=10)),  # 02:50 +02:00
        checkin(event_id, people[1], change + timedelta(minutes=50)),  # 02:50 +01:00
    ]
    # Five people connect in each of the two hours that both read 02:00 on the wall clock.
    for i in range(5):
        rows.append(connection(event_id, people[i], people[11], change - timedelta(minutes=30)))
        rows.append(connection(event_id, people[5 + i], people[11], change + timedelta(minutes=30)))
    await save(settings, *rows)
    body = await dashboard(client)
    assert [(b["starts_at"], b["checkins"]) for b in body["checkins_over_time"]] == [
        ("2026-10-25T02:45:00+02:00", 1),
        ("2026-10-25T02:00:00+01:00", 0),
        ("2026-10-25T02:15:00+01:00", 0),
        ("2026-10-25T02:30:00+01:00", 0),
        ("2026-10-25T02:45:00+01:00", 1),
    ]
    hours = body["networking"]["connections_per_hour"]
    assert [(h["starts_at"], h["connections"]["value"]) for h in hours] == [
        ("2026-10-25T02:00:00+02:00", 5),
        ("2026-10-25T02:00:00+01:00", 5),
    ]


@pytest.mark.parametrize("role", ["staff", "attendee", "stranger"])
async def test_only_the_events_organizers_see_its_dashboard(
    client: AsyncTestClient[Any], settings: Settings, role: str
) -> None:
    event_id = await add_event(settings, "expo")
    if role == "staff":
        await add_role(settings, event_id, DOOR, "staff")
    elif role == "attendee":
        await add_account(settings, DOOR)
        await save(settings, Attendee(event_id=event_id, email=DOOR, name="Door"))
    else:
        await add_account(settings, DOOR)
        other = await add_event(settings, "other")
        await add_role(settings, other, ORGANIZER, "organizer")
    await sign_in(client, settings, DOOR)
    for slug in ("expo", "no-such-event"):
        response = await client.get(f"/api/events/{slug}/dashboard")
        assert response.status_code == 404
        assert response.json()["code"] == "event_not_found"


async def test_the_dashboard_needs_a_signed_in_organizer(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_event(settings, "expo")
    response = await client.get("/api/events/expo/dashboard")
    assert response.status_code == 401


async def test_an_unknown_language_is_a_clear_400(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_event(client, settings)
    response = await client.get("/api/events/expo/dashboard?language=fr")
    assert response.status_code == 400
    assert "language" in response.json()["detail"]
