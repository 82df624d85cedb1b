"""The dashboard's figures, each from one aggregate query (grouped in the database).

Attendance comes in full (organizers see who came in the attendance export anyway); every
networking figure goes through `api.dashboard.suppression`, and nothing here reads a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, distinct, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin.attendance import counts
from api.dashboard.schemas import (
    CheckinBin,
    ConnectionBand,
    ConnectionHour,
    Dashboard,
    Figure,
    Networking,
    SessionAttendance,
    SharedInterest,
)
from api.dashboard.suppression import MIN_GROUP, protect, protect_parts
from api.dashboard.timebins import Bin, wall_clock_bins
from api.models import (
    Attendee,
    Checkin,
    Connection,
    Event,
    EventSession,
    Interest,
    UTCDateTime,
    utcnow,
)
from api.starters.engine import EventIndex, VocabularyTerm

BIN_MINUTES = 15
TOP_INTERESTS = 10
# Upper bounds of the bands of people by connections made (the last is open).
BANDS: tuple[tuple[str, int | None], ...] = (("1-4", 4), ("5-9", 9), ("10+", None))


# Bins counted per statement: two bound values each, well within both databases' limits.
BINS_PER_QUERY = 2000
# One instance for every bound instant (a type made per value cost ~1 ms per 10 bins).
_INSTANT = UTCDateTime()


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _window(event: Event) -> tuple[date, date]:
    """The local days the time charts cover: the event's, and one day either side (staff try
    the scanners the day before; people connect on the way home)."""
    return event.starts_on - timedelta(days=1), event.ends_on + timedelta(days=1)


async def _count_by_bin(
    session: AsyncSession, bins: Sequence[Bin], column: Any, where: Sequence[Any], *measures: Any
) -> list[tuple[int, ...]]:
    """For each bin, `measures` (aggregates) over the rows matching `where` whose `column`
    falls in it: one range of an index per bin and measure, no sorting of the rows."""
    found: list[tuple[int, ...]] = []
    for offset in range(0, len(bins), BINS_PER_QUERY):
        chunk = bins[offset : offset + BINS_PER_QUERY]
        # A VALUES list of bound instants (typed, so PostgreSQL casts them): cheaper to build
        # than a SELECT per bin, and both databases name its columns column1, column2.
        rows = ", ".join(f"(:s{n}, :e{n})" for n in range(len(chunk)))
        edges = [
            bindparam(f"{side}{n}", value, type_=_INSTANT)
            for n, b in enumerate(chunk)
            for side, value in (("s", b.starts), ("e", b.ends))
        ]
        table = (
            text(f"SELECT column1 AS starts, column2 AS ends FROM (VALUES {rows}) AS v")  # noqa: S608 - placeholders only
            .bindparams(*edges)
            .columns(starts=_INSTANT, ends=_INSTANT)
            .subquery("bins")
        )
        inside = (*where, column >= table.c.starts, column < table.c.ends)
        figures = [select(m).where(*inside).scalar_subquery() for m in measures]
        counted = {
            starts: tuple(int(v or 0) for v in values)
            for starts, *values in await session.execute(select(table.c.starts, *figures))
        }
        found.extend(counted[b.starts] for b in chunk)
    return found


async def _attendance(
    session: AsyncSession, event: Event, zone: ZoneInfo
) -> tuple[int, int, list[CheckinBin], list[SessionAttendance]]:
    registered = await session.scalar(
        select(func.count()).select_from(Attendee).where(Attendee.event_id == event.id)
    )
    counted = (Checkin.event_id == event.id, counts())
    checked_in = await session.scalar(
        select(func.count(distinct(Checkin.attendee_id))).where(*counted)
    )
    bins = wall_clock_bins(zone, *_window(event), BIN_MINUTES)
    per_bin = [n for (n,) in await _count_by_bin(session, bins, Checkin.at, counted, func.count())]
    # From the first check-in to the last, quiet stretches between them included.
    busy = [i for i, n in enumerate(per_bin) if n]
    shown = range(busy[0], busy[-1] + 1) if busy else range(0)
    people = dict(
        (
            await session.execute(
                select(Checkin.session_id, func.count(distinct(Checkin.attendee_id)))
                .where(*counted, Checkin.session_id.is_not(None))
                .group_by(Checkin.session_id)
            )
        ).all()
    )
    sessions = await session.scalars(
        select(EventSession)
        .where(EventSession.event_id == event.id)
        .order_by(EventSession.starts_at, EventSession.id)
    )
    return (
        int(registered or 0),
        int(checked_in or 0),
        [CheckinBin(bins[i].local, per_bin[i]) for i in shown],
        [
            SessionAttendance(
                id=s.id,
                title=s.title,
                room=s.room,
                starts_at=s.starts_at.astimezone(zone),
                people=int(people.get(s.id, 0)),
            )
            for s in sessions
        ],
    )


async def _connections_per_hour(
    session: AsyncSession, event: Event, zone: ZoneInfo
) -> list[ConnectionHour]:
    """Connections first made in each wall-clock hour; an hour in which fewer than MIN_GROUP
    people made them is suppressed (an hour with none too: zero is a small group)."""
    live = (Connection.event_id == event.id, Connection.removed_at.is_(None))
    bins = wall_clock_bins(zone, *_window(event), 60)
    # How many people made them decides what may be shown; distinct people cannot be summed
    # from smaller bins, so each hour is counted on its own.
    per_hour = await _count_by_bin(
        session,
        bins,
        Connection.first_met_at,
        live,
        func.count(),
        func.count(distinct(Connection.owner_id)),
    )
    figures = [protect(n, people) for n, people in per_hour]
    # From the first hour that may be shown to the last: an hour at either end that is hidden
    # would still say that someone connected then.
    shown = [i for i, f in enumerate(figures) if f.suppressed is None]
    if not shown:
        return []
    return [
        ConnectionHour(bins[i].local, Figure.of(figures[i])) for i in range(shown[0], shown[-1] + 1)
    ]


async def _people_by_connections(
    session: AsyncSession, event: Event, registered: int
) -> list[ConnectionBand]:
    """How many people made 0, 1-4, 5-9 and 10+ connections. The bands add up to the
    registered count shown beside them, so a hidden band is never left derivable."""
    per_owner = (
        select(func.count().label("made"))
        .where(Connection.event_id == event.id, Connection.removed_at.is_(None))
        .group_by(Connection.owner_id)
        .subquery()
    )
    # People per number of connections made: a few dozen rows, banded here.
    tally = await session.execute(select(per_owner.c.made, func.count()).group_by(per_owner.c.made))
    people = {band: 0 for band, _ in BANDS}
    for made, n in tally:
        band = next(name for name, top in BANDS if top is None or int(made) <= top)
        people[band] += int(n)
    counts_by_band = [registered - sum(people.values()), *people.values()]
    shown = protect_parts([(n, n) for n in counts_by_band], total_known=True)
    names = ["0", *people]
    return [ConnectionBand(name, Figure.of(s)) for name, s in zip(names, shown, strict=True)]  # type: ignore[arg-type]


# Each person's interests, for people who share them (a JSON list of free-text terms).
_HELD = {
    "sqlite": (
        "FROM attendees AS a, json_each(a.interests) AS j "
        "WHERE a.event_id = :event AND j.type = 'text' AND EXISTS "
        "(SELECT 1 FROM json_each(a.shared_fields) AS s WHERE s.value = 'interests')"
    ),
    "postgresql": (
        "FROM attendees AS a CROSS JOIN LATERAL json_array_elements_text(a.interests) AS j(value) "
        "WHERE a.event_id = :event AND EXISTS (SELECT 1 FROM "
        "json_array_elements_text(a.shared_fields) AS s(value) WHERE s.value = 'interests')"
    ),
}


async def _shared_interests(
    session: AsyncSession, event: Event, language: str
) -> list[SharedInterest]:
    """The interests most held among people who share their interests, counted once per person
    however they spelled them (case, accents, aliases of the vocabulary)."""
    dialect = _dialect(session)
    held = _HELD["sqlite" if dialect == "sqlite" else "postgresql"]
    vocabulary = list(await session.scalars(select(Interest).where(Interest.event_id == event.id)))
    index = EventIndex(
        VocabularyTerm(v.key, v.label_en, v.label_es, tuple(v.aliases)) for v in vocabulary
    )
    spelled = (
        await session.execute(
            text(f"SELECT j.value, count(DISTINCT a.id) {held} GROUP BY j.value"),
            {"event": event.id},
        )
    ).all()
    spellings: dict[str, list[tuple[str, int]]] = {}
    for term, people in spelled:
        for key in index.keys([term]):
            spellings.setdefault(key, []).append((term, int(people)))
    # One spelling: its count is exact. Several (one person may write "ML" and "Machine
    # learning"): only a second query knows how many distinct people, and only keys that can
    # still reach the top need it (at most the sum of their spellings' counts).
    exact = {k: ways[0][1] for k, ways in spellings.items() if len(ways) == 1}
    floor = (
        sorted(exact.values(), reverse=True)[TOP_INTERESTS - 1]
        if len(exact) >= TOP_INTERESTS
        else 0
    )
    pending = {
        k: ways
        for k, ways in spellings.items()
        if len(ways) > 1 and sum(n for _, n in ways) >= floor
    }
    if pending:
        params: dict[str, Any] = {"event": event.id}
        whens, names = [], []
        for number, (key, ways) in enumerate(pending.items()):
            params[f"k{number}"] = key
            for way, (term, _) in enumerate(ways):
                params[f"s{number}_{way}"] = term
                names.append(f":s{number}_{way}")
                whens.append(f"WHEN :s{number}_{way} THEN :k{number}")
        terms = ", ".join(names)
        mapped = f"CASE j.value {' '.join(whens)} END"
        grouped = (
            f"SELECT term, count(DISTINCT person) FROM (SELECT a.id AS person, {mapped} AS term "  # noqa: S608 - placeholders only
            f"{held} AND j.value IN ({terms})) AS t GROUP BY term"
        )
        for key, people in (await session.execute(text(grouped), params)).all():
            exact[key] = int(people)
    known = {v.key for v in vocabulary}
    ranked = sorted(exact.items(), key=lambda item: (-item[1], item[0]))
    top = [(k, n) for k, n in ranked if n >= MIN_GROUP][:TOP_INTERESTS]
    # Vocabulary terms held by fewer people are named as such (their labels are the
    # organizer's own); a free-text term that few people wrote could itself point at them.
    small = sorted(k for k, n in ranked if n < MIN_GROUP and k in known)
    room = max(0, TOP_INTERESTS - len(top))
    chosen = top + [(k, exact[k]) for k in small[:room]]
    return [
        SharedInterest(
            key=key,
            label=index.label(key, language, {key: max(spellings[key], key=lambda s: s[1])[0]}),
            people=Figure.of(protect(n, n)),
        )
        for key, n in chosen
    ]


async def build_dashboard(
    session: AsyncSession, event: Event, language: str, now: datetime | None = None
) -> Dashboard:
    """Everything the organizer's dashboard shows for `event`, labels in `language`."""
    zone = ZoneInfo(event.timezone)
    registered, checked_in, bins, sessions = await _attendance(session, event, zone)
    networking = Networking(
        min_group=MIN_GROUP,
        connections_per_hour=await _connections_per_hour(session, event, zone),
        people_by_connections=await _people_by_connections(session, event, registered),
        shared_interests=await _shared_interests(session, event, language),
    )
    return Dashboard(
        slug=event.slug,
        name=event.name,
        timezone=event.timezone,
        generated_at=now or utcnow(),
        registered=registered,
        checked_in=checked_in,
        bin_minutes=BIN_MINUTES,
        checkins_over_time=bins,
        sessions=sessions,
        networking=networking,
    )
