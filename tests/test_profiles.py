"""An attendee signs in, picks a language and edits what a badge scan reveals."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from api.settings import Settings
from tests.conftest import add_attendee, add_event, sign_in

pytestmark = pytest.mark.anyio
EMAIL = "lucia@example.org"


async def attendee_client(client: AsyncTestClient[Any], settings: Settings) -> None:
    event_id = await add_event(settings, "demo-event")
    await add_attendee(settings, event_id, EMAIL, name="Lucía García", organization="DataLab")
    await sign_in(client, settings, EMAIL)


async def test_an_imported_attendee_can_sign_in_and_sees_the_event(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await attendee_client(client, settings)
    me = (await client.get("/api/me")).json()
    assert [(e["slug"], e["roles"]) for e in me["events"]] == [("demo-event", ["attendee"])]


async def test_the_attendee_switches_language(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await attendee_client(client, settings)
    assert (await client.patch("/api/me", json={"language": "en"})).json()["language"] == "en"
    assert (await client.get("/api/me")).json()["language"] == "en"
    refused = await client.patch("/api/me", json={"language": "fr"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "language"


async def test_sharing_is_off_by_default(client: AsyncTestClient[Any], settings: Settings) -> None:
    await attendee_client(client, settings)
    profile = (await client.get("/api/events/demo-event/me")).json()
    assert profile["name"] == "Lucía García"
    assert profile["shared_fields"] == []


async def test_the_attendee_edits_profile_and_sharing(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await attendee_client(client, settings)
    response = await client.patch(
        "/api/events/demo-event/me",
        json={
            "role": "  Data   engineer ",
            "interests": ["Open data", "open  data", "Accesibilidad"],
            "looking_for": ["Funding"],
            "can_help_with": ["Python"],
            "links": ["https://example.org/lucia"],
            "shared_fields": ["interests", "role", "interests"],
        },
    )
    assert response.status_code == 200, response.text
    saved = (await client.get("/api/events/demo-event/me")).json()
    assert saved["role"] == "Data engineer"
    assert saved["interests"] == ["Open data", "Accesibilidad"]
    assert saved["shared_fields"] == ["role", "interests"]
    assert saved["organization"] == "DataLab"  # untouched


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"links": ["javascript:alert(1)"]}, "links[0]"),
        ({"shared_fields": ["password"]}, "shared_fields[0]"),
        ({"name": ""}, "name"),
        ({"phone": "call me maybe"}, "phone"),
        ({"interests": ["x" * 121]}, "interests[0]"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
async def test_bad_profile_input_names_the_field_and_keeps_what_was_saved(
    client: AsyncTestClient[Any], settings: Settings, payload: dict[str, Any], field: str
) -> None:
    await attendee_client(client, settings)
    response = await client.patch("/api/events/demo-event/me", json=payload)
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]
    assert (await client.get("/api/events/demo-event/me")).json()["name"] == "Lucía García"


async def test_an_attendee_cannot_read_another_event(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await attendee_client(client, settings)
    await add_event(settings, "other-event")
    assert (await client.get("/api/events/other-event/me")).status_code == 404
    assert (await client.get("/api/events/other-event")).status_code == 404
