"""Check-in through the outbox: exactly once, every attempt kept, staff and posters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.attendees.directory import directory_key
from api.badges.tokens import new_token
from api.checkin.attendance import counts
from api.models import (
    Account,
    Attendee,
    Badge,
    Checkin,
    EventRole,
    EventSession,
    Poster,
    SessionRegistration,
    utcnow,
)
from api.settings import Settings
from tests.conftest import add_account, add_attendee, add_event, run_in_db
from tests.test_connections import (
    ANA,
    EVENT,
    LUCIA,
    MET,
    ORGANIZER,
    PEDRO,
    badge_url,
    event_with_people,
    op,
    signed_in_client,
    sync,
)

pytestmark = pytest.mark.anyio
DOOR = "door@example.org"
DOOR_TWO = "door2@example.org"
OPENING = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


async def checkin_event(settings: Settings) -> dict[str, Any]:
    """The connections' event, two check-in staff, a keynote, a restricted workshop (Ana is
    registered) and a poster for each room; badge tokens, session ids and poster tokens."""
    tokens = await event_with_people(settings)
    for email in (DOOR, DOOR_TWO):
        await add_account(settings, email)

    async def work(session: AsyncSession) -> dict[str, Any]:
        event_id = await session.scalar(select(Attendee.event_id).where(Attendee.email == ANA))
        for email in (DOOR, DOOR_TWO):
            account = await session.scalar(select(Account.id).where(Account.email == email))
            session.add(EventRole(event_id=event_id, account_id=account, role="staff"))
        keynote = EventSession(
            event_id=event_id,
            title="Keynote",
            room="Main hall",
            starts_at=OPENING,
            ends_at=OPENING + timedelta(hours=1),
        )
        workshop = EventSession(
            event_id=event_id,
            title="Data workshop",
            room="Room 2",
            starts_at=OPENING + timedelta(hours=2),
            ends_at=OPENING + timedelta(hours=3),
            restricted=True,
        )
        session.add_all([keynote, workshop])
        await session.flush()
        ana = await session.scalar(select(Attendee.id).where(Attendee.email == ANA))
        assert ana is not None
        session.add(SessionRegistration(session_id=workshop.id, attendee_id=ana))
        posters = {room: new_token() for room in ("Main hall", "Room 2")}
        for room, token in posters.items():
            session.add(Poster(event_id=event_id, room=room, token=token))
        people = dict((await session.execute(select(Attendee.email, Attendee.id))).all())
        return {
            "event": event_id,
            "keynote": keynote.id,
            "workshop": workshop.id,
            "posters": posters,
            "people": people,
        }

    found: dict[str, Any] = await run_in_db(settings, work)
    return {"tokens": tokens, **found}


def checkin(place: Any = "entrance", at: datetime = MET, **fields: Any) -> dict[str, Any]:
    return op("checkin", at=at, place=place, **fields)


async def attempts(settings: Settings) -> list[Checkin]:
    async def work(session: AsyncSession) -> list[Checkin]:
        return list(await session.scalars(select(Checkin).order_by(Checkin.id)))

    rows: list[Checkin] = await run_in_db(settings, work)
    return rows


async def checked_in_people(settings: Settings, session_id: int | None = None) -> int:
    async def work(session: AsyncSession) -> int:
        query = select(func.count(func.distinct(Checkin.attendee_id))).where(counts())
        if session_id is not None:
            query = query.where(Checkin.session_id == session_id)
        return int(await session.scalar(query) or 0)

    count: int = await run_in_db(settings, work)
    return count


async def test_a_badge_checks_in_once_however_often_the_operation_is_replayed(
    settings: Settings,
) -> None:
    seen = await checkin_event(settings)
    operation = checkin(scanned=badge_url(seen["tokens"][LUCIA]))
    async with signed_in_client(settings, DOOR) as phone:
        [first] = await sync(phone, operation)
        replies = [(await sync(phone, operation))[0] for _ in range(3)]
    assert (first["status"], first["reason"]) == ("applied", "checked_in")
    assert (first["name"], first["organization"], first["place"]) == (
        "Lucía García",
        "DataLab",
        "entrance",
    )
    assert {(r["reason"], r["original_reason"], r["replayed"]) for r in replies} == {
        ("duplicate", "checked_in", True)
    }
    [row] = await attempts(settings)
    assert (row.outcome, row.method, row.session_id, row.at) == ("checked_in", "badge", None, MET)
    assert row.scanned == ""  # only refused attempts keep what was scanned
    # Made in March, received now: it waited on a phone, so it was made offline.
    assert row.offline is True
    async with signed_in_client(settings, DOOR) as phone:
        await sync(phone, checkin(scanned=seen["tokens"][PEDRO], at=utcnow()))
    assert [r.offline for r in await attempts(settings)] == [True, False]


async def test_the_same_operation_from_two_phones_at_once_makes_one_record(
    settings: Settings,
) -> None:
    seen = await checkin_event(settings)
    operation = checkin(scanned=seen["tokens"][PEDRO], offline=True)
    async with (
        signed_in_client(settings, DOOR) as phone,
        signed_in_client(settings, DOOR) as tablet,
    ):
        both = await asyncio.gather(sync(phone, operation), sync(tablet, operation))
    reasons = sorted(result[0]["reason"] for result in both)
    assert reasons == ["checked_in", "duplicate"]
    [row] = await attempts(settings)
    assert row.offline is True


async def test_two_entrances_checking_one_person_give_two_records_and_one_person(
    settings: Settings,
) -> None:
    seen = await checkin_event(settings)
    token = seen["tokens"][ANA]
    later = MET + timedelta(minutes=3)
    async with (
        signed_in_client(settings, DOOR) as north,
        signed_in_client(settings, DOOR_TWO) as south,
    ):
        [first] = await sync(north, checkin(scanned=token))
        # Made offline before the other was known, synced later: kept as made, not an error.
        [second] = await sync(south, checkin(scanned=token, at=later, offline=True))
    assert first["reason"] == "checked_in"
    assert (second["status"], second["reason"]) == ("applied", "already")
    assert datetime.fromisoformat(second["first_at"]) == MET
    assert second["first_method"] == "badge"
    assert [row.outcome for row in await attempts(settings)] == ["checked_in", "already"]
    assert await checked_in_people(settings) == 1


async def test_refused_check_ins_are_kept_with_their_reason(settings: Settings) -> None:
    seen = await checkin_event(settings)
    other_event = await add_event(settings, "other-event")
    await add_attendee(settings, other_event, "x@example.org", name="Xavier")

    async def change_badges(session: AsyncSession) -> dict[str, str]:
        # Lucía's badge is replaced; Pedro leaves the event; Xavier's badge is of another event.
        lucia_old = seen["tokens"][LUCIA]
        await session.execute(update(Badge).where(Badge.token == lucia_old).values(revoked_at=MET))
        await session.execute(
            update(Badge).where(Badge.token == seen["tokens"][PEDRO]).values(attendee_id=None)
        )
        xavier = await session.scalar(select(Attendee.id).where(Attendee.name == "Xavier"))
        foreign = new_token()
        session.add(Badge(event_id=other_event, attendee_id=xavier, token=foreign))
        return {
            "revoked": lucia_old,
            "deleted": seen["tokens"][PEDRO],
            "foreign": foreign,
            "xavier": xavier,
        }

    badges = await run_in_db(settings, change_badges)
    unknown = "0000-0000-0000-0000-0000-0000-0000"
    async with signed_in_client(settings, DOOR) as phone:
        results = await sync(
            phone,
            checkin(scanned=badges["revoked"]),
            checkin(scanned=badges["deleted"]),
            checkin(scanned=badges["foreign"]),
            checkin(scanned=unknown),
            checkin(attendee=badges["xavier"]),
        )
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "revoked"),
        ("rejected", "deleted_account"),
        ("rejected", "unknown_badge"),
        ("rejected", "unknown_badge"),
        ("rejected", "unknown_attendee"),
    ]
    assert all(r["detail"] for r in results)
    assert results[0]["name"] == "Lucía García"  # staff may ask for the current badge
    assert "name" not in results[2]  # nothing about another event's people
    rows = await attempts(settings)
    assert [row.outcome for row in rows] == [
        "revoked",
        "deleted_account",
        "unknown_badge",
        "unknown_badge",
        "unknown_attendee",
    ]
    assert rows[3].scanned == unknown and rows[3].attendee_id is None
    assert rows[2].attendee_id is None
    assert await checked_in_people(settings) == 0


async def test_manual_check_in_and_undo(settings: Settings) -> None:
    seen = await checkin_event(settings)
    pedro = seen["people"][PEDRO]
    made = checkin(place=seen["keynote"], attendee=pedro)
    async with signed_in_client(settings, DOOR) as phone:
        [done] = await sync(phone, made)
        assert (done["reason"], done["session_title"], done["room"]) == (
            "checked_in",
            "Keynote",
            "Main hall",
        )
        assert await checked_in_people(settings, seen["keynote"]) == 1
        undo = op("checkin_undo", checkin=made["id"])
        [undone] = await sync(phone, undo)
        [again] = await sync(phone, op("checkin_undo", checkin=made["id"]))
    assert (undone["status"], undone["reason"], undone["place"]) == (
        "applied",
        "undone",
        seen["keynote"],
    )
    assert (again["status"], again["reason"]) == ("rejected", "unknown_checkin")
    assert await checked_in_people(settings) == 0
    [row] = await attempts(settings)
    assert row.method == "manual" and row.undone_at is not None


async def test_staff_undo_only_their_own_check_ins(settings: Settings) -> None:
    seen = await checkin_event(settings)
    made = checkin(scanned=seen["tokens"][ANA])
    async with signed_in_client(settings, DOOR) as phone:
        await sync(phone, made)
    async with signed_in_client(settings, DOOR_TWO) as other:
        [refused] = await sync(other, op("checkin_undo", checkin=made["id"]))
    assert refused["reason"] == "unknown_checkin"
    assert await checked_in_people(settings) == 1


async def test_an_undo_in_the_same_batch_and_a_check_in_after_it(settings: Settings) -> None:
    seen = await checkin_event(settings)
    token = seen["tokens"][ANA]
    first = checkin(scanned=token)
    async with signed_in_client(settings, DOOR) as phone:
        results = await sync(
            phone,
            first,
            op("checkin_undo", checkin=first["id"]),
            checkin(scanned=token, at=MET + timedelta(minutes=1)),
        )
    # Undone, the next check-in is a first one again.
    assert [r["reason"] for r in results] == ["checked_in", "undone", "checked_in"]
    assert await checked_in_people(settings) == 1


async def test_restricted_sessions_admit_only_registered_people(settings: Settings) -> None:
    seen = await checkin_event(settings)
    workshop = seen["workshop"]
    async with signed_in_client(settings, DOOR) as phone:
        results = await sync(
            phone,
            checkin(place=workshop, scanned=seen["tokens"][ANA]),
            checkin(place=workshop, scanned=seen["tokens"][PEDRO]),
            # Sessions are counted apart from the entrance.
            checkin(place="entrance", scanned=seen["tokens"][PEDRO]),
        )
    assert [(r["status"], r["reason"]) for r in results] == [
        ("applied", "checked_in"),
        ("rejected", "not_registered"),
        ("applied", "checked_in"),
    ]
    assert await checked_in_people(settings, workshop) == 1
    assert await checked_in_people(settings) == 2


async def test_attendees_check_themselves_in_by_a_room_poster(settings: Settings) -> None:
    seen = await checkin_event(settings)
    base = utcnow().replace(microsecond=0)

    async def reschedule(session: AsyncSession) -> None:
        # A phone dates its own check-ins, so the sessions are placed around now.
        for session_id, starts in ((seen["keynote"], -180), (seen["workshop"], -50)):
            begin = base + timedelta(minutes=starts)
            await session.execute(
                update(EventSession)
                .where(EventSession.id == session_id)
                .values(starts_at=begin, ends_at=begin + timedelta(hours=1))
            )

    await run_in_db(settings, reschedule)
    hall = f"http://testserver.local/R/{seen['posters']['Main hall'].lower()}"
    room2 = seen["posters"]["Room 2"]
    early = base - timedelta(minutes=60)
    async with signed_in_client(settings, ANA) as phone:
        results = await sync(
            phone,
            op("checkin", at=base - timedelta(minutes=150), poster=hall),
            op("checkin", at=base - timedelta(minutes=90), poster=hall),
            op("checkin", at=early, poster=room2),
            op("checkin", at=base, poster=new_token()),
            # Dated more than a day before it arrived: not believed.
            op("checkin", at=base - timedelta(hours=25), poster=hall),
        )
    assert [(r["status"], r["reason"]) for r in results] == [
        ("applied", "checked_in"),
        ("rejected", "no_session"),
        ("applied", "checked_in"),
        ("rejected", "unknown_poster"),
        ("rejected", "too_late"),
    ]
    assert (results[0]["session_title"], results[0]["place"]) == ("Keynote", seen["keynote"])
    assert results[1]["room"] == "Main hall"
    assert results[2]["session_title"] == "Data workshop"  # starting within 15 minutes
    rows = await attempts(settings)
    assert [(r.method, r.by_account_id) for r in rows] == [("poster", None)] * 5
    async with signed_in_client(settings, PEDRO) as phone:
        [refused] = await sync(phone, op("checkin", at=early, poster=room2))
    assert refused["reason"] == "not_registered"


async def test_attendees_cannot_check_anyone_in_and_outsiders_learn_nothing(
    settings: Settings,
) -> None:
    seen = await checkin_event(settings)
    await add_account(settings, "stranger@example.org")
    for email, reason in ((ANA, "staff_only"), ("stranger@example.org", "not_in_event")):
        async with signed_in_client(settings, email) as phone:
            results = await sync(
                phone,
                checkin(scanned=seen["tokens"][PEDRO]),
                checkin(attendee=seen["people"][ANA]),
            )
            assert {r["reason"] for r in results} == {reason}
            listed = await phone.get(f"/api/events/{EVENT}/checkin/list")
            assert listed.status_code == 404
            assert listed.json()["code"] == "event_not_found"
    async with signed_in_client(settings, "stranger@example.org") as phone:
        poster = await phone.get(f"/api/posters/{seen['posters']['Main hall']}")
        assert poster.status_code == 404
        [refused] = await sync(phone, op("checkin", poster=seen["posters"]["Main hall"]))
        assert refused["reason"] == "not_in_event"
    assert await attempts(settings) == []


async def test_check_ins_that_cannot_be_read_name_the_field(settings: Settings) -> None:
    seen = await checkin_event(settings)
    token = seen["tokens"][ANA]
    async with signed_in_client(settings, DOOR) as phone:
        results = await sync(
            phone,
            checkin(scanned=token, attendee=seen["people"][ANA]),
            op("checkin", scanned=token),
            checkin(place=999_999, scanned=token),
            checkin(place="kitchen", scanned=token),
            op("checkin", place="entrance", poster=seen["posters"]["Room 2"]),
            checkin(scanned=token),
        )
    assert [(r["reason"], r.get("field")) for r in results] == [
        ("invalid", "scanned"),
        ("invalid", "place"),
        ("invalid", "place"),
        ("invalid", "place"),
        ("invalid", "place"),
        ("checked_in", None),
    ]


async def test_the_staff_list_holds_names_organizations_and_badge_status_only(
    settings: Settings,
) -> None:
    seen = await checkin_event(settings)
    async with signed_in_client(settings, DOOR) as phone:
        await sync(phone, checkin(scanned=seen["tokens"][LUCIA]))
        await sync(phone, checkin(place=seen["keynote"], scanned=seen["tokens"][LUCIA]))
        listed = await phone.get(f"/api/events/{EVENT}/checkin/list")
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "private, no-cache"
    body = listed.json()
    assert set(body) == {
        "event",
        "timezone",
        "salt",
        "sessions",
        "people",
        "badges",
        "generated_at",
    }
    people = {person[1]: person for person in body["people"]}
    assert set(people) == {"Lucía García", "Pedro Ruiz", "Ana Pérez"}
    lucia = people["Lucía García"]
    assert lucia[2] == "DataLab"
    assert set(lucia[3]) == {"entrance", str(seen["keynote"])}
    assert people["Pedro Ruiz"][3] == {}
    text = listed.text
    for private in (LUCIA, "+34 600 000 000", "Open data", "Data engineer"):
        assert private not in text
    for token in seen["tokens"].values():
        assert token not in text
    salt = __import__("base64").urlsafe_b64decode(body["salt"] + "==")
    keys = {badge[0]: badge[1] for badge in body["badges"]}
    assert keys[directory_key(salt, seen["tokens"][LUCIA])] == seen["people"][LUCIA]
    workshop = next(s for s in body["sessions"] if s["id"] == seen["workshop"])
    assert workshop["restricted"] is True and workshop["registered"] == [seen["people"][ANA]]
    async with signed_in_client(settings, ORGANIZER) as organizer:
        assert (await organizer.get(f"/api/events/{EVENT}/checkin/list")).status_code == 200


async def test_an_attendee_sees_the_room_behind_a_poster(settings: Settings) -> None:
    seen = await checkin_event(settings)
    async with signed_in_client(settings, ANA) as phone:
        found = await phone.get(f"/api/posters/{seen['posters']['Main hall']}")
        unknown = await phone.get(f"/api/posters/{new_token()}")
    assert found.status_code == 200
    body = found.json()
    assert (body["event"], body["room"]) == (EVENT, "Main hall")
    assert [s["title"] for s in body["sessions"]] == ["Keynote"]
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_poster")


async def test_an_unchanged_staff_list_is_a_304(settings: Settings) -> None:
    seen = await checkin_event(settings)
    path = f"/api/events/{EVENT}/checkin/list"
    async with signed_in_client(settings, DOOR) as phone:
        first = await phone.get(path)
        etag = first.headers["etag"]
        again = await phone.get(path, headers={"If-None-Match": etag})
        await sync(phone, checkin(scanned=seen["tokens"][ANA]))
        changed = await phone.get(path, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert changed.status_code == 200 and changed.headers["etag"] != etag
