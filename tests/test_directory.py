"""The offline directory as phones refresh it: sealed once, versioned, 304s and deltas."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, make_url, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.attendees import directory
from api.db import create_engine, session_factory, transaction
from api.models import Attendee, Badge
from api.settings import Settings
from tests.conftest import add_attendee, run_in_db, sign_in
from tests.test_connections import (
    ANA,
    EVENT,
    LUCIA,
    ORGANIZER,
    PEDRO,
    _reissue,
    act_as,
    client_directory_key,
    event_with_people,
    get_json,
    open_entry,
    signed_in_client,
)

pytestmark = pytest.mark.anyio
ZOE = "zoe@example.org"
PATH = f"/api/events/{EVENT}/directory"


async def changes_since(client: AsyncTestClient[Any], version: int) -> dict[str, Any]:
    found: dict[str, Any] = await get_json(client, f"{PATH}?since={version}")
    return found


async def active_token(settings: Settings, email: str) -> str:
    async def work(session: AsyncSession) -> str | None:
        return await session.scalar(
            select(Badge.token)
            .join(Attendee, Attendee.id == Badge.attendee_id)
            .where(Attendee.email == email, Badge.revoked_at.is_(None))
        )

    token: str = await run_in_db(settings, work)
    return token


async def test_an_unchanged_directory_answers_304_to_its_etag(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    first = await client.get(PATH)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "private, no-cache"
    etag = first.headers["etag"]
    assert etag == f'"v{first.json()["version"]}-a{first.json()["me"]}"'
    again = await client.get(PATH, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    # The ETag names whose directory it is: another person's copy is not this one.
    await act_as(client, settings, LUCIA)
    other = await client.get(PATH, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


async def test_a_delta_after_one_person_edits_their_card_holds_only_them(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    before = await get_json(client, PATH)
    await act_as(client, settings, LUCIA)
    edited = await client.patch(f"/api/events/{EVENT}/me", json={"shared_fields": ["role"]})
    assert edited.status_code == 200, edited.text
    await act_as(client, settings, PEDRO)
    delta = await changes_since(client, before["version"])
    assert (delta["full"], delta["version"], delta["removed"]) == (
        False,
        before["version"] + 1,
        [],
    )
    [lucia] = delta["entries"]
    assert lucia["key"] == client_directory_key(before["salt"], tokens[LUCIA])
    assert open_entry(before["salt"], tokens[LUCIA], lucia)["card"] == {
        "name": "Lucía García",
        "organization": "DataLab",
        "role": "Data engineer",
    }
    # Nothing changed since: an empty delta.
    current = await changes_since(client, delta["version"])
    assert (current["full"], current["entries"], current["removed"]) == (False, [], [])


async def test_saving_an_unchanged_profile_keeps_the_version(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await sign_in(client, settings, LUCIA)
    before = await client.get(PATH)
    saved = await client.patch(
        f"/api/events/{EVENT}/me", json={"organization": "DataLab", "offline_card": True}
    )
    assert saved.status_code == 200, saved.text
    after = await client.get(PATH, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 304


async def test_revoked_opted_out_and_deleted_people_leave_as_removed_keys(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    event_id = await run_in_db(
        settings, lambda s: s.scalar(select(Attendee.event_id).where(Attendee.email == ANA))
    )
    await add_attendee(settings, event_id, ZOE, name="Zoë Quint")
    await sign_in(client, settings, PEDRO)
    await get_json(client, PATH)
    await act_as(client, settings, ZOE)
    assert (await client.get(f"/api/events/{EVENT}/me/badge")).status_code == 200
    await act_as(client, settings, PEDRO)
    before = await get_json(client, PATH)
    salt, zoe = before["salt"], await active_token(settings, ZOE)
    assert client_directory_key(salt, zoe) in {e["key"] for e in before["entries"]}

    await run_in_db(settings, lambda session: _reissue(session, ANA))  # revokes her old badge
    await act_as(client, settings, LUCIA)
    off = await client.patch(f"/api/events/{EVENT}/me", json={"offline_card": False})
    assert off.status_code == 200, off.text
    await run_in_db(settings, lambda s: s.execute(delete(Attendee).where(Attendee.email == ZOE)))

    await act_as(client, settings, PEDRO)
    delta = await changes_since(client, before["version"])
    gone = {client_directory_key(salt, t) for t in (tokens[ANA], tokens[LUCIA], zoe)}
    assert delta["full"] is False
    assert set(delta["removed"]) == gone
    [ana] = delta["entries"]
    assert open_entry(salt, await active_token(settings, ANA), ana)["card"]["name"] == "Ana Pérez"
    whole = await get_json(client, PATH)
    keys = {entry["key"] for entry in whole["entries"]}
    assert (whole["full"], whole["removed"], keys & gone) == (True, [], set())
    assert keys == {ana["key"], client_directory_key(salt, tokens[PEDRO])}


async def test_turning_the_offline_card_back_on_brings_the_card_back(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, LUCIA)
    await client.patch(f"/api/events/{EVENT}/me", json={"offline_card": False})
    before = await get_json(client, PATH)
    await client.patch(f"/api/events/{EVENT}/me", json={"offline_card": True})
    delta = await changes_since(client, before["version"])
    [lucia] = delta["entries"]
    assert lucia["key"] == client_directory_key(before["salt"], tokens[LUCIA])


async def test_a_version_too_old_or_unknown_gets_the_whole_directory(
    client: AsyncTestClient[Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await event_with_people(settings)
    monkeypatch.setattr(directory, "TOMBSTONES_KEPT", 1)
    await sign_in(client, settings, LUCIA)
    first = await get_json(client, PATH)
    await run_in_db(settings, lambda session: _reissue(session, ANA))
    await run_in_db(settings, lambda session: _reissue(session, PEDRO))
    current = await get_json(client, PATH)
    assert current["version"] == first["version"] + 2
    # Ana's tombstone was pruned (only one is kept): a phone at `first` would miss it.
    for since in (first["version"], current["version"] + 5, 0):
        answer = await changes_since(client, since)
        assert (answer["full"], answer["removed"]) == (True, [])
        assert len(answer["entries"]) == 3
    kept = await changes_since(client, first["version"] + 1)
    assert (kept["full"], len(kept["removed"]), len(kept["entries"])) == (False, 1, 1)


async def test_a_version_of_another_size_is_refused(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await sign_in(client, settings, LUCIA)
    for since in ("-1", str(2**31), "v3"):
        assert (await client.get(f"{PATH}?since={since}")).status_code == 400


async def test_every_write_site_changes_the_directory(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    event_id = await run_in_db(
        settings, lambda s: s.scalar(select(Attendee.event_id).where(Attendee.email == ANA))
    )
    async with signed_in_client(settings, PEDRO) as pedro:
        seen = [(await get_json(pedro, PATH))["version"]]

        async def changed() -> dict[str, Any]:
            """What Pedro's directory gained since his last refresh; its version rose."""
            delta = await changes_since(pedro, seen[-1])
            assert delta["version"] > seen[-1] and delta["full"] is False
            seen.append(delta["version"])
            return delta

        await sign_in(client, settings, LUCIA)  # a profile edit
        await client.patch(f"/api/events/{EVENT}/me", json={"organization": "DataLab Labs"})
        assert len((await changed())["entries"]) == 1

        await act_as(client, settings, ORGANIZER)  # an import: one update, one new person
        csv = (
            "email,name,organization\nana@example.org,Ana Pérez,Uni Norte\nzoe@example.org,Zoë,Q\n"
        )
        imported = await client.post(
            f"/api/events/{EVENT}/imports",
            files={"file": ("export.csv", csv.encode(), "text/csv")},
            data={"dry_run": "false"},
        )
        assert imported.status_code in (200, 201), imported.text
        assert len((await changed())["entries"]) == 2

        ana = await run_in_db(
            settings, lambda s: s.scalar(select(Attendee.id).where(Attendee.email == ANA))
        )
        reissued = await client.post(f"/api/events/{EVENT}/attendees/{ana}/badge/reissue")
        assert reissued.status_code == 200, reissued.text
        delta = await changed()
        assert delta["removed"] == [client_directory_key(delta["salt"], tokens[ANA])]

        await add_attendee(settings, event_id, "new@example.org", name="Nuevo")
        await act_as(client, settings, "new@example.org")  # a badge issued on first look
        assert (await client.get(f"/api/events/{EVENT}/me/badge")).status_code == 200
        assert len((await changed())["entries"]) == 1

        await run_in_db(
            settings, lambda s: s.execute(delete(Attendee).where(Attendee.email == ZOE))
        )
        assert len((await changed())["removed"]) == 1


