"""Organizers add, re-role and remove check-in staff and co-organizers; nobody else can."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.models import Account, Event, EventRole
from api.settings import Settings
from tests.conftest import run_in_db, sign_in
from tests.test_membership import DOOR, LUCIA, ORGANIZER, event_with_everyone

pytestmark = pytest.mark.anyio
STAFF = "/api/events/demo-event/staff"


async def staff_list(client: AsyncTestClient[Any]) -> dict[str, dict[str, Any]]:
    response = await client.get(STAFF)
    assert response.status_code == 200, response.text
    return {row["email"]: row for row in response.json()}


async def as_organizer(client: AsyncTestClient[Any], settings: Settings) -> dict[str, Any]:
    await event_with_everyone(settings)
    await sign_in(client, settings, ORGANIZER)
    return await staff_list(client)


async def test_the_list_shows_each_role_and_which_entry_is_me(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    staff = await as_organizer(client, settings)
    assert {email: (row["role"], row["you"]) for email, row in staff.items()} == {
        ORGANIZER: ("organizer", True),
        DOOR: ("staff", False),
    }


async def test_someone_without_an_account_is_added_and_signs_in_later_as_staff(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await as_organizer(client, settings)
    added = await client.post(STAFF, json={"email": " New.Door@Example.org ", "role": "staff"})
    assert added.status_code == 201, added.text
    assert (added.json()["email"], added.json()["role"]) == ("new.door@example.org", "staff")
    await client.post("/api/auth/signout")
    await sign_in(client, settings, "new.door@example.org")
    events = (await client.get("/api/events")).json()
    assert [(e["slug"], e["roles"]) for e in events] == [("demo-event", ["staff"])]


async def test_an_organizer_removes_a_staff_member_who_then_loses_access(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    staff = await as_organizer(client, settings)
    removed = await client.delete(f"{STAFF}/{staff[DOOR]['id']}")
    assert removed.status_code == 204, removed.text
    assert list(await staff_list(client)) == [ORGANIZER]
    await client.post("/api/auth/signout")
    await sign_in(client, settings, DOOR)
    assert (await client.get("/api/events/demo-event")).status_code == 404


async def test_an_organizer_promotes_staff_and_the_new_organizer_can_manage(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    staff = await as_organizer(client, settings)
    changed = await client.patch(f"{STAFF}/{staff[DOOR]['id']}", json={"role": "organizer"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "organizer"
    await client.post("/api/auth/signout")
    await sign_in(client, settings, DOOR)
    assert (await staff_list(client))[ORGANIZER]["role"] == "organizer"


async def test_the_last_organizer_cannot_be_removed_or_demoted(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    staff = await as_organizer(client, settings)
    me = staff[ORGANIZER]["id"]
    for response in [
        await client.delete(f"{STAFF}/{me}"),
        await client.patch(f"{STAFF}/{me}", json={"role": "staff"}),
    ]:
        assert response.status_code == 409
        assert response.json()["code"] == "last_organizer"
        assert "add another organizer first" in response.json()["detail"]
    assert (await staff_list(client))[ORGANIZER]["role"] == "organizer"


async def test_an_organizer_cannot_lock_themselves_out_while_another_can_remove_them(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await as_organizer(client, settings)
    await client.post(STAFF, json={"email": DOOR, "role": "organizer"})
    staff = await staff_list(client)
    me = staff[ORGANIZER]["id"]
    for response in [
        await client.delete(f"{STAFF}/{me}"),
        await client.patch(f"{STAFF}/{me}", json={"role": "staff"}),
        await client.post(STAFF, json={"email": ORGANIZER, "role": "staff"}),
    ]:
        assert response.status_code == 409
        assert response.json()["code"] == "cannot_remove_yourself"
        assert "ask another organizer" in response.json()["detail"]
    await client.post("/api/auth/signout")
    await sign_in(client, settings, DOOR)
    assert (await client.delete(f"{STAFF}/{me}")).status_code == 204
    assert list(await staff_list(client)) == [DOOR]


async def test_a_role_of_another_event_or_an_unknown_one_is_not_found(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await as_organizer(client, settings)
    await client.post(STAFF, json={"email": "x@example.org"})
    other = await event_with_other_organizer(client, settings)
    for role_id in [other, 999_999, 2**40]:
        response = await client.delete(f"{STAFF}/{role_id}")
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "staff_not_found"
    assert "x@example.org" in await staff_list(client)


async def event_with_other_organizer(client: AsyncTestClient[Any], settings: Settings) -> int:
    """The id of an organizer role in `other-event`, where the signed-in organizer has none."""

    async def work(session: Any) -> int:
        event_id = await session.scalar(select(Event.id).where(Event.slug == "other-event"))
        account = Account(email="other.org@example.org")
        session.add(account)
        await session.flush()
        role = EventRole(event_id=event_id, account_id=account.id, role="organizer")
        session.add(role)
        await session.flush()
        return int(role.id)

    result: int = await run_in_db(settings, work)
    return result


@pytest.mark.parametrize("person", [DOOR, LUCIA])
async def test_staff_and_attendees_cannot_manage_staff_and_learn_nothing(
    client: AsyncTestClient[Any], settings: Settings, person: str
) -> None:
    staff = await as_organizer(client, settings)
    await client.post("/api/auth/signout")
    await sign_in(client, settings, person)
    for method, path, body in [
        ("GET", STAFF, None),
        ("POST", STAFF, {"email": "x@example.org", "role": "organizer"}),
        ("PATCH", f"{STAFF}/{staff[DOOR]['id']}", {"role": "organizer"}),
        ("DELETE", f"{STAFF}/{staff[ORGANIZER]['id']}", None),
    ]:
        forbidden = await client.request(method, path, json=body)
        unknown = await client.request(method, path.replace("demo-event", "nope"), json=body)
        assert forbidden.status_code == unknown.status_code == 404, (method, path)
        assert forbidden.json() == unknown.json()
    await client.post("/api/auth/signout")
    await sign_in(client, settings, ORGANIZER)
    assert {email: row["role"] for email, row in (await staff_list(client)).items()} == {
        ORGANIZER: "organizer",
        DOOR: "staff",
    }


async def test_a_bad_role_is_a_400_naming_the_field(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    staff = await as_organizer(client, settings)
    response = await client.patch(f"{STAFF}/{staff[DOOR]['id']}", json={"role": "king"})
    assert response.status_code == 400
    assert response.json()["field"] == "role"


async def test_an_attendee_made_staff_keeps_their_ticket_after_removal(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await as_organizer(client, settings)
    added = (await client.post(STAFF, json={"email": LUCIA, "role": "staff"})).json()
    await client.delete(f"{STAFF}/{added['id']}")
    await client.post("/api/auth/signout")
    await sign_in(client, settings, LUCIA)
    assert (await client.get("/api/events/demo-event")).json()["roles"] == ["attendee"]
