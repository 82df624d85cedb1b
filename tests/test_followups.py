"""Follow-ups through the API: the list, status and reminders as outbox operations, the exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
import msgspec
import pytest
import vobject
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.badges.service import issue_missing_badges
from api.followups.service import followups_for_event
from api.models import Account, Attendee, Badge, Event, Followup
from api.settings import Settings
from tests.conftest import add_account, add_attendee, add_event, run_in_db
from tests.test_connections import get_json, op, signed_in_client, sync

pytestmark = pytest.mark.anyio
EVENT = "congreso"
LUCIA = "lucia@example.org"  # the writer: Spanish
PEDRO = "pedro@example.org"  # reads English (his account's language), shares his e-mail
NUR = "nur@example.org"  # Arabic name, no language known, shares nothing but her name
WANG = "wang@example.org"  # Chinese name, shares a phone, not his e-mail
MET = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
NOTE = "Trabaja en mapas de inundación; quiere datos, abiertos.\nEnviarle el artículo"
# The event ends on 2026-03-11 (Europe/Madrid): thank-you due 03-13, share 04-10, reach out 06-09.


def day(text: str, hour: int = 12) -> float:
    """A clock reading at `hour` UTC on the day `text`."""
    return datetime.fromisoformat(text).replace(hour=hour, tzinfo=UTC).timestamp()


def clock_at(text: str) -> Any:
    return lambda: day(text)


async def congress(settings: Settings) -> dict[str, str]:
    """The event, four attendees and their badge tokens."""
    event_id = await add_event(settings, EVENT, name="Congreso Abierto")
    await add_attendee(
        settings,
        event_id,
        LUCIA,
        name="Lucía Núñez",
        language="es",
        interests=["Open data", "Cartografía"],
        shared_fields=["interests"],
    )
    await add_account(settings, PEDRO, language="en")
    await add_attendee(
        settings,
        event_id,
        PEDRO,
        name="Pedro Ruiz",
        organization="Acme, S.L.",
        phone="+34 611 111 111",
        interests=["open data"],
        bio="Secret bio",
        shared_fields=["email", "interests"],
    )
    await add_attendee(
        settings, event_id, NUR, name="نور الهدى", phone="+20 100 000 0000", role="Hidden role"
    )
    await add_attendee(
        settings,
        event_id,
        WANG,
        name="王芳",
        organization="北京大学",
        phone="+86 10 1234 5678",
        shared_fields=["phone"],
    )

    async def badges(session: AsyncSession) -> dict[str, str]:
        await issue_missing_badges(session, event_id)
        rows = await session.execute(
            select(Attendee.email, Badge.token).join(Badge, Badge.attendee_id == Attendee.id)
        )
        return dict(rows.all())

    tokens: dict[str, str] = await run_in_db(settings, badges)
    return tokens


def fop(kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return op(kind, at, event=EVENT, **fields)


async def met_everyone(client: AsyncTestClient[Any], tokens: dict[str, str]) -> dict[str, int]:
    """Lucía scans the three others (Pedro last), notes and tags Pedro; connection ids."""
    results = await sync(
        client,
        op("scan", MET, event=EVENT, scanned=f"https://x/B/{tokens[NUR]}"),
        op("scan", MET + timedelta(minutes=5), event=EVENT, scanned=f"https://x/B/{tokens[WANG]}"),
        op("scan", MET + timedelta(hours=1), event=EVENT, scanned=f"https://x/B/{tokens[PEDRO]}"),
    )
    ids = {email: r["connection"] for email, r in zip((NUR, WANG, PEDRO), results, strict=True)}
    noted, tagged = await sync(
        client,
        fop("note", MET, connection=ids[PEDRO], text=NOTE, base_revision=0),
        fop("tags", MET, connection=ids[PEDRO], tags=["mapas, agua", "a;b"]),
    )
    assert noted["status"] == tagged["status"] == "applied"
    return ids


async def followups(client: AsyncTestClient[Any]) -> dict[str, Any]:
    found: dict[str, Any] = await get_json(client, f"/api/events/{EVENT}/followups")
    return found


def by_name(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["card"]["name"]: item for item in listing["followups"]}


async def test_the_list_shows_note_tags_shared_card_starter_status_reminders_and_draft(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-13")) as client:
        await met_everyone(client, tokens)
        response = await client.get(f"/api/events/{EVENT}/followups")
    assert response.headers["cache-control"] == "private, no-store"
    listing = response.json()
    assert listing["event"] == {
        "slug": EVENT,
        "name": "Congreso Abierto",
        "ends_on": "2026-03-11",
        "timezone": "Europe/Madrid",
    }
    assert listing["today"] == "2026-03-13"
    assert (listing["reminders_off"], listing["digest_opted_out"]) == (False, False)
    assert [i["card"]["name"] for i in listing["followups"]] == ["Pedro Ruiz", "王芳", "نور الهدى"]
    pedro = listing["followups"][0]
    assert pedro["card"] == {
        "name": "Pedro Ruiz",
        "organization": "Acme, S.L.",
        "interests": ["open data"],
        "email": PEDRO,
    }
    assert (pedro["note"], pedro["tags"]) == (NOTE, ["mapas, agua", "a;b"])
    assert (pedro["scan_count"], pedro["mutual"]) == (1, False)
    assert pedro["starter"]["reason"]["kind"] == "shared_interest"
    assert (pedro["status"], pedro["done_at"], pedro["snoozed_until"]) == ("todo", None, None)
    assert pedro["reminders"] == [
        {"kind": "thank_you", "due": "2026-03-13", "on": True, "due_now": True, "moved": False},
        {"kind": "share", "due": "2026-04-10", "on": True, "due_now": False, "moved": False},
        {"kind": "reach_out", "due": "2026-06-09", "on": True, "due_now": False, "moved": False},
    ]
    draft = pedro["draft"]
    assert (draft["language"], draft["to"]) == ("en", PEDRO)
    assert draft["subject"] == "Great to meet you at Congreso Abierto"
    # My private note is never put in a message to the person it is about.
    assert "Trabaja en mapas" not in draft["body"] and "artículo" not in draft["body"]
    assert draft["body"].rstrip().endswith("Lucía Núñez")


async def test_the_draft_is_in_the_recipients_language_else_the_writers(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-13")) as client:
        await met_everyone(client, tokens)
        people = by_name(await followups(client))
    # Pedro: English from his account. Nur and Wang: unknown, so Lucía's Spanish.
    assert people["Pedro Ruiz"]["draft"]["language"] == "en"
    nur = people["نور الهدى"]["draft"]
    assert (nur["language"], nur["to"]) == ("es", None)
    assert nur["body"].startswith("Hola, نور الهدى:")
    assert "Gracias por nuestra conversación en Congreso Abierto." in nur["body"]


async def test_done_then_a_later_reminder_due_makes_the_person_todo_again(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA) as client:
        ids = await met_everyone(client, tokens)
        [done] = await sync(
            client,
            fop(
                "followup",
                datetime(2026, 3, 13, 9, tzinfo=UTC),
                connection=ids[PEDRO],
                status="done",
            ),
        )
    assert (done["reason"], done["connection"]) == ("updated", ids[PEDRO])
    assert done["followup"]["done_at"] == "2026-03-13T09:00:00Z"
    for today, status, due in (
        ("2026-04-09", "done", []),
        ("2026-04-10", "todo", ["share"]),
    ):
        async with signed_in_client(settings, LUCIA, clock_at(today)) as client:
            pedro = by_name(await followups(client))["Pedro Ruiz"]
        assert pedro["status"] == status, today
        assert [r["kind"] for r in pedro["reminders"] if r["due_now"]] == due


async def test_a_snooze_hides_the_person_until_its_day_and_needs_a_later_day(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    at = datetime(2026, 3, 13, 9, tzinfo=UTC)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-19")) as client:
        ids = await met_everyone(client, tokens)
        pedro = ids[PEDRO]
        same_day, bad_date, missing, snoozed = await sync(
            client,
            fop("followup", at, connection=pedro, status="snoozed", until="2026-03-13"),
            fop("followup", at, connection=pedro, status="snoozed", until="2026-02-30"),
            fop("followup", at, connection=pedro, status="snoozed"),
            fop("followup", at, connection=pedro, status="snoozed", until="2026-03-20"),
        )
        assert [(r["reason"], r.get("field")) for r in (same_day, bad_date, missing)] == [
            ("invalid", "until"),
            ("invalid", "until"),
            ("invalid", "until"),
        ]
        assert snoozed["followup"]["snoozed_until"] == "2026-03-20"
        item = by_name(await followups(client))["Pedro Ruiz"]
    assert (item["status"], item["snoozed_until"]) == ("snoozed", "2026-03-20")
    assert not any(r["due_now"] for r in item["reminders"])
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-20")) as client:
        item = by_name(await followups(client))["Pedro Ruiz"]
    assert item["status"] == "todo"
    assert [r["kind"] for r in item["reminders"] if r["due_now"]] == ["thank_you"]


async def test_reminders_are_moved_or_turned_off_per_person_and_all_at_once(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    at = datetime(2026, 3, 12, 9, tzinfo=UTC)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-13")) as client:
        ids = await met_everyone(client, tokens)
        moved, off, bad, person_off = await sync(
            client,
            fop("reminder", at, connection=ids[PEDRO], reminder="thank_you", due="2026-03-20"),
            fop("reminder", at, connection=ids[PEDRO], reminder="share", due=None),
            fop("reminder", at, connection=ids[PEDRO], reminder="reach_out", due="2031-01-01"),
            fop("reminders", at, connection=ids[WANG], off=True),
        )
        assert (bad["reason"], bad["field"]) == ("invalid", "due")
        thank_you = moved["followup"]["reminders"][0]
        assert (thank_you["due"], thank_you["on"], thank_you["moved"]) == ("2026-03-20", True, True)
        assert off["followup"]["reminders"][1]["on"] is False
        assert person_off["followup"]["reminders_off"] is True
        people = by_name(await followups(client))
        assert [r["on"] for r in people["Pedro Ruiz"]["reminders"]] == [True, False, True]
        assert not any(r["on"] for r in people["王芳"]["reminders"])
        assert all(r["on"] for r in people["نور الهدى"]["reminders"])
        [everything] = await sync(client, fop("reminders", at, connection=None, off=True))
        assert (everything["reason"], everything["reminders_off"]) == ("updated", True)
        listing = await followups(client)
        assert listing["reminders_off"] is True
        assert not any(r["on"] for item in listing["followups"] for r in item["reminders"])
        # An older switch synced late changes nothing; a newer one turns them on again.
        older, newer = await sync(
            client,
            fop("reminders", at - timedelta(hours=1), connection=None, off=False),
            fop("reminders", at + timedelta(hours=1), connection=None, off=False),
        )
        assert (older["reason"], newer["reason"]) == ("stale", "updated")
        assert (await followups(client))["reminders_off"] is False


async def test_an_offline_operation_is_applied_once_and_a_replay_answers_the_same(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-20")) as client:
        ids = await met_everyone(client, tokens)
        # Made on the 13th on a phone without network, synced a week later.
        made = fop(
            "followup", datetime(2026, 3, 13, 8, tzinfo=UTC), connection=ids[NUR], status="done"
        )
        [first] = await sync(client, made)
        [again] = await sync(client, made)
        assert (first["reason"], first.get("replayed", False)) == ("updated", False)
        assert (again["reason"], again["replayed"], again["original_reason"]) == (
            "duplicate",
            True,
            "updated",
        )
        assert again["followup"] == first["followup"]
        assert by_name(await followups(client))["نور الهدى"]["status"] == "done"

    async def rows(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(Followup)) or 0)

    assert await run_in_db(settings, rows) == 1


async def test_an_older_operation_synced_late_does_not_undo_a_newer_one(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-20")) as client:
        ids = await met_everyone(client, tokens)
        newer = fop(
            "followup", datetime(2026, 3, 14, tzinfo=UTC), connection=ids[WANG], status="done"
        )
        older = fop(
            "followup", datetime(2026, 3, 13, tzinfo=UTC), connection=ids[WANG], status="todo"
        )
        done, stale = await sync(client, newer, older)
        assert (done["reason"], stale["reason"], stale["status"]) == ("updated", "stale", "applied")
        assert stale["followup"]["done_at"] == "2026-03-14T00:00:00Z"
        assert by_name(await followups(client))["王芳"]["status"] == "done"


async def test_a_late_done_stands_against_a_newer_change_of_another_part(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-20")) as client:
        ids = await met_everyone(client, tokens)
        # Another phone moved a reminder at 09:05; this phone's "done" of 09:00 syncs after it.
        moved = fop(
            "reminder",
            datetime(2026, 3, 13, 9, 5, tzinfo=UTC),
            connection=ids[WANG],
            reminder="share",
            due="2026-04-20",
        )
        done = fop(
            "followup", datetime(2026, 3, 13, 9, 0, tzinfo=UTC), connection=ids[WANG], status="done"
        )
        first, late = await sync(client, moved, done)
        assert (first["reason"], late["reason"]) == ("updated", "updated")
        wang = by_name(await followups(client))["王芳"]
        assert wang["status"] == "done"
        assert {r["kind"]: r["due"] for r in wang["reminders"]}["share"] == "2026-04-20"
        # The same part changed later still wins: an older "to do" is stale.
        older = fop(
            "followup", datetime(2026, 3, 13, 8, 0, tzinfo=UTC), connection=ids[WANG], status="todo"
        )
        [stale] = await sync(client, older)
        assert stale["reason"] == "stale"
        assert by_name(await followups(client))["王芳"]["status"] == "done"


async def test_someone_elses_connection_is_refused(settings: Settings) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA) as client:
        ids = await met_everyone(client, tokens)
    async with signed_in_client(settings, PEDRO) as client:
        results = await sync(
            client,
            fop("followup", MET, connection=ids[NUR], status="done"),
            fop("reminder", MET, connection=ids[NUR], reminder="share", due=None),
            fop("reminders", MET, connection=ids[NUR], off=True),
            fop("followup", MET, connection=2_000_000, status="done"),
        )
        assert {(r["status"], r["reason"]) for r in results} == {("rejected", "unknown_connection")}
        assert all("followup" not in r for r in results)
        # Pedro's own list is empty: he scanned nobody.
        assert (await followups(client))["followups"] == []


async def test_a_removed_connection_has_no_follow_up(settings: Settings) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA) as client:
        ids = await met_everyone(client, tokens)
        await sync(client, fop("remove", MET, connection=ids[WANG]))
        [refused] = await sync(client, fop("followup", MET, connection=ids[WANG], status="done"))
        assert refused["reason"] == "unknown_connection"
        assert "王芳" not in by_name(await followups(client))


UNSHARED = ["+20 100 000 0000", "Hidden role", WANG, "+34 611 111 111", "Secret bio"]


async def test_fields_the_other_person_does_not_share_never_appear(settings: Settings) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-13")) as client:
        await met_everyone(client, tokens)
        texts = [(await client.get(f"/api/events/{EVENT}/followups")).text]
        for name in ("connections.vcf", "connections.csv", "reminders.ics"):
            response = await client.get(f"/api/events/{EVENT}/{name}")
            assert response.status_code == 200, response.text
            assert response.headers["cache-control"] == "private, no-store"
            texts.append(response.content.decode("utf-8"))
    for text in texts:
        for secret in UNSHARED:
            assert secret not in text


def unfolded_cards(body: bytes) -> dict[str, Any]:
    return {card.fn.value: card for card in vobject.readComponents(body.decode("utf-8"))}


async def test_the_vcard_export_reads_back_with_vobject(settings: Settings) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-13")) as client:
        await met_everyone(client, tokens)
        response = await client.get(f"/api/events/{EVENT}/connections.vcf")
    assert response.headers["content-type"] == "text/vcard; charset=utf-8"
    assert 'filename="congreso-contacts.vcf"' in response.headers["content-disposition"]
    body = response.content
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    cards = unfolded_cards(body)
    assert set(cards) == {"Pedro Ruiz", "王芳", "نور الهدى"}
    pedro = cards["Pedro Ruiz"]
    assert pedro.version.value == "4.0"
    assert pedro.org.value == ["Acme, S.L."]
    assert pedro.email.value == PEDRO
    assert pedro.note.value.startswith(NOTE + "\n\n")
    assert "Nos conocimos en Congreso Abierto el 10 de marzo de 2026." in pedro.note.value
    assert "Intereses: open data" in pedro.note.value
    assert pedro.categories.value == ["mapas, agua", "a;b"]
    assert not hasattr(pedro, "tel")
    wang = cards["王芳"]
    assert wang.tel.value == "+86 10 1234 5678"
    assert wang.org.value == ["北京大学"]
    assert not hasattr(wang, "email")
    nur = cards["نور الهدى"]
    assert not any(hasattr(nur, name) for name in ("tel", "email", "title", "org"))
    # One stable UID per person: a second download updates the same contacts.
    assert len({card.uid.value for card in cards.values()}) == 3


async def test_the_contacts_csv_has_headers_in_my_language_and_is_formula_safe(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-13")) as client:
        await met_everyone(client, tokens)
        await sync(
            client,
            fop(
                "tags",
                MET,
                connection=(await followups(client))["followups"][1]["connection"],
                tags=["=cmd|x"],
            ),
        )
        response = await client.get(f"/api/events/{EVENT}/connections.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Nombre", "Organización", "Cargo", "Correo electrónico"]
    people = {row[0]: row for row in rows[1:]}
    assert people["Pedro Ruiz"][3] == PEDRO
    assert people["Pedro Ruiz"][9] == NOTE
    assert people["王芳"][4] == "'+86 10 1234 5678"
    assert people["王芳"][10] == "'=cmd|x"
    assert people["نور الهدى"][1:6] == ["", "", "", "", ""]


async def test_the_reminders_calendar_reads_back_with_icalendar_and_vobject(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    async with signed_in_client(settings, LUCIA, clock_at("2026-03-13")) as client:
        ids = await met_everyone(client, tokens)
        await sync(
            client,
            fop("reminders", MET, connection=ids[NUR], off=True),
            fop("reminder", MET, connection=ids[PEDRO], reminder="thank_you", due="2026-03-16"),
        )
        response = await client.get(f"/api/events/{EVENT}/reminders.ics")
        again = await client.get(f"/api/events/{EVENT}/reminders.ics")
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    # Nur's reminders are off: three each for Pedro and Wang.
    assert len(events) == 6
    summaries = {str(e["SUMMARY"]): e for e in events}
    thank = summaries["Dar las gracias a Pedro Ruiz"]
    assert thank.decoded("DTSTART") == datetime(2026, 3, 16).date()
    assert thank.decoded("DTEND") == datetime(2026, 3, 17).date()
    assert "Compartir algo interesante con 王芳" in summaries
    assert "Le interesa: open data" in str(
        summaries["Compartir algo interesante con Pedro Ruiz"]["DESCRIPTION"]
    )
    assert not any("نور" in name for name in summaries)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == 6
    assert uids == [
        str(e["UID"]) for e in icalendar.Calendar.from_ical(again.content).walk("VEVENT")
    ]
    parsed = vobject.readOne(response.content.decode("utf-8"))
    assert sorted(e.summary.value for e in parsed.vevent_list) == sorted(summaries)


async def test_only_attendees_of_the_event_get_its_follow_ups(settings: Settings) -> None:
    await congress(settings)
    await add_account(settings, "stranger@example.org")
    async with signed_in_client(settings, "stranger@example.org") as client:
        for path in ("followups", "connections.vcf", "connections.csv", "reminders.ics"):
            response = await client.get(f"/api/events/{EVENT}/{path}")
            assert (response.status_code, response.json()["code"]) == (404, "event_not_found")


async def test_the_list_says_when_the_account_opted_out_of_digests(settings: Settings) -> None:
    await congress(settings)

    async def opt_out(session: AsyncSession) -> None:
        account = await session.scalar(select(Account).where(Account.email == PEDRO))
        assert account is not None
        account.digest_opt_out_at = MET

    await run_in_db(settings, opt_out)
    async with signed_in_client(settings, PEDRO) as client:
        assert (await followups(client))["digest_opted_out"] is True


async def test_the_whole_events_lists_at_once_match_each_attendees_own(
    settings: Settings,
) -> None:
    tokens = await congress(settings)
    done_on = datetime(2026, 3, 13, tzinfo=UTC)
    async with (
        signed_in_client(settings, PEDRO, clock_at("2026-04-10")) as pedro,
        signed_in_client(settings, LUCIA, clock_at("2026-04-10")) as lucia,
    ):
        ids = await met_everyone(lucia, tokens)
        await sync(
            lucia,
            fop("followup", done_on, connection=ids[PEDRO], status="done"),
            fop("reminder", MET, connection=ids[WANG], reminder="share", due="2026-05-01"),
            fop("followup", MET, connection=ids[NUR], status="snoozed", until="2026-04-20"),
        )
        await sync(pedro, op("scan", MET, event=EVENT, scanned=f"https://x/B/{tokens[LUCIA]}"))
        mine = (await followups(lucia))["followups"]
        his = (await followups(pedro))["followups"]

    async def everyone(session: AsyncSession) -> dict[int, list[Any]]:
        event = await session.scalar(select(Event).where(Event.slug == EVENT))
        assert event is not None
        return await followups_for_event(session, event, date(2026, 4, 10))

    lists = await run_in_db(settings, everyone)
    assert len(lists) == 2  # Nur and Wang met nobody
    for expected in (mine, his):
        owner = next(k for k, v in lists.items() if v[0].connection == expected[0]["connection"])
        found = msgspec.to_builtins(lists[owner])
        assert found == [item | {"starter": None} for item in expected]
    assert his[0]["mutual"] is True
    assert {item["card"]["name"]: item["status"] for item in mine} == {
        "Pedro Ruiz": "todo",  # done on the 13th, then the share reminder fell due
        "王芳": "todo",
        "نور الهدى": "snoozed",
    }
