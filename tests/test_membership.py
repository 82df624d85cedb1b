"""Who someone is in an event decides what they reach; unknown and forbidden events answer alike."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.app import create_app
from api.attendees.dependencies import MEMBERSHIP_PROVIDERS
from api.attendees.membership import STAFF, find_membership
from api.errors import NotFound
from api.models import Account, EventRole
from api.settings import Settings
from tests.conftest import add_account, add_attendee, add_event, run_in_db, sign_in

pytestmark = pytest.mark.anyio
ORGANIZER = "orga@example.org"
DOOR = "door@example.org"
LUCIA = "lucia@example.org"
STRANGER = "stranger@example.org"

ORGANIZER_ONLY = [
    ("GET", "/api/events/{slug}/staff", None),
    ("POST", "/api/events/{slug}/staff", {"email": "new@example.org", "role": "staff"}),
    ("PATCH", "/api/events/{slug}/staff/1", {"role": "staff"}),
    ("DELETE", "/api/events/{slug}/staff/1", None),
    ("GET", "/api/events/{slug}/sessions/1/registrations", None),
    ("PUT", "/api/events/{slug}/sessions/1/registrations", {"emails": []}),
    ("PATCH", "/api/events/{slug}", {"name": "Renamed"}),
    ("GET", "/api/events/{slug}/attendees", None),
    ("GET", "/api/events/{slug}/badges/preview", None),
    ("POST", "/api/events/{slug}/badges/jobs", {}),
    ("GET", "/api/events/{slug}/badges/jobs/some-job", None),
    ("GET", "/api/events/{slug}/attendees/1/badge.svg", None),
    ("POST", "/api/events/{slug}/attendees/1/badge/reissue", None),
]
ATTENDEE_ONLY = [
    ("GET", "/api/events/{slug}/me", None),
    ("PATCH", "/api/events/{slug}/me", {"bio": "Hola"}),
    ("GET", "/api/events/{slug}/me/badge", None),
    ("GET", "/api/events/{slug}/me/badge.svg", None),
    ("GET", "/api/events/{slug}/me/badge.png", None),
]


async def add_role(settings: Settings, event_id: int, email: str, role: str) -> None:
    await add_account(settings, email)

    async def work(session: Any) -> None:
        account_id = await session.scalar(select(Account.id).where(Account.email == email))
        session.add(EventRole(event_id=event_id, account_id=account_id, role=role))

    await run_in_db(settings, work)


async def event_with_everyone(settings: Settings) -> int:
    """demo-event with an organizer, a door staff member and an attendee; other-event beside it."""
    event_id = await add_event(settings, "demo-event")
    await add_role(settings, event_id, ORGANIZER, "organizer")
    await add_role(settings, event_id, DOOR, "staff")
    await add_attendee(settings, event_id, LUCIA, name="Lucía García")
    await add_account(settings, STRANGER)
    other_id = await add_event(settings, "other-event")
    await add_attendee(settings, other_id, STRANGER, name="Sam Stranger")
    return event_id


async def call(
    client: AsyncTestClient[Any], method: str, path: str, body: Any, slug: str
) -> tuple[int, Any]:
    response = await client.request(method, path.format(slug=slug), json=body)
    return response.status_code, response.json()


@pytest.mark.parametrize("person", [LUCIA, DOOR, STRANGER])
async def test_organizer_routes_answer_everyone_else_as_if_the_event_did_not_exist(
    client: AsyncTestClient[Any], settings: Settings, person: str
) -> None:
    await event_with_everyone(settings)
    await sign_in(client, settings, person)
    for method, path, body in ORGANIZER_ONLY:
        forbidden = await call(client, method, path, body, "demo-event")
        unknown = await call(client, method, path, body, "no-such-event")
        assert forbidden == unknown, (method, path)
        assert forbidden[0] == 404
        assert forbidden[1]["code"] == "event_not_found"


@pytest.mark.parametrize("person", [ORGANIZER, DOOR, STRANGER])
async def test_attendee_routes_answer_people_without_a_ticket_as_if_the_event_did_not_exist(
    client: AsyncTestClient[Any], settings: Settings, person: str
) -> None:
    await event_with_everyone(settings)
    await sign_in(client, settings, person)
    for method, path, body in ATTENDEE_ONLY:
        forbidden = await call(client, method, path, body, "demo-event")
        unknown = await call(client, method, path, body, "no-such-event")
        assert forbidden == unknown, (method, path)
        assert forbidden[0] == 404
        assert forbidden[1]["code"] == "event_not_found"


async def test_an_organizer_who_also_attends_reaches_both_sides(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await event_with_everyone(settings)
    await add_attendee(settings, event_id, ORGANIZER, name="Olga Organizer")
    await sign_in(client, settings, ORGANIZER)
    event = (await client.get("/api/events/demo-event")).json()
    assert event["roles"] == ["organizer", "attendee"]
    assert (await client.get("/api/events/demo-event/me")).json()["name"] == "Olga Organizer"
    staff = (await client.get("/api/events/demo-event/staff")).json()
    assert [(s["email"], s["role"], s["you"]) for s in staff if s["you"]] == [
        (ORGANIZER, "organizer", True)
    ]


async def test_every_member_reads_the_event_and_sees_their_own_roles(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_everyone(settings)
    for person, roles in [(ORGANIZER, ["organizer"]), (DOOR, ["staff"]), (LUCIA, ["attendee"])]:
        await client.post("/api/auth/signout")
        await sign_in(client, settings, person)
        assert (await client.get("/api/events/demo-event")).json()["roles"] == roles


async def test_membership_routes_ask_signed_out_people_to_sign_in(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_everyone(settings)
    for method, path, body in [*ORGANIZER_ONLY, *ATTENDEE_ONLY]:
        status, answer = await call(client, method, path, body, "demo-event")
        assert (status, answer["code"]) == (401, "not_signed_in"), (method, path)


async def test_a_bad_body_field_on_a_membership_route_is_a_400_naming_the_field(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_everyone(settings)
    await sign_in(client, settings, LUCIA)
    response = await client.patch("/api/events/demo-event/me", json={"bio": 5})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "bio"


async def test_staff_membership_admits_organizers_and_staff_only(settings: Settings) -> None:
    await event_with_everyone(settings)

    async def roles_of(email: str) -> list[str] | None:
        async def work(session: Any) -> list[str] | None:
            account = await session.scalar(select(Account).where(Account.email == email))
            try:
                return (await find_membership(session, "demo-event", account, STAFF)).roles
            except NotFound as refused:
                assert refused.code == "event_not_found"
                return None

        result: list[str] | None = await run_in_db(settings, work)
        return result

    await add_account(settings, LUCIA)
    assert await roles_of(ORGANIZER) == ["organizer"]
    assert await roles_of(DOOR) == ["staff"]
    assert await roles_of(LUCIA) is None
    assert await roles_of(STRANGER) is None


def test_no_request_body_has_a_field_named_like_a_membership_dependency() -> None:
    # Litestar reports a body field that fails validation under a dependency's name as a 500.
    clashes = []
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None or not isinstance(data.annotation, type):
                continue
            if issubclass(data.annotation, msgspec.Struct):
                names = {field.name for field in msgspec.structs.fields(data.annotation)}
                clashes += [(route.path, name) for name in names & set(MEMBERSHIP_PROVIDERS)]
    assert clashes == []
