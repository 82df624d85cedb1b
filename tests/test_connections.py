"""Connections through the API: scan, merge, notes and tags, connect back, remove, the directory."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.auth.service import start_login_session
from api.badges.service import issue_missing_badges
from api.badges.tokens import display_code, token_from_scan
from api.dependencies import SESSION_COOKIE
from api.models import Account, Attendee, Badge, Connection, EventRole
from api.settings import Settings
from tests.conftest import add_account, add_attendee, add_event, arm_csrf, run_in_db, sign_in

pytestmark = pytest.mark.anyio
EVENT = "demo-event"
LUCIA = "lucia@example.org"
PEDRO = "pedro@example.org"
ANA = "ana@example.org"
ORGANIZER = "orga@example.org"
MET = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


async def event_with_people(settings: Settings) -> dict[str, str]:
    """An event with three attendees and an organizer who is not one; their badge tokens."""
    event_id = await add_event(settings, EVENT, name="Congreso Abierto")
    await add_attendee(
        settings,
        event_id,
        LUCIA,
        name="Lucía García",
        organization="DataLab",
        role="Data engineer",
        phone="+34 600 000 000",
        interests=["Open data"],
        shared_fields=["interests"],
    )
    await add_attendee(settings, event_id, PEDRO, name="Pedro Ruiz", organization="Acme")
    await add_attendee(settings, event_id, ANA, name="Ana Pérez", organization="Universidad")
    await add_account(settings, ORGANIZER)

    async def organizer_and_badges(session: AsyncSession) -> dict[str, str]:
        account_id = await session.scalar(select(Account.id).where(Account.email == ORGANIZER))
        session.add(EventRole(event_id=event_id, account_id=account_id, role="organizer"))
        await issue_missing_badges(session, event_id)
        rows = await session.execute(
            select(Attendee.email, Badge.token).join(Badge, Badge.attendee_id == Attendee.id)
        )
        return dict(rows.all())

    tokens: dict[str, str] = await run_in_db(settings, organizer_and_badges)
    return tokens


def badge_url(token: str) -> str:
    return f"HTTP://TESTSERVER.LOCAL/B/{token}"


def op(kind: str, at: datetime = MET, event: str = EVENT, **fields: Any) -> dict[str, Any]:
    """An outbox operation as the phone stores it: a fresh UUID, when it happened, its fields."""
    return {"id": str(uuid.uuid4()), "kind": kind, "event": event, "at": at.isoformat(), **fields}


def scan(token: str, at: datetime = MET, **fields: Any) -> dict[str, Any]:
    return op("scan", at, scanned=badge_url(token), **fields)


async def sync(
    client: AsyncTestClient[Any], *operations: dict[str, Any], **options: Any
) -> list[dict[str, Any]]:
    response = await client.post("/api/sync", json={"operations": list(operations), **options})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def act_as(client: AsyncTestClient[Any], settings: Settings, email: str) -> None:
    await client.post("/api/auth/signout")
    await sign_in(client, settings, email)


async def login_cookie(settings: Settings, email: str) -> str:
    """A session cookie for `email`, made directly (many clients would hit the mail limit)."""

    async def work(session: AsyncSession) -> str:
        account = await session.scalar(select(Account).where(Account.email == email))
        if account is None:
            account = Account(email=email)
            session.add(account)
            await session.flush()
        return await start_login_session(session, settings, account)

    cookie: str = await run_in_db(settings, work)
    return cookie


@asynccontextmanager
async def signed_in_client(
    settings: Settings, email: str, clock: Callable[[], float] = time.time
) -> AsyncIterator[AsyncTestClient[Any]]:
    """A client of its own app (its own engine and connections), signed in as `email`."""
    async with AsyncTestClient(app=create_app(settings, clock)) as client:
        await arm_csrf(client)
        client.cookies.set(SESSION_COOKIE, await login_cookie(settings, email))
        yield client


async def get_json(client: AsyncTestClient[Any], path: str) -> Any:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def connections_of(settings: Settings, email: str) -> list[Connection]:
    async def work(session: AsyncSession) -> list[Connection]:
        owner = await session.scalar(select(Attendee.id).where(Attendee.email == email))
        return list(await session.scalars(select(Connection).where(Connection.owner_id == owner)))

    found: list[Connection] = await run_in_db(settings, work)
    return found


async def test_a_scan_creates_a_connection_and_shows_only_the_shared_card(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    [result] = await sync(client, first := scan(tokens[LUCIA]))
    assert result == {
        "kind": "scan",
        "id": first["id"],
        "status": "applied",
        "reason": "created",
        "connection": result["connection"],
        "attendee": result["attendee"],
        "card": {"name": "Lucía García", "organization": "DataLab", "interests": ["Open data"]},
        "mutual": False,
    }
    [mine] = await get_json(client, f"/api/events/{EVENT}/connections")
    assert mine["id"] == result["connection"] and mine["scan_count"] == 1
    assert mine["card"] == result["card"]  # no phone, no role: Lucía did not share them
    assert mine["first_met_at"] == mine["last_met_at"] == "2026-03-10T10:00:00Z"


async def test_scanning_the_same_person_again_merges_into_one_connection(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    later, earlier = MET + timedelta(hours=3), MET - timedelta(hours=1)
    first, again, typed = await sync(
        client,
        scan(tokens[LUCIA]),
        scan(tokens[LUCIA], at=later),
        # The code typed by hand, queued on a phone whose outbox synced late.
        op("scan", earlier, scanned=display_code(tokens[LUCIA]).lower()),
    )
    assert [r["reason"] for r in (first, again, typed)] == ["created", "merged", "merged"]
    assert first["connection"] == again["connection"] == typed["connection"]
    [mine] = await get_json(client, f"/api/events/{EVENT}/connections")
    assert mine["scan_count"] == 3
    assert mine["first_met_at"] == "2026-03-10T09:00:00Z"
    assert mine["last_met_at"] == "2026-03-10T13:00:00Z"


async def test_refused_scans_have_stable_reasons(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    other_event = await add_event(settings, "other-event")
    await add_attendee(settings, other_event, "zoe@example.org", name="Zoë")
    await add_attendee(settings, other_event, PEDRO, name="Pedro Ruiz")
    zoe_token = await run_in_db(
        settings,
        lambda session: _token_after_issue(session, other_event, "zoe@example.org"),
    )
    revoked = await run_in_db(settings, lambda session: _reissue(session, ANA))
    await sign_in(client, settings, PEDRO)
    results = await sync(
        client,
        scan(tokens[PEDRO]),
        scan("0" * 28),
        op("scan", scanned="https://example.org/not-a-badge"),
        scan(revoked),
        scan(zoe_token),  # a badge of another event Pedro attends, scanned in this one
        op("scan", event="no-such-event", scanned=tokens[LUCIA]),
    )
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "self_scan"),
        ("rejected", "unknown_badge"),
        ("rejected", "unknown_badge"),
        ("rejected", "revoked"),
        ("rejected", "unknown_badge"),
        ("rejected", "not_in_event"),
    ]
    assert all(r["detail"] and "card" not in r for r in results)
    assert await connections_of(settings, PEDRO) == []


async def _token_after_issue(session: AsyncSession, event_id: int, email: str) -> str:
    await issue_missing_badges(session, event_id)
    token = await session.scalar(
        select(Badge.token)
        .join(Attendee, Attendee.id == Badge.attendee_id)
        .where(Attendee.email == email, Attendee.event_id == event_id)
    )
    assert token is not None
    return token


async def _reissue(session: AsyncSession, email: str) -> str:
    """Reissue the attendee's badge; answer the old, now revoked, token."""
    from api.badges.service import reissue_badge

    attendee = await session.scalar(select(Attendee).where(Attendee.email == email))
    assert attendee is not None
    old = await session.scalar(
        select(Badge.token).where(Badge.attendee_id == attendee.id, Badge.revoked_at.is_(None))
    )
    await reissue_badge(session, attendee)
    assert old is not None
    return old


