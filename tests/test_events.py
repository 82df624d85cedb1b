"""Organizers create and edit events; members read them; everyone else sees nothing."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from api.settings import Settings
from tests.conftest import add_account, sign_in

pytestmark = pytest.mark.anyio
ORGANIZER = "org@example.org"


def event_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "slug": "madrid-2026",
        "name": "Datos Madrid 2026",
        "starts_on": "2026-03-10",
        "ends_on": "2026-03-11",
        "timezone": "Europe/Madrid",
        "languages": ["es", "en"],
        "sessions": [
            {
                "title": "Apertura",
                "room": "Auditorio",
                "starts_at": "2026-03-10T09:00:00",
                "ends_at": "2026-03-10T10:00:00",
            }
        ],
        "interests": [
            {
                "label_en": "Machine learning",
                "label_es": "Aprendizaje automático",
                "aliases": ["ML"],
            }
        ],
    } | overrides


async def organizer_client(client: AsyncTestClient[Any], settings: Settings) -> None:
    await add_account(settings, ORGANIZER, can_create_events=True)
    await sign_in(client, settings, ORGANIZER)


async def test_an_organizer_creates_an_event_with_schedule_and_vocabulary(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_client(client, settings)
    response = await client.post("/api/events", json=event_payload())
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["roles"] == ["organizer"]
    # A bare session time is read in the event's time zone (Madrid is UTC+1 in March).
    assert event["sessions"][0]["starts_at"] == "2026-03-10T08:00:00Z"
    assert event["interests"][0] == {
        "key": "machine-learning",
        "label_en": "Machine learning",
        "label_es": "Aprendizaje automático",
        "aliases": ["ML"],
    }
    listed = (await client.get("/api/events")).json()
    assert [e["slug"] for e in listed] == ["madrid-2026"]


async def test_an_organizer_edits_name_and_replaces_the_schedule(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_client(client, settings)
    created = (await client.post("/api/events", json=event_payload())).json()
    session_id = created["sessions"][0]["id"]
    response = await client.patch(
        "/api/events/madrid-2026",
        json={
            "name": "Datos Madrid",
            "sessions": [
                {
                    "id": session_id,
                    "title": "Apertura y bienvenida",
                    "starts_at": "2026-03-10T09:00:00+01:00",
                    "ends_at": "2026-03-10T09:30:00+01:00",
                },
                {
                    "title": "Taller",
                    "starts_at": "2026-03-10T11:00:00",
                    "ends_at": "2026-03-10T12:00:00",
                },
            ],
        },
    )
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["name"] == "Datos Madrid"
    assert [s["title"] for s in event["sessions"]] == ["Apertura y bienvenida", "Taller"]
    assert event["sessions"][0]["id"] == session_id
    assert len(event["interests"]) == 1  # untouched when not sent


async def test_a_taken_slug_is_a_clear_conflict(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_client(client, settings)
    await client.post("/api/events", json=event_payload())
    response = await client.post("/api/events", json=event_payload(name="Otro"))
    assert response.status_code == 409
    assert response.json()["code"] == "slug_taken"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "invalid_timezone", "timezone"),
        ({"ends_on": "2026-03-01"}, "invalid_dates", "ends_on"),
        ({"slug": "Not A Slug"}, "invalid_input", "slug"),
        ({"starts_on": "tomorrow"}, "invalid_input", "starts_on"),
        ({"languages": ["fr"]}, "invalid_input", "languages[0]"),
        (
            {
                "interests": [
                    {"label_en": "ML", "label_es": "Aprendizaje automático"},
                    {"label_en": "Data", "label_es": "Datos", "aliases": ["ml"]},
                ]
            },
            "duplicate_interest",
            "interests[1]",
        ),
        (
            {
                "sessions": [
                    {
                        "title": "Backwards",
                        "starts_at": "2026-03-10T10:00:00",
                        "ends_at": "2026-03-10T09:00:00",
                    }
                ]
            },
            "invalid_session_times",
            "sessions[0].ends_at",
        ),
    ],
)
async def test_bad_event_input_names_the_field_to_fix(
    client: AsyncTestClient[Any],
    settings: Settings,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    await organizer_client(client, settings)
    response = await client.post("/api/events", json=event_payload(**overrides))
    assert response.status_code in {400, 422}, response.text
    body = response.json()
    assert body["code"] == code
    assert body["field"] == field
    assert (await client.get("/api/events")).json() == []


async def test_people_outside_an_event_cannot_see_it_and_get_the_same_404(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_client(client, settings)
    await client.post("/api/events", json=event_payload())
    await client.post("/api/auth/signout")
    await add_account(settings, "outsider@example.org", can_create_events=True)
    await sign_in(client, settings, "outsider@example.org")
    hidden = await client.get("/api/events/madrid-2026")
    missing = await client.get("/api/events/no-such-event")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert (await client.patch("/api/events/madrid-2026", json={"name": "x"})).status_code == 404


async def test_staff_can_read_but_not_edit(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_client(client, settings)
    await client.post("/api/events", json=event_payload())
    added = await client.post(
        "/api/events/madrid-2026/staff", json={"email": "Door@Example.org", "role": "staff"}
    )
    assert (added.json()["email"], added.json()["role"]) == ("door@example.org", "staff")
    await client.post("/api/auth/signout")
    await sign_in(client, settings, "door@example.org")
    event = (await client.get("/api/events/madrid-2026")).json()
    assert event["roles"] == ["staff"]
    assert (await client.patch("/api/events/madrid-2026", json={"name": "x"})).status_code == 404


async def test_accounts_without_permission_cannot_create_events(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, "guest@example.org")
    await sign_in(client, settings, "guest@example.org")
    response = await client.post("/api/events", json=event_payload())
    assert response.status_code == 404
    assert response.json()["code"] == "not_allowed"


async def test_signed_out_requests_get_401(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/api/events")
    assert response.status_code == 401
    assert response.json()["code"] == "not_signed_in"


@pytest.mark.parametrize(
    ("session", "code"),
    [
        # Madrid skips 02:00-03:00 on 29 March 2026.
        (
            {"starts_at": "2026-03-29T02:30:00", "ends_at": "2026-03-29T03:10:00"},
            "nonexistent_local_time",
        ),
        (
            {"starts_at": "9999-12-31T20:00:00", "ends_at": "9999-12-31T23:00:00"},
            "time_out_of_range",
        ),
    ],
)
async def test_impossible_session_times_are_refused(
    client: AsyncTestClient[Any], settings: Settings, session: dict[str, str], code: str
) -> None:
    await organizer_client(client, settings)
    payload = event_payload(
        timezone="Europe/Madrid" if code != "time_out_of_range" else "America/Los_Angeles",
        sessions=[{"title": "x"} | session],
    )
    response = await client.post("/api/events", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert response.json()["field"].startswith("sessions[0]")


async def test_duplicate_interest_keys_are_a_clear_error(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_client(client, settings)
    interests = [
        {"label_en": "Data", "label_es": "Datos", "key": "Data"},
        {"label_en": "Info", "label_es": "Información", "key": "data"},
    ]
    response = await client.post("/api/events", json=event_payload(interests=interests))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "duplicate_interest",
        "interests[1]",
    )


async def test_the_last_organizer_cannot_step_down(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_client(client, settings)
    await client.post("/api/events", json=event_payload())
    response = await client.post(
        "/api/events/madrid-2026/staff", json={"email": ORGANIZER, "role": "staff"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "last_organizer"
    staff = (await client.get("/api/events/madrid-2026/staff")).json()
    assert [(s["email"], s["role"]) for s in staff] == [(ORGANIZER, "organizer")]


async def test_the_server_time_zone_name_localtime_is_refused(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_client(client, settings)
    response = await client.post("/api/events", json=event_payload(timezone="localtime"))
    assert response.json()["code"] == "invalid_timezone"