async def test_a_directory_never_built_is_built_on_its_first_request(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    # As after the migration: badges issued before directories were kept.
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    found = await get_json(client, PATH)
    assert found["full"] is True
    keys = {entry["key"]: entry for entry in found["entries"]}
    lucia = keys[client_directory_key(found["salt"], tokens[LUCIA])]
    assert open_entry(found["salt"], tokens[LUCIA], lucia)["card"]["name"] == "Lucía García"


async def test_a_built_directory_is_served_while_another_request_holds_the_write_lock(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    built = await client.get(PATH)  # the first request builds it (a write)
    path = make_url(settings.database_url).database
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a long write elsewhere: a group commit, an import
        # Phones refreshing at a break only read: none of them waits for the lock.
        again = await asyncio.wait_for(client.get(PATH), 10)
        current = await asyncio.wait_for(
            client.get(PATH, headers={"If-None-Match": built.headers["etag"]}), 10
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert again.json()["entries"] == built.json()["entries"]
    assert current.status_code == 304


async def test_a_card_changed_while_the_directory_is_first_built_is_not_lost(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time")
    tokens = await event_with_people(settings)
    event_id = await run_in_db(
        settings, lambda s: s.scalar(select(Attendee.event_id).where(Attendee.email == LUCIA))
    )
    engine = create_engine(settings)
    factory = session_factory(engine)
    try:
        async with transaction(factory) as building:
            await directory.build_directory(building, event_id, settings.secret_key)

            async def lucia_opts_out() -> None:  # what PATCH /me does, meanwhile
                async with transaction(factory) as editing:
                    await editing.execute(
                        update(Attendee).where(Attendee.email == LUCIA).values(offline_card=False)
                    )
                    lucia = await editing.scalar(select(Attendee.id).where(Attendee.email == LUCIA))
                    assert lucia is not None
                    await directory.refresh_directory(editing, event_id, [lucia])

            editing = asyncio.create_task(lucia_opts_out())
            await asyncio.sleep(0.5)  # the edit waits for the build instead of skipping it
            assert not editing.done()
        await asyncio.wait_for(editing, 30)
    finally:
        await engine.dispose()
    await sign_in(client, settings, PEDRO)
    found = await get_json(client, PATH)
    keys = {entry["key"] for entry in found["entries"]}
    assert client_directory_key(found["salt"], tokens[LUCIA]) not in keys
    assert client_directory_key(found["salt"], tokens[ANA]) in keys