async def test_scans_of_people_no_longer_in_the_event_are_refused(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    other_event = await add_event(settings, "other-event")
    await add_attendee(settings, other_event, "zoe@example.org", name="Zoë")
    # Ana is deleted (her account, or by the organizer): her badge row stays, emptied.
    await run_in_db(settings, lambda s: s.execute(delete(Attendee).where(Attendee.email == ANA)))
    await sign_in(client, settings, PEDRO)
    [removed] = await sync(client, scan(tokens[ANA]))
    assert (removed["status"], removed["reason"]) == ("rejected", "deleted_account")
    assert removed["detail"] and "card" not in removed
    looked_up = await client.get(f"/api/badges/{tokens[ANA]}")
    assert (looked_up.status_code, looked_up.json()["code"]) == (410, "deleted_account")
    # To someone outside the event, the token is as unknown as one that never existed.
    await act_as(client, settings, "zoe@example.org")
    looked_up = await client.get(f"/api/badges/{tokens[ANA]}")
    assert (looked_up.status_code, looked_up.json()["code"]) == (404, "unknown_badge")
    [outsider] = await sync(client, op("scan", event="other-event", scanned=tokens[ANA]))
    assert outsider["reason"] == "unknown_badge"


async def test_the_card_of_a_scan_says_what_to_talk_about_and_the_save_reply_does_not(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    # The card view shows the starters; the outbox saving the contact only needs the card.
    shown = await get_json(client, f"/api/badges/{tokens[LUCIA]}")
    # What to talk about, in Pedro's language, from what Lucía shares (not her role).
    assert [s["reason"] for s in shown["starters"]] == [
        {"kind": "organization", "terms": ["DataLab"]},
        {"kind": "interests", "terms": ["Open data"]},
    ]
    assert "Lucía" in shown["starters"][0]["text"] and "Pregúntale" in shown["starters"][0]["text"]
    [saved] = await sync(client, scan(tokens[LUCIA]))
    assert saved["card"] == shown["card"] and "starters" not in saved
    response = await client.post(
        "/api/sync", json={"operations": [scan(tokens[LUCIA])], "starters": True}
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_input")


async def test_operations_written_as_another_account_are_refused_whole(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    # A tab still showing Lucía sends her outbox after Pedro signed in on the same phone.
    response = await client.post(
        "/api/sync", json={"operations": [scan(tokens[ANA])], "account": LUCIA}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "account_mismatch"
    assert await connections_of(settings, PEDRO) == []
    # His own, named as his (in any case), go through.
    [mine] = await sync(client, scan(tokens[ANA]), account=PEDRO.upper())
    assert mine["reason"] == "created"


async def test_only_attendees_connect_and_read_connections(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, ORGANIZER)  # organizes the event, is not an attendee
    [result] = await sync(client, scan(tokens[LUCIA]))
    assert (result["status"], result["reason"]) == ("rejected", "not_in_event")
    for path in ("connections", "connected-with-me", "directory"):
        response = await client.get(f"/api/events/{EVENT}/{path}")
        assert (response.status_code, response.json()["code"]) == (404, "event_not_found")
    await client.post("/api/auth/signout")
    assert (await client.post("/api/sync", json={"operations": []})).status_code == 401


async def test_notes_and_tags_are_never_shown_to_the_other_person(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    secret = "Seems bored by her job: offer the data role"
    made, noted, tagged = await sync(
        client,
        scan(tokens[LUCIA]),
        op("note", scanned=badge_url(tokens[LUCIA]), text=secret, base_revision=0),
        op("tags", scanned=badge_url(tokens[LUCIA]), tags=["hiring", " follow  up ", "Hiring"]),
    )
    assert (noted["reason"], noted["note"], noted["note_revision"]) == ("updated", secret, 1)
    assert tagged["tags"] == ["hiring", "follow up"]
    assert noted["connection"] == tagged["connection"] == made["connection"]

    await act_as(client, settings, LUCIA)
    responses = [
        await client.get(f"/api/events/{EVENT}/{path}")
        for path in ("connections", "connected-with-me", "directory")
    ]
    assert all(r.status_code == 200 for r in responses)
    assert all(secret not in r.text and "hiring" not in r.text for r in responses)
    [pedro] = responses[1].json()
    assert set(pedro) == {"attendee", "card", "first_met_at", "mutual"}
    assert pedro["card"] == {"name": "Pedro Ruiz", "organization": "Acme"}
    assert responses[0].json() == []
    # Nor can Lucía edit Pedro's connection by naming its id.
    [refused] = await sync(
        client, op("note", connection=made["connection"], text="mine now", base_revision=1)
    )
    assert (refused["status"], refused["reason"]) == ("rejected", "unknown_connection")


async def test_a_note_edited_on_two_devices_keeps_both_texts(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    [made] = await sync(client, scan(tokens[LUCIA]))
    connection = made["connection"]
    [first] = await sync(
        client, op("note", connection=connection, text="Met at the coffee", base_revision=0)
    )
    assert first["note_revision"] == 1
    # The phone and the tablet were both offline at revision 1 and edited it differently.
    phone_edit = "Met at the coffee. Call on Monday"
    tablet_edit = "Met at the coffee; send the paper"
    [phone] = await sync(
        client, op("note", connection=connection, text=phone_edit, base_revision=1)
    )
    assert (phone["reason"], phone["note"], phone["note_revision"]) == ("updated", phone_edit, 2)
    later = MET + timedelta(minutes=5)
    [tablet] = await sync(
        client, op("note", later, connection=connection, text=tablet_edit, base_revision=1)
    )
    assert (tablet["status"], tablet["reason"], tablet["note_revision"]) == (
        "applied",
        "merged_conflict",
        3,
    )
    note = tablet["note"]
    assert "Call on Monday" in note and "send the paper" in note
    assert "También escrito en otro dispositivo (2026-03-10 10:05 UTC)" in note
    [mine] = await get_json(client, f"/api/events/{EVENT}/connections")
    assert (mine["note"], mine["note_revision"]) == (note, 3)
    # An edit that already holds the current text loses nothing by replacing it.
    [extended] = await sync(
        client, op("note", connection=connection, text=note + "\nDone.", base_revision=2)
    )
    assert (extended["reason"], extended["note"]) == ("merged_conflict", note + "\nDone.")


async def test_my_connections_can_be_searched_and_filtered_by_tag(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    await sync(
        client,
        scan(tokens[LUCIA]),
        scan(tokens[ANA], at=MET + timedelta(hours=1)),
        op("tags", scanned=tokens[ANA], tags=["Partner"]),
    )
    base = f"/api/events/{EVENT}/connections"
    everyone = await get_json(client, base)
    assert [c["card"]["name"] for c in everyone] == ["Ana Pérez", "Lucía García"]  # latest first
    assert [c["card"]["name"] for c in await get_json(client, f"{base}?q=garcia")] == [
        "Lucía García"
    ]
    assert [c["card"]["name"] for c in await get_json(client, f"{base}?q=universidad")] == [
        "Ana Pérez"
    ]
    assert [c["card"]["name"] for c in await get_json(client, f"{base}?tag=partner")] == [
        "Ana Pérez"
    ]
    assert await get_json(client, f"{base}?tag=hiring") == []


async def test_connecting_back_makes_both_directions_mutual(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    [made] = await sync(client, scan(tokens[LUCIA]))
    await act_as(client, settings, LUCIA)
    [pedro] = await get_json(client, f"/api/events/{EVENT}/connected-with-me")
    assert pedro["mutual"] is False
    back, nobody = await sync(
        client,
        op("connect_back", at=MET + timedelta(hours=1), attendee=pedro["attendee"]),
        # Ana never connected with Lucía: nothing to connect back to.
        op("connect_back", attendee=made["attendee"] + 1000),
    )
    assert (back["reason"], back["mutual"]) == ("created", True)
    assert back["card"] == {"name": "Pedro Ruiz", "organization": "Acme"}
    assert (nobody["status"], nobody["reason"]) == ("rejected", "not_connected")
    [mine] = await get_json(client, f"/api/events/{EVENT}/connections")
    assert (mine["mutual"], mine["scan_count"], mine["first_met_at"]) == (
        True,
        0,
        "2026-03-10T10:00:00Z",
    )
    assert (await get_json(client, f"/api/events/{EVENT}/connected-with-me"))[0]["mutual"] is True
    await act_as(client, settings, PEDRO)
    [theirs] = await get_json(client, f"/api/events/{EVENT}/connections")
    assert theirs["mutual"] is True


async def test_removing_hides_a_connection_and_a_new_scan_restores_it(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    made, _ = await sync(
        client,
        scan(tokens[LUCIA]),
        op("note", scanned=tokens[LUCIA], text="Ask about the dataset", base_revision=0),
    )
    [removed] = await sync(
        client, op("remove", MET + timedelta(hours=1), connection=made["connection"])
    )
    assert (removed["status"], removed["reason"]) == ("applied", "removed")
    assert await get_json(client, f"/api/events/{EVENT}/connections") == []
    await act_as(client, settings, LUCIA)
    assert await get_json(client, f"/api/events/{EVENT}/connected-with-me") == []

    await act_as(client, settings, PEDRO)
    # A scan made before the removal (synced late) does not undo it; a later one does.
    [stale] = await sync(client, scan(tokens[LUCIA], at=MET + timedelta(minutes=30)))
    assert stale["reason"] == "merged"
    assert await get_json(client, f"/api/events/{EVENT}/connections") == []
    [again] = await sync(client, scan(tokens[LUCIA], at=MET + timedelta(hours=2)))
    assert (again["reason"], again["connection"]) == ("merged", made["connection"])
    [mine] = await get_json(client, f"/api/events/{EVENT}/connections")
    assert (mine["note"], mine["scan_count"]) == ("Ask about the dataset", 3)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def client_directory_key(salt: str, scanned: str) -> str:
    """What the PWA computes with SubtleCrypto: HMAC-SHA256(salt, token), 16 bytes, base64url."""
    token = token_from_scan(scanned)
    assert token is not None
    digest = hmac.new(_unb64(salt), token.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def open_entry(salt: str, scanned: str, entry: dict[str, Any]) -> dict[str, Any]:
    """What the PWA does with the scanned token: derive the card key, open the sealed box."""
    token = token_from_scan(scanned)
    assert token is not None
    sealing = hmac.new(_unb64(salt), b"card|" + token.encode(), hashlib.sha256).digest()
    plain = AESGCM(sealing).decrypt(
        _unb64(entry["nonce"]), _unb64(entry["box"]), _unb64(entry["key"])
    )
    opened: dict[str, Any] = json.loads(plain)
    return opened


async def test_the_directory_opens_a_card_only_with_its_badge(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    revoked = await run_in_db(settings, lambda session: _reissue(session, ANA))
    await sign_in(client, settings, PEDRO)
    response = await client.get(f"/api/events/{EVENT}/directory")
    assert response.headers["cache-control"] == "private, no-cache"
    found = response.json()
    assert (found["algorithm"], found["key_bytes"]) == ("HMAC-SHA256/AES-256-GCM", 16)
    for token in (*tokens.values(), revoked):
        assert token not in response.text and display_code(token) not in response.text
    # Nobody's name, organization or attendee id can be read without their badge: not in what
    # the directory says in the clear, and not in the sealed bytes. (The base64 text itself is
    # random letters: "Ana" turns up in it by chance about once in a thousand runs.)
    clear = json.dumps({k: v for k, v in found.items() if k != "entries"}, ensure_ascii=False)
    sealed = [_unb64(entry["box"]) for entry in found["entries"]]
    assert all(set(entry) == {"key", "nonce", "box"} for entry in found["entries"])
    for secret in ("Lucía", "DataLab", "Pedro", "Ana", '"attendee"', '"card"', '"name"'):
        assert secret not in clear
        if len(secret) > 4:  # four random bytes match by chance once in billions
            assert not any(secret.encode() in box for box in sealed)
    entries = {entry["key"]: entry for entry in found["entries"]}
    assert len(entries) == 3  # Lucía, Pedro, Ana's new badge; never a revoked token
    lucia = entries[client_directory_key(found["salt"], badge_url(tokens[LUCIA]))]
    assert open_entry(found["salt"], tokens[LUCIA], lucia)["card"] == {
        "name": "Lucía García",
        "organization": "DataLab",
        "interests": ["Open data"],
    }
    typed = client_directory_key(found["salt"], display_code(tokens[LUCIA]).lower())
    assert entries[typed] == lucia
    assert client_directory_key(found["salt"], revoked) not in entries
    # Another badge's token does not open it (the key and the box are bound to one token).
    with pytest.raises(InvalidTag):
        open_entry(found["salt"], tokens[ANA], lucia)
    mine = entries[client_directory_key(found["salt"], tokens[PEDRO])]
    assert open_entry(found["salt"], tokens[PEDRO], mine)["attendee"] == found["me"]


async def test_people_who_turn_the_offline_card_off_are_left_out_of_the_directory(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, LUCIA)
    response = await client.patch(f"/api/events/{EVENT}/me", json={"offline_card": False})
    assert response.status_code == 200, response.text
    assert response.json()["offline_card"] is False
    await act_as(client, settings, PEDRO)
    found = await get_json(client, f"/api/events/{EVENT}/directory")
    keys = {entry["key"] for entry in found["entries"]}
    assert client_directory_key(found["salt"], tokens[LUCIA]) not in keys
    assert client_directory_key(found["salt"], tokens[ANA]) in keys
    # Online, a scan of her badge still connects and shows her card.
    [made] = await sync(client, scan(tokens[LUCIA]))
    assert made["card"]["name"] == "Lucía García"


async def test_the_directory_key_differs_between_events(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    other = await add_event(settings, "other-event")
    await add_attendee(settings, other, PEDRO, name="Pedro Ruiz")
    await sign_in(client, settings, PEDRO)
    first = await get_json(client, f"/api/events/{EVENT}/directory")
    second = await get_json(client, "/api/events/other-event/directory")
    assert first["salt"] != second["salt"]
    assert client_directory_key(first["salt"], tokens[LUCIA]) in {
        e["key"] for e in first["entries"]
    }


async def test_a_connection_with_a_deleted_person_disappears(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    tokens = await event_with_people(settings)
    await sign_in(client, settings, PEDRO)
    await sync(client, scan(tokens[LUCIA]), scan(tokens[ANA]))
    await run_in_db(settings, lambda s: s.execute(delete(Attendee).where(Attendee.email == ANA)))
    assert [
        c["card"]["name"] for c in await get_json(client, f"/api/events/{EVENT}/connections")
    ] == ["Lucía García"]
