"""Organizers manage one attendee: see how far they got, correct their registration (their card
follows), and remove someone who met nobody, never another attendee's notes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attendee
from api.settings import Settings
from tests.conftest import run_in_db
from tests.test_connections import (
    ANA,
    EVENT,
    LUCIA,
    ORGANIZER,
    PEDRO,
    event_with_people,
    scan,
    signed_in_client,
    sync,
)

pytestmark = pytest.mark.anyio
PATH = f"/api/events/{EVENT}/attendees"


async def id_of(settings: Settings, email: str) -> int:
    async def work(session: AsyncSession) -> int:
        found = await session.scalar(select(Attendee.id).where(Attendee.email == email))
        assert found is not None
        return found

    found: int = await run_in_db(settings, work)
    return found


async def test_one_attendee_shows_registration_card_and_progress(settings: Settings) -> None:
    tokens = await event_with_people(settings)
    lucia = await id_of(settings, LUCIA)
    async with signed_in_client(settings, ORGANIZER) as client:
        found = (await client.get(f"{PATH}/{lucia}")).json()
    assert found["name"] == "Lucía García" and found["email"] == LUCIA
    assert found["shared_fields"] == ["interests"]
    assert found["invited_at"] is None and found["signed_in_at"] is None
    assert found["badge_code"].replace("-", "") == tokens[LUCIA]
    assert found["connections"] == 0


async def test_a_correction_reaches_the_card_a_scan_shows(settings: Settings) -> None:
    tokens = await event_with_people(settings)
    pedro = await id_of(settings, PEDRO)
    async with signed_in_client(settings, ORGANIZER) as client:
        response = await client.patch(
            f"{PATH}/{pedro}", json={"name": "  Pedro  Ruiz Gil ", "organization": "Acme SL"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Pedro Ruiz Gil"
        empty = await client.patch(f"{PATH}/{pedro}", json={"name": "   "})
        assert (empty.status_code, empty.json()["code"]) == (422, "missing_name")
        interests = await client.patch(f"{PATH}/{pedro}", json={"interests": ["x"]})
        assert interests.status_code == 400  # what attendees say of themselves stays theirs
    async with signed_in_client(settings, ANA) as client:
        card = (await client.get(f"/api/badges/{tokens[PEDRO]}")).json()["card"]
    assert (card["name"], card["organization"]) == ("Pedro Ruiz Gil", "Acme SL")


async def test_someone_who_met_nobody_is_removed_and_their_badge_says_so(
    settings: Settings,
) -> None:
    tokens = await event_with_people(settings)
    ana = await id_of(settings, ANA)
    async with signed_in_client(settings, ORGANIZER) as client:
        assert (await client.delete(f"{PATH}/{ana}")).status_code == 204
        assert (await client.get(f"{PATH}/{ana}")).json()["code"] == "attendee_not_found"
    async with signed_in_client(settings, LUCIA) as client:
        scanned = await client.get(f"/api/badges/{tokens[ANA]}")
    assert scanned.json()["code"] == "deleted_account"


async def test_removing_someone_others_met_is_refused_and_keeps_their_connections(
    settings: Settings,
) -> None:
    tokens = await event_with_people(settings)
    async with signed_in_client(settings, LUCIA) as client:
        [result] = await sync(client, scan(tokens[PEDRO]))
        assert result["status"] == "applied", result
    pedro = await id_of(settings, PEDRO)
    async with signed_in_client(settings, ORGANIZER) as client:
        refused = await client.delete(f"{PATH}/{pedro}")
        assert refused.status_code == 409
        assert refused.json()["code"] == "attendee_has_connections"
        assert "notes" in refused.json()["detail"]
        assert (await client.get(f"{PATH}/{pedro}")).json()["connections"] == 1
    async with signed_in_client(settings, LUCIA) as client:
        mine = (await client.get(f"/api/events/{EVENT}/connections")).json()
    assert [c["attendee"] for c in mine] == [pedro]


async def test_only_organizers_manage_attendees(settings: Settings) -> None:
    await event_with_people(settings)
    pedro = await id_of(settings, PEDRO)
    async with signed_in_client(settings, LUCIA) as client:
        for response in (
            await client.get(f"{PATH}/{pedro}"),
            await client.patch(f"{PATH}/{pedro}", json={"name": "X"}),
            await client.delete(f"{PATH}/{pedro}"),
        ):
            assert response.json()["code"] == "event_not_found"
    async with signed_in_client(settings, ORGANIZER) as client:
        assert (await client.get(f"{PATH}/999999")).json()["code"] == "attendee_not_found"
        assert (await client.get(f"{PATH}/{2**40}")).json()["code"] == "attendee_not_found"
