"""Input no database can store or no parser can read is refused with the field to fix, on both
databases, never a 500: a NUL character, an id beyond 32 bits, JSON nested too deeply, a host
this service does not serve."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from msgspec import structs
from sqlalchemy import select

from api.app import create_app
from api.models import Account, Event, EventRole
from api.settings import Settings
from tests.conftest import add_account, add_event, run_in_db, sign_in

pytestmark = pytest.mark.anyio

ORGANIZER = "organizadora@example.org"


async def organizer_of_demo(client: AsyncTestClient[Any], settings: Settings) -> None:
    event_id = await add_event(settings, "demo")
    await add_account(settings, ORGANIZER, can_create_events=True)

    async def work(session: Any) -> None:
        account_id = await session.scalar(select(Account.id).where(Account.email == ORGANIZER))
        session.add(EventRole(event_id=event_id, account_id=account_id, role="organizer"))

    await run_in_db(settings, work)
    await sign_in(client, settings, ORGANIZER)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/events/demo%00", "slug"),
        ("/api/events/demo/badges/jobs/%00", "job_id"),
        ("/api/events/demo/attendees?q=%00", "q"),
        ("/api/events/demo/connections?q=a%00b", "q"),
    ],
)
async def test_a_nul_character_in_an_address_is_refused_naming_where_it_is(
    client: AsyncTestClient[Any], settings: Settings, path: str, field: str
) -> None:
    await organizer_of_demo(client, settings)
    response = await client.get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert response.json()["field"] == field
    assert "NUL" in response.json()["detail"]


async def test_an_id_beyond_32_bits_in_an_address_names_nothing(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_of_demo(client, settings)
    for too_big in (2**31, 2**64 + 1):
        response = await client.get(f"/api/events/demo/attendees/{too_big}/badge.png")
        assert response.status_code == 404
        assert response.json()["code"] == "attendee_not_found"


async def test_a_nul_character_in_a_json_field_is_refused_and_nothing_is_saved(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_of_demo(client, settings)
    response = await client.post(
        "/api/events",
        json={
            "slug": "nul-test",
            "name": "Cumbre\u0000",
            "starts_on": "2026-12-10",
            "ends_on": "2026-12-11",
            "timezone": "Europe/Madrid",
        },
    )
    assert response.status_code == 400
    assert response.json()["field"] == "name"

    async def events(session: Any) -> list[str]:
        return list(await session.scalars(select(Event.slug)))

    assert await run_in_db(settings, events) == ["demo"]


async def test_an_id_beyond_32_bits_in_a_json_body_is_refused_naming_the_field(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_of_demo(client, settings)
    response = await client.post(
        "/api/events/demo/badges/jobs", json={"attendee_ids": [1099511627776]}
    )
    assert response.status_code == 400
    assert "attendee_ids" in response.json()["field"]


@pytest.mark.parametrize("path", ["/api/sync", "/api/events"])
async def test_json_nested_too_deeply_is_refused_with_what_to_send(
    client: AsyncTestClient[Any], settings: Settings, path: str
) -> None:
    await organizer_of_demo(client, settings)
    deep = b"[" * 100_000 + b"]" * 100_000
    response = await client.post(path, content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "nested too deeply" in response.json()["detail"]


async def test_personal_data_is_never_kept_by_a_browser_cache(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_of_demo(client, settings)
    for path in ("/api/me", "/api/events/demo/attendees"):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store"


async def test_a_host_not_served_here_gets_the_usual_error_body(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    response = await client.get("/api/me", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_host"
    assert "address" in response.json()["detail"]
    assert (await client.get("/health")).status_code == 200


async def test_a_json_body_too_large_is_told_to_send_less_not_about_uploads(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_of_demo(client, settings)
    body = b'{"language": "' + b"x" * 2_000_000 + b'"}'
    response = await client.patch(
        "/api/me", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "The request is too large; send less at once."


async def test_served_over_https_browsers_are_told_to_stay_on_https(
    settings: Settings,
) -> None:
    secure = structs.replace(settings, base_url="https://enlace.example.org")
    secure.allowed_hosts = ["enlace.example.org"]
    async with AsyncTestClient(create_app(secure), base_url="https://enlace.example.org") as https:
        response = await https.get("/health")
    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_served_over_plain_http_no_hsts_is_sent(client: AsyncTestClient[Any]) -> None:
    assert "strict-transport-security" not in (await client.get("/health")).headers


@pytest.mark.parametrize("token", ["%C2%B2-abc", "1-%C3%A9", "-", "12345678901234-x"])
async def test_a_forged_unsubscribe_token_is_unknown_not_a_crash(
    client: AsyncTestClient[Any], settings: Settings, token: str
) -> None:
    read = await client.get(f"/api/unsubscribe/{token}")
    assert read.status_code == 404
    used = await client.post(
        f"/api/unsubscribe/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert used.status_code == 404


async def test_a_digest_time_at_the_calendars_edge_is_refused_naming_the_field(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_of_demo(client, settings)
    response = await client.put("/api/events/demo/digest", json={"local_time": "0001-01-01T00:30"})
    assert response.status_code == 422
    assert response.json()["field"] == "local_time"
