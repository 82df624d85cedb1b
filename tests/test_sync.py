"""The outbox endpoint applies every operation exactly once: replays, races, crashes, bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from api.connections.operations import ConnectionKinds
from api.db import create_engine, session_factory, transaction
from api.models import Account, SyncOperation, utcnow
from api.settings import Settings
from api.sync.engine import Group, SyncEngine, SyncRequest
from api.sync.writers import GroupCommitWriter, open_writer
from tests.conftest import add_account, run_in_db, sign_in
from tests.test_connections import (
    LUCIA,
    MET,
    PEDRO,
    connections_of,
    event_with_people,
    login_cookie,
    op,
    scan,
    signed_in_client,
    sync,
)

pytestmark = pytest.mark.anyio
ANA = "ana@example.org"
REPLAY_MARKS = {"reason", "replayed", "original_reason"}
# The engine as the app wires it (api.app).
ENGINE = SyncEngine([ConnectionKinds()])


def mixed_batch(tokens: dict[str, str]) -> list[dict[str, Any]]:
    """Scans (two of the same person), a note and tags made offline before any answer."""
    return [
        scan(tokens[LUCIA]),
        scan(tokens[ANA]),
        scan(tokens[LUCIA], at=MET + timedelta(hours=2)),
        op("note", scanned=tokens[LUCIA], text="Data role?", base_revision=0),
        op("tags", scanned=tokens[ANA], tags=["partner"]),
    ]


async def recorded_count(settings: Settings) -> int:
    async def work(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(SyncOperation)) or 0)

    count: int = await run_in_db(settings, work)
    return count


async def test_replaying_a_batch_three_times_applies_each_operation_once(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    batch = mixed_batch(tokens)
    first = await sync(client, *batch)
    assert [r["reason"] for r in first] == ["created", "created", "merged", "updated", "updated"]
    replays = [await sync(client, *batch) for _ in range(3)]
    assert replays[0] == replays[1] == replays[2]
    for original, replay in zip(first, replays[0], strict=True):
        assert replay["reason"] == "duplicate" and replay["replayed"] is True
        assert replay["original_reason"] == original["reason"]
        # Everything else repeats the original answer.
        replay_fields = {k: v for k, v in replay.items() if k not in REPLAY_MARKS}
        assert replay_fields == {k: v for k, v in original.items() if k != "reason"}
    counts = sorted((c.scan_count, c.note, c.tags) for c in await connections_of(settings, PEDRO))
    assert counts == [(1, "", ["partner"]), (2, "Data role?", [])]
    assert await recorded_count(settings) == len(batch)


async def test_the_same_batch_sent_at_once_from_four_connections_applies_once(
    settings: Settings,
) -> None:
    tokens = await event_with_people(settings)
    batch = mixed_batch(tokens)
    async with (
        signed_in_client(settings, PEDRO) as a,
        signed_in_client(settings, PEDRO) as b,
        signed_in_client(settings, PEDRO) as c,
        signed_in_client(settings, PEDRO) as d,
    ):
        replies = await asyncio.gather(*(sync(client, *batch) for client in (a, b, c, d)))
    for position, operation in enumerate(batch):
        answers = [reply[position] for reply in replies]
        assert all(answer["id"] == operation["id"] for answer in answers)
        assert sum(not answer.get("replayed", False) for answer in answers) == 1, answers
    [lucia, ana] = sorted(await connections_of(settings, PEDRO), key=lambda c: -c.scan_count)
    assert (lucia.scan_count, lucia.note, ana.scan_count, ana.tags) == (
        2,
        "Data role?",
        1,
        ["partner"],
    )
    assert await recorded_count(settings) == len(batch)


async def test_two_first_scans_of_one_person_at_once_make_one_connection(
    settings: Settings,
) -> None:
    tokens = await event_with_people(settings)
    async with signed_in_client(settings, PEDRO) as a, signed_in_client(settings, PEDRO) as b:
        one, two = await asyncio.gather(
            sync(a, scan(tokens[LUCIA])),
            sync(b, scan(tokens[LUCIA], at=MET + timedelta(minutes=1))),
        )
    assert sorted([one[0]["reason"], two[0]["reason"]]) == ["created", "merged"]
    assert one[0]["connection"] == two[0]["connection"]
    [connection] = await connections_of(settings, PEDRO)
    assert connection.scan_count == 2


async def test_the_same_id_with_another_payload_is_refused(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    original = scan(tokens[LUCIA])
    await sync(client, original)
    [refused] = await sync(client, original | {"scanned": tokens[ANA]})
    assert (refused["status"], refused["reason"]) == ("rejected", "conflict_payload")
    assert "replayed" not in refused
    assert [c.scan_count for c in await connections_of(settings, PEDRO)] == [1]
    # The original still answers as itself.
    [again] = await sync(client, original)
    assert (again["reason"], again["original_reason"]) == ("duplicate", "created")


async def test_one_bad_operation_does_not_fail_the_others(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    good = scan(tokens[LUCIA])
    results = await sync(
        client,
        scan(tokens[ANA]) | {"id": "not-a-uuid"},
        {k: v for k, v in scan(tokens[ANA]).items() if k != "scanned"},
        op("teleport", scanned=tokens[ANA]),
        scan(tokens[ANA]) | {"at": "2026-03-10T10:00:00"},  # no time zone
        op("note", connection=1, text="x" * 5001, base_revision=0),
        op("note", text="which connection?", base_revision=0),
        op("note", scanned=tokens[LUCIA], text="too new", base_revision=7),
        good,
    )
    assert [(r["status"], r["reason"], r.get("field")) for r in results] == [
        ("rejected", "invalid", "id"),
        ("rejected", "invalid", "scanned"),
        ("rejected", "invalid", "kind"),
        ("rejected", "invalid", "at"),
        ("rejected", "invalid", "text"),
        ("rejected", "invalid", "connection"),
        ("rejected", "unknown_connection", None),  # Lucía is scanned only after it
        ("applied", "created", None),
    ]
    assert results[0]["id"] == "not-a-uuid" and results[-1]["id"] == good["id"]
    # Each answer says its operation's kind; an object of no known kind is "unreadable".
    assert [r["kind"] for r in results] == [
        *("scan", "scan", "unreadable", "scan", "note", "note", "note", "scan")
    ]
    assert [c.scan_count for c in await connections_of(settings, PEDRO)] == [1]


async def test_the_api_schema_describes_every_operation_kind_and_every_result(
    client: AsyncTestClient[Any],
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    body = schema["components"]["schemas"]["SyncIn"]["properties"]["operations"]
    sent = {kind["properties"]["kind"]["enum"][0] for kind in body["items"]["oneOf"]}
    assert sent == {
        *("scan", "note", "tags", "remove", "connect_back", "checkin", "checkin_undo"),
        *("followup", "reminder", "reminders"),
    }
    reply = schema["components"]["schemas"]["SyncOut"]["properties"]["results"]["items"]
    answered = {
        schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]["properties"]["kind"][
            "const"
        ]
        for ref in reply["oneOf"]
    }
    assert answered == sent | {"unreadable"}


async def test_a_malformed_author_is_named_not_crashed_on(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    for author in (5, "x" * 321, ["pedro@example.org"]):
        body = {"operations": [scan(tokens[LUCIA])], "account": author}
        response = await client.post("/api/sync", json=body)
        assert (response.status_code, response.json()["code"], response.json()["field"]) == (
            400,
            "invalid_input",
            "account",
        )
    assert await connections_of(settings, PEDRO) == []


def test_two_domains_cannot_claim_one_operation_kind() -> None:
    with pytest.raises(ValueError, match="'scan'"):
        SyncEngine([ConnectionKinds(), ConnectionKinds()])


async def test_ids_out_of_range_and_nul_characters_are_named_not_crashed_on(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    good = scan(tokens[LUCIA])
    results = await sync(
        client,
        op("connect_back", attendee=2**63),
        op("note", connection=2**31, text="x", base_revision=0),
        op("note", scanned=tokens[LUCIA], text="a\x00b", base_revision=0),
        scan(tokens[ANA]) | {"event": "demo\x00"},
        op("tags", scanned=tokens[LUCIA], tags=["ok", "bad\x00"]),
        good,
        # A literal backslash-u0000 typed in a note is text, not a NUL.
        op("note", scanned=tokens[LUCIA], text="\\u0000 is fine", base_revision=0),
    )
    assert [(r["reason"], r.get("field")) for r in results] == [
        ("invalid", "attendee"),
        ("invalid", "connection"),
        ("invalid", "text"),
        ("invalid", "event"),
        ("invalid", "tags"),
        ("created", None),
        ("updated", None),
    ]
    [mine] = await connections_of(settings, PEDRO)
    assert mine.note == "\\u0000 is fine"


async def test_a_request_that_fails_does_not_fail_others_sent_with_it(settings: Settings) -> None:
    tokens = await event_with_people(settings)
    pedro, lucia = (await login_cookie(settings, PEDRO), await login_cookie(settings, LUCIA))
    engine = create_engine(settings)
    # On SQLite both requests land in one group transaction; it fails, and each is retried alone.
    outbox = open_writer(ENGINE, settings.database_url, session_factory(engine))
    try:
        # Not a list of objects: nothing the endpoint lets through, so it stands for any failure
        # that only one request's data provokes.
        broken = SyncRequest(lucia, ["not an operation"])  # type: ignore[list-item]
        fine = SyncRequest(pedro, [scan(tokens[ANA])])
        outcomes = await asyncio.gather(
            outbox.apply(broken), outbox.apply(fine), return_exceptions=True
        )
    finally:
        if isinstance(outbox, GroupCommitWriter):
            outbox.db_engine.dispose()
        await engine.dispose()
    assert isinstance(outcomes[0], AttributeError)
    assert [r.reason for r in outcomes[1]] == ["created"]  # type: ignore[union-attr]
    assert [c.scan_count for c in await connections_of(settings, PEDRO)] == [1]


async def test_a_batch_too_large_or_without_csrf_is_refused_whole(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    response = await client.post(
        "/api/sync", json={"operations": [scan(tokens[LUCIA]) for _ in range(201)]}
    )
    assert (response.status_code, response.json()["field"]) == (400, "operations")
    del client.headers["x-csrftoken"]
    response = await client.post("/api/sync", json={"operations": [scan(tokens[LUCIA])]})
    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")
    assert await connections_of(settings, PEDRO) == []


async def test_the_same_id_twice_in_one_batch_is_applied_once(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    twice = scan(tokens[LUCIA])
    first, second, changed = await sync(client, twice, twice, twice | {"scanned": tokens[ANA]})
    assert first["reason"] == "created"
    assert (second["reason"], second["original_reason"]) == ("duplicate", "created")
    assert changed["reason"] == "conflict_payload"
    assert [c.scan_count for c in await connections_of(settings, PEDRO)] == [1]


class ServerKilled(Exception):
    """Stands for the process dying: nothing after it runs, the transaction never commits."""


async def account_id(settings: Settings, email: str) -> int:
    async def work(session: AsyncSession) -> int:
        found = await session.scalar(select(Account.id).where(Account.email == email))
        assert found is not None
        return int(found)

    found: int = await run_in_db(settings, work)
    return found


def apply_as(account: int, operations: list[dict[str, Any]]) -> Any:
    def work(db: Session) -> list[Any]:
        return ENGINE.apply_operations(db, db.get_one(Account, account), operations)

    return work


async def test_a_server_killed_mid_batch_then_replayed_applies_each_operation_once(
    client: AsyncTestClient[Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    batch = mixed_batch(tokens)
    pedro = await account_id(settings, PEDRO)
    applied = Group.apply
    seen: list[str] = []

    def apply_then_die(self: Group, account: Any, operation: Any, digest: str) -> Any:
        if len(seen) == 3:
            raise ServerKilled
        seen.append(str(operation.id))
        return applied(self, account, operation, digest)

    monkeypatch.setattr(Group, "apply", apply_then_die)
    engine = create_engine(settings)
    try:
        with pytest.raises(ServerKilled):
            async with transaction(session_factory(engine)) as session:
                await session.run_sync(apply_as(pedro, batch))
    finally:
        await engine.dispose()
    monkeypatch.setattr(Group, "apply", applied)
    assert len(seen) == 3
    assert await connections_of(settings, PEDRO) == [] and await recorded_count(settings) == 0

    results = await sync(client, *batch)
    assert [r["reason"] for r in results] == ["created", "created", "merged", "updated", "updated"]
    assert sorted(c.scan_count for c in await connections_of(settings, PEDRO)) == [1, 2]


async def test_a_batch_committed_but_never_answered_is_answered_on_replay(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    batch = mixed_batch(tokens)
    pedro = await account_id(settings, PEDRO)
    # The first half was committed, then the connection dropped before the reply.
    await run_in_db(settings, lambda session: session.run_sync(apply_as(pedro, batch[:3])))
    results = await sync(client, *batch)
    assert [r["reason"] for r in results] == ["duplicate"] * 3 + ["updated", "updated"]
    assert [r.get("original_reason") for r in results[:3]] == ["created", "created", "merged"]
    assert sorted(c.scan_count for c in await connections_of(settings, PEDRO)) == [1, 2]


async def test_two_transactions_applying_one_batch_apply_it_once(settings: Settings) -> None:
    tokens = await event_with_people(settings)
    await add_account(settings, PEDRO)
    pedro = await account_id(settings, PEDRO)
    batch = mixed_batch(tokens)
    first, second = create_engine(settings), create_engine(settings)
    started = asyncio.Event()

    async def late() -> list[Any]:
        started.set()
        async with transaction(session_factory(second)) as session:
            results: list[Any] = await session.run_sync(apply_as(pedro, batch))
            return results

    try:
        async with transaction(session_factory(first)) as session:
            early = await session.run_sync(apply_as(pedro, batch))
            waiting = asyncio.create_task(late())
            await started.wait()
            await asyncio.sleep(0.3)  # the second is now blocked behind the first
            assert not waiting.done()
        replayed = await waiting
    finally:
        await first.dispose()
        await second.dispose()
    assert [r.reason for r in early] == ["created", "created", "merged", "updated", "updated"]
    assert [r.reason for r in replayed] == ["duplicate"] * len(batch)
    assert sorted(c.scan_count for c in await connections_of(settings, PEDRO)) == [1, 2]


async def test_operations_of_several_people_share_a_commit_but_not_their_results(
    settings: Settings,
) -> None:
    tokens = await event_with_people(settings)
    async with (
        signed_in_client(settings, PEDRO) as pedro,
        signed_in_client(settings, LUCIA) as lucia,
        signed_in_client(settings, ANA) as ana,
    ):
        lucia.cookies.set("enlace_session", "not-a-session")
        signed_out = lucia.post("/api/sync", json={"operations": [scan(tokens[PEDRO])]})
        pedros, refused, anas = await asyncio.gather(
            sync(pedro, scan(tokens[LUCIA])),
            signed_out,
            sync(ana, scan(tokens[LUCIA]), scan(tokens[ANA])),
        )
    assert pedros[0]["reason"] == "created"
    assert refused.status_code == 401
    assert [r["reason"] for r in anas] == ["created", "self_scan"]
    assert await connections_of(settings, LUCIA) == []


async def test_a_replay_for_another_account_is_its_own_operation(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    operation = scan(tokens[ANA])
    await sign_in(client, settings, PEDRO)
    assert (await sync(client, operation))[0]["reason"] == "created"
    await client.post("/api/auth/signout")
    await sign_in(client, settings, LUCIA)
    assert (await sync(client, operation))[0]["reason"] == "created"


async def test_replies_carry_the_id_as_the_phone_wrote_it(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    operation = scan(tokens[LUCIA])
    shouted = operation | {"id": operation["id"].upper()}
    [first] = await sync(client, shouted)
    assert (first["id"], first["reason"]) == (shouted["id"], "created")
    [again] = await sync(client, operation)  # the same operation, its id written another way
    assert (again["id"], again["reason"]) == (operation["id"], "duplicate")


async def test_operations_older_than_the_keep_period_are_forgotten_at_start_up(
    settings: Settings,
) -> None:
    tokens = await event_with_people(settings)
    async with signed_in_client(settings, PEDRO) as pedro:
        old, recent = scan(tokens[LUCIA]), scan(tokens[ANA])
        await sync(pedro, old, recent)

    async def age(session: AsyncSession) -> None:
        await session.execute(
            update(SyncOperation)
            .where(SyncOperation.op_id == old["id"])
            .values(created_at=utcnow() - timedelta(days=31))
        )

    await run_in_db(settings, age)
    assert await recorded_count(settings) == 2
    async with signed_in_client(settings, PEDRO):  # a new server starts: the upkeep runs
        for _ in range(100):
            if await recorded_count(settings) == 1:
                break
            await asyncio.sleep(0.05)

    async def kept(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(SyncOperation.op_id)))

    assert await run_in_db(settings, kept) == [recent["id"]]
