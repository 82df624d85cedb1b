"""Organizers export attendance as CSV and XLSX: who came, when, where; formula-safe; filtered."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.exports import attendance
from api.models import Account, Attendee, Checkin, EventRole, EventSession
from api.settings import Settings
from tests.conftest import add_account, add_attendee, add_event, run_in_db, sign_in

pytestmark = pytest.mark.anyio
ORGANIZER = "orga@example.org"
OTHER_ORGANIZER = "otra@example.org"
DOOR = "door@example.org"
LUCIA = "lucia@example.org"
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2", "\tTabulada"]
CSV_PATH = "/api/events/{slug}/attendance.csv"
CHECKINS_PATH = "/api/events/{slug}/attendance/checkins.csv"
XLSX_PATH = "/api/events/{slug}/attendance.xlsx"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def add_role(settings: Settings, event_id: int, email: str, role: str, **values: Any) -> None:
    await add_account(settings, email, **values)

    async def work(session: Any) -> None:
        account_id = await session.scalar(select(Account.id).where(Account.email == email))
        session.add(EventRole(event_id=event_id, account_id=account_id, role=role))

    await run_in_db(settings, work)


async def event_with_attendance(settings: Settings, organizer_language: str = "en") -> int:
    """An event in Madrid (UTC+01:00 in March) with two sessions, people who came and who did not.

    Lucía came to the door, the keynote (by the room's QR) and the workshop (offline, next day);
    Noa came once, at 00:30 local time on the second day; five people with hostile names came to
    the door; Bruno never came; Ciro's only attempts were refused or undone.
    """
    event_id = await add_event(settings, "expo")
    await add_role(settings, event_id, ORGANIZER, "organizer", language=organizer_language)
    await add_role(settings, event_id, DOOR, "staff")
    other_id = await add_event(settings, "other-expo")
    await add_role(settings, other_id, OTHER_ORGANIZER, "organizer", language="en")

    async def work(session: Any) -> int:
        keynote = EventSession(
            event_id=event_id,
            title="Keynote",
            room="Sala A",
            starts_at=utc(10, 9),
            ends_at=utc(10, 10),
        )
        workshop = EventSession(
            event_id=event_id,
            title="Taller",
            room="Sala B",
            starts_at=utc(11, 10),
            ends_at=utc(11, 12),
        )
        people = [
            Attendee(
                event_id=event_id,
                email=LUCIA,
                name="Lucía García",
                organization="+34 600 000 000",
                ticket_type="VIP",
            ),
            Attendee(event_id=event_id, email="noa@example.org", name="Noa"),
            *[
                Attendee(event_id=event_id, email=f"h{n}@example.org", name=name)
                for n, name in enumerate(HOSTILE)
            ],
            Attendee(event_id=event_id, email="bruno@example.org", name="Bruno"),
            Attendee(event_id=event_id, email="ciro@example.org", name="Ciro"),
        ]
        session.add_all([keynote, workshop, *people])
        await session.flush()
        door = await session.scalar(select(Account.id).where(Account.email == DOOR))
        lucia, noa, *hostile, _bruno, ciro = people

        def checkin(
            who: Attendee, at: datetime, place: EventSession | None = None, **values: Any
        ) -> Checkin:
            method = values.pop("method", "badge")
            return Checkin(
                event_id=event_id,
                attendee_id=who.id,
                session_id=place.id if place else None,
                at=at,
                method=method,
                by_account_id=None if method == "poster" else door,
                outcome=values.pop("outcome", "checked_in"),
                op_id=f"op-{who.id}-{at.isoformat()}",
                **values,
            )

        session.add_all(
            [
                checkin(lucia, utc(10, 8, 5)),
                checkin(lucia, utc(10, 8, 55), keynote, method="poster"),
                checkin(lucia, utc(10, 9, 30), keynote, outcome="already"),
                checkin(lucia, utc(11, 10, 1), workshop, method="manual", offline=True),
                checkin(noa, utc(10, 23, 30)),
                *[checkin(person, utc(10, 8, 10 + n)) for n, person in enumerate(hostile)],
                checkin(ciro, utc(10, 8, 30), outcome="revoked"),
                checkin(ciro, utc(10, 8, 31), undone_at=utc(10, 8, 32)),
            ]
        )
        return int(keynote.id)

    keynote_id: int = await run_in_db(settings, work)
    return keynote_id


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def get_csv(client: AsyncTestClient[Any], path: str, **query: str) -> list[list[str]]:
    response = await client.get(path.format(slug="expo"), params=query)
    assert response.status_code == 200, response.text
    return read_csv(response.content)


def by_name(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row for row in rows[1:]}


async def test_the_csv_has_a_row_per_attendee_with_when_and_where_they_came(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_attendance(settings)
    await sign_in(client, settings, ORGANIZER)
    response = await client.get("/api/events/expo/attendance.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="expo-attendance.csv"'
    assert b"\r\n" in response.content  # RFC 4180 line ends
    rows = read_csv(response.content)
    assert rows[0] == [
        "Name",
        "E-mail",
        "Organization",
        "Ticket type",
        "Checked in",
        "First check-in",
        "Sessions attended",
        "Session titles",
    ]
    assert len(rows) == 1 + 9
    people = by_name(rows)
    assert people["Lucía García"] == [
        "Lucía García",
        LUCIA,
        "'+34 600 000 000",
        "VIP",
        "yes",
        "2026-03-10T09:05:00+01:00",
        "2",
        "Keynote; Taller",
    ]
    assert people["Noa"][4:7] == ["yes", "2026-03-11T00:30:00+01:00", "0"]
    assert people["Bruno"][4:8] == ["no", "", "0", ""]
    assert people["Ciro"][4] == "no", "refused and undone attempts do not count"


async def test_hostile_names_arrive_as_text_and_counts_stay_numbers(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_attendance(settings)
    await sign_in(client, settings, ORGANIZER)
    rows = await get_csv(client, CSV_PATH)
    names = [row[0] for row in rows[1:]]
    for name in HOSTILE:
        assert "'" + name in names
    assert all(row[6].isdigit() for row in rows[1:]), "the count is a bare number"
    checkins = await get_csv(client, CHECKINS_PATH)
    assert {"'" + name for name in HOSTILE} <= {row[0] for row in checkins[1:]}

    response = await client.get("/api/events/expo/attendance.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    for name in HOSTILE:
        assert cells[name][0].data_type == "s", name  # a string as written, never a formula
    assert cells["Lucía García"][2].value == "+34 600 000 000"
    assert cells["Lucía García"][6].value == 2
    assert cells["Lucía García"][6].data_type == "n"


async def test_the_xlsx_has_an_attendance_sheet_and_a_checkins_sheet(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_attendance(settings)
    await sign_in(client, settings, ORGANIZER)
    response = await client.get("/api/events/expo/attendance.xlsx", params={"status": "checked-in"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "expo-attendance-checked-in.xlsx" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Attendance", "Check-ins"]
    people = list(book["Attendance"].iter_rows(values_only=True))
    checkins = list(book["Check-ins"].iter_rows(values_only=True))
    assert len(people) == 1 + 7  # Lucía, Noa and five hostile names came
    assert len(checkins) == 1 + 4 + 1 + 5
    assert checkins[0] == (
        "Name",
        "E-mail",
        "Place",
        "Room",
        "Time",
        "Checked in by",
        "Made offline",
    )


async def test_the_checkins_list_says_where_when_by_whom_and_whether_offline(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_attendance(settings)
    await sign_in(client, settings, ORGANIZER)
    rows = await get_csv(client, CHECKINS_PATH)
    lucia = [row for row in rows[1:] if row[0] == "Lucía García"]
    assert lucia == [
        ["Lucía García", LUCIA, "Entrance", "", "2026-03-10T09:05:00+01:00", "Staff", "no"],
        [
            "Lucía García",
            LUCIA,
            "Keynote",
            "Sala A",
            "2026-03-10T09:55:00+01:00",
            "Self (room QR)",
            "no",
        ],
        ["Lucía García", LUCIA, "Keynote", "Sala A", "2026-03-10T10:30:00+01:00", "Staff", "no"],
        ["Lucía García", LUCIA, "Taller", "Sala B", "2026-03-11T11:01:00+01:00", "Staff", "yes"],
    ]
    times = [row[4] for row in rows[1:]]
    assert times == sorted(times), "oldest first"
    assert not any(row[0] == "Ciro" for row in rows), "refused and undone attempts are left out"


async def test_filters_narrow_the_people_and_their_checkins(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    keynote = await event_with_attendance(settings)
    await sign_in(client, settings, ORGANIZER)
    came = await get_csv(client, CSV_PATH, status="checked-in")
    assert len(came) == 1 + 7
    absent = await get_csv(client, CSV_PATH, status="absent")
    assert sorted(row[0] for row in absent[1:]) == ["Bruno", "Ciro"]
    header_only = await get_csv(client, CHECKINS_PATH, status="absent")
    assert [row[0] for row in header_only] == ["Name"], "the people listed never came"

    in_keynote = await get_csv(client, CSV_PATH, status="checked-in", session=str(keynote))
    assert [row[0] for row in in_keynote[1:]] == ["Lucía García"]
    assert in_keynote[1][5:8] == ["2026-03-10T09:55:00+01:00", "1", "Keynote"]
    keynote_checkins = await get_csv(client, CHECKINS_PATH, session=str(keynote))
    assert len(keynote_checkins) == 1 + 2

    # Days are the event's: 23:30 UTC on the 10th is 00:30 on the 11th in Madrid.
    second_day = await get_csv(client, CSV_PATH, status="checked-in", day="2026-03-11")
    assert sorted(row[0] for row in second_day[1:]) == ["Lucía García", "Noa"]
    assert by_name(second_day)["Lucía García"][5:8] == ["2026-03-11T11:01:00+01:00", "1", "Taller"]
    first_day = await get_csv(client, CHECKINS_PATH, day="2026-03-10")
    assert "Noa" not in {row[0] for row in first_day}
    assert len(first_day) == 1 + 3 + 5


async def test_headers_and_words_follow_the_organizers_language(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_attendance(settings, organizer_language="es")
    await sign_in(client, settings, ORGANIZER)
    response = await client.get("/api/events/expo/attendance.csv")
    assert 'filename="expo-asistencia.csv"' in response.headers["content-disposition"]
    rows = read_csv(response.content)
    assert rows[0][:5] == ["Nombre", "Correo", "Organización", "Tipo de entrada", "Asistió"]
    assert by_name(rows)["Lucía García"][4] == "sí"
    assert by_name(rows)["Bruno"][4] == "no"
    checkins = await get_csv(client, CHECKINS_PATH)
    assert checkins[1][2] == "Entrada"
    response = await client.get("/api/events/expo/attendance.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Asistencia", "Registros de entrada"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"session": "keynote"}, "session"),
        ({"session": "99999999999"}, "session"),
        ({"session": "424242"}, "session"),  # not a session of this event
        ({"day": "2026-13-01"}, "day"),
        ({"day": "10/03/2026"}, "day"),
        ({"day": "9999-12-31"}, "day"),  # far from the event: refused before the first byte
    ],
)
async def test_a_bad_filter_is_a_400_naming_the_field(
    client: AsyncTestClient[Any], settings: Settings, query: dict[str, str], field: str
) -> None:
    await event_with_attendance(settings)
    await sign_in(client, settings, ORGANIZER)
    for path in (CSV_PATH, CHECKINS_PATH, XLSX_PATH):
        response = await client.get(path.format(slug="expo"), params=query)
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert body["code"] == "invalid_input"
        assert body["field"] == field
        assert field in body["detail"]


@pytest.mark.parametrize("person", [DOOR, LUCIA, OTHER_ORGANIZER])
async def test_exports_answer_everyone_but_its_organizers_as_if_the_event_did_not_exist(
    client: AsyncTestClient[Any], settings: Settings, person: str
) -> None:
    await event_with_attendance(settings)
    await sign_in(client, settings, person)
    for path in (CSV_PATH, CHECKINS_PATH, XLSX_PATH):
        forbidden = await client.get(path.format(slug="expo"))
        unknown = await client.get(path.format(slug="no-such-event"))
        assert forbidden.status_code == unknown.status_code == 404
        assert forbidden.json() == unknown.json()
        assert forbidden.json()["code"] == "event_not_found"


async def test_rows_over_many_chunks_come_out_once_each_in_order(
    client: AsyncTestClient[Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_id = await add_event(settings, "expo")
    await add_role(settings, event_id, ORGANIZER, "organizer", language="en")

    async def work(session: Any) -> None:
        people = [
            Attendee(event_id=event_id, email=f"p{n}@example.org", name=f"P{n:02}")
            for n in range(7)
        ]
        session.add_all(people)
        await session.flush()
        # Check-ins sharing a time: the pages must neither skip nor repeat one of them.
        session.add_all(
            Checkin(
                event_id=event_id,
                attendee_id=person.id,
                at=utc(10, 9, 0 if n < 4 else n),
                method="badge",
                outcome="checked_in",
                op_id=f"op-{n}",
            )
            for n, person in enumerate(people)
            if n != 3
        )

    await run_in_db(settings, work)
    await add_attendee(settings, event_id, "late@example.org", name="P99")
    monkeypatch.setattr(attendance, "CHUNK", 2)
    await sign_in(client, settings, ORGANIZER)
    people = await get_csv(client, CSV_PATH)
    assert [row[0] for row in people[1:]] == [f"P{n:02}" for n in range(7)] + ["P99"]
    assert "Ticket type" not in people[0], "no ticket types were imported"
    assert [row[3] for row in people[1:]] == ["yes"] * 3 + ["no"] + ["yes"] * 3 + ["no"]
    checkins = await get_csv(client, CHECKINS_PATH)
    assert sorted(row[0] for row in checkins[1:]) == [f"P{n:02}" for n in range(7) if n != 3]
    absent = await get_csv(client, CSV_PATH, status="absent")
    assert [row[0] for row in absent[1:]] == ["P03", "P99"]
