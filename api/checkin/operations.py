"""Check-in's operation kinds for the sync engine: checkin and checkin_undo.

Every attempt is kept as a row of `checkins` with its outcome, refused ones too (the audit trail
ticketing check-in systems keep), so nothing a staff phone sent is silently dropped. A check-in
is judged once, when it reaches the server, as of when it was made: finding the person already
checked in at that place is not an error but a second record (`already`, with when and how they
were first checked in there), since a check-in made offline happened whatever the server knew.

Who may send them: staff (organizers and check-in staff) check anyone in by badge (`scanned`) or
by name (`attendee`) at a place; an attendee checks only themselves in, by the QR poster at a
room's door (`poster`), into the session running in that room (or starting within 15 minutes).

Reason codes (with the engine's, `api.sync.contract.REASONS`):
  applied:  checked_in, already, undone
  rejected: unknown_badge, revoked, deleted_account (the badge outcomes), unknown_attendee,
            not_registered (a restricted session), unknown_poster, no_session (no session in the
            poster's room at that time), too_late (a poster check-in dated more than a day before
            it arrived), unknown_checkin (nothing of yours to undo), staff_only (an attendee
            naming someone to check in), invalid
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Dialect

from api.badges.outcome import BADGE_OUTCOMES, SeenBadge, badge_outcome
from api.badges.tokens import normalize_token, token_from_scan
from api.checkin.attendance import ADMITTED, ENTRANCE, counts
from api.checkin.schemas import CheckinOp, CheckinResult, CheckinUndoOp, CheckinUndoResult
from api.models import Attendee, Badge, Checkin, EventSession, Poster, SessionRegistration
from api.sync.contract import Operation, OperationResult, Plan, applied, invalid, rejected
from api.sync.engine import Answer, Group, Member, Signer
from api.sync.statements import Write

REFUSALS = {
    **{code: BADGE_OUTCOMES[code] for code in ("unknown_badge", "revoked", "deleted_account")},
    "unknown_attendee": "No such attendee in this event; search the name again.",
    "staff_only": "Only the event's check-in staff and organizers check people in.",
    "not_registered": "This person is not registered for this session.",
    "unknown_poster": "This is not a poster of this event; scan the poster at the room's door.",
    "no_session": "No session in this room now or in the next 15 minutes.",
    "too_late": "A check-in by poster must reach the server within a day of being made.",
    "unknown_checkin": "No check-in of yours with this id to undo (or it was already undone).",
}
# An attendee arriving this early is checked in to the session about to start.
EARLY = timedelta(minutes=15)
# A phone dates its own poster check-in (it may have been offline); older than this, the date is
# not believed: nobody claims a past session by sending an old time.
POSTER_LATE = timedelta(hours=24)
# A check-in that reaches the server this long after it was made was made offline.
WAITED = timedelta(minutes=2)
SCANNED_CHARS = 64
CHECKIN_COLUMNS = [
    "event_id",
    "attendee_id",
    "session_id",
    "at",
    "method",
    "by_account_id",
    "offline",
    "outcome",
    "scanned",
    "op_id",
    "recorded_at",
]


def _in(name: str) -> Any:
    return bindparam(name, expanding=True)


# With the person's name: most groups then need no other read of people.
BADGES = (
    select(
        Badge.token,
        Badge.event_id,
        Badge.attendee_id,
        Badge.revoked_at,
        Attendee.id,
        Attendee.name,
        Attendee.organization,
    )
    .outerjoin(Attendee, Attendee.id == Badge.attendee_id)
    .where(Badge.token.in_(_in("tokens")))
)
PEOPLE = select(Attendee.id, Attendee.event_id, Attendee.name, Attendee.organization).where(
    Attendee.id.in_(_in("ids"))
)
SESSION_COLUMNS = (
    EventSession.id,
    EventSession.event_id,
    EventSession.title,
    EventSession.room,
    EventSession.starts_at,
    EventSession.ends_at,
    EventSession.restricted,
)
SESSIONS = select(*SESSION_COLUMNS).where(EventSession.id.in_(_in("ids")))
POSTERS = select(Poster.token, Poster.event_id, Poster.room).where(Poster.token.in_(_in("tokens")))
ROOM_SESSIONS = select(*SESSION_COLUMNS).where(
    EventSession.event_id.in_(_in("events")), EventSession.room.in_(_in("rooms"))
)
REGISTERED = select(SessionRegistration.session_id, SessionRegistration.attendee_id).where(
    SessionRegistration.session_id.in_(_in("sessions")),
    SessionRegistration.attendee_id.in_(_in("people")),
)
COUNTED = select(
    Checkin.op_id,
    Checkin.event_id,
    Checkin.attendee_id,
    Checkin.session_id,
    Checkin.at,
    Checkin.method,
    Checkin.by_account_id,
).where(counts())
# The people whose check-ins are undone, and then everything that counts for them.
UNDONE = select(Checkin.attendee_id).where(Checkin.op_id.in_(_in("op_ids")), counts())
COUNTED_FOR = COUNTED.where(Checkin.attendee_id.in_(_in("people")))


@dataclass(slots=True)
class Attempt:
    """A check-in that counts, as the group sees it (kept up to date as the group writes)."""

    op_id: str
    event_id: int
    attendee_id: int
    session_id: int | None
    at: datetime
    method: str
    by_account_id: int | None


@dataclass(slots=True, frozen=True)
class Person:
    id: int
    event_id: int
    name: str
    organization: str


@dataclass(slots=True, frozen=True)
class Room:
    event_id: int
    name: str


def poster_token(scanned: str) -> str | None:
    """The token in what was scanned from a poster: its URL (any host, /R/TOKEN) or the code."""
    text = scanned.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if "/" in text:
        head, _, code = text.rpartition("/")
        if not head.upper().endswith("/R"):
            return None
        text = code
    return normalize_token(text)


def session_now(sessions: Sequence[Any], at: datetime) -> Any | None:
    """The session a person arriving at `at` comes for: of those running or starting within
    15 minutes, the one that starts last (arriving at 10:50 between a session ending at 11:00
    and one starting then, one comes for the next)."""
    candidates = [s for s in sessions if s.starts_at - EARLY <= at < s.ends_at]
    return max(candidates, key=lambda s: (s.starts_at, s.id), default=None)


def _place(session_id: int | None) -> int | str:
    return ENTRANCE if session_id is None else session_id


class CheckinKinds:
    """What check-in gives the sync engine."""

    operations: Sequence[type[Operation]] = (CheckinOp, CheckinUndoOp)
    results: Mapping[str, type[OperationResult]] = {
        "checkin": CheckinResult,
        "checkin_undo": CheckinUndoResult,
    }
    for_staff = True

    def admits(self, member: Member) -> bool:
        return member.staff or member.attendee_id is not None

    def writes(self, dialect: Dialect) -> Mapping[str, Write]:
        return {
            "checkin": (insert(Checkin), CHECKIN_COLUMNS),
            "checkin_undo": (
                update(Checkin)
                .where(
                    Checkin.op_id == bindparam("target"),
                    Checkin.event_id == bindparam("target_event"),
                    Checkin.attendee_id == bindparam("target_person"),
                    Checkin.undone_at.is_(None),
                )
                .values(undone_at=bindparam("undone")),
                None,
            ),
        }

    def check(self, op: Operation) -> tuple[str, str] | None:
        if not isinstance(op, CheckinOp):
            return None
        named = [name for name in ("scanned", "attendee", "poster") if getattr(op, name)]
        if len(named) != 1:
            return "scanned", "Name exactly one of: scanned (a badge), attendee, poster."
        if op.poster is None and op.place is None:
            return "place", 'Say where: "entrance" or a session id.'
        if op.poster is not None and op.place is not None:
            return "place", "A poster names its room; leave place out."
        return None

    def batch(self, group: Group) -> CheckinBatch:
        return CheckinBatch(group)


class CheckinBatch:
    """Check-in's part of one group: the badges, people, sessions and posters its operations
    name, and the check-ins of those people that count."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.tokens: dict[str, str | None] = {}
        self.badges: dict[str, SeenBadge] = {}
        self.people: dict[int, Person] = {}
        self.sessions: dict[int, Any] = {}
        self.posters: dict[str, Room] = {}
        self.rooms: dict[Room, list[Any]] = {}
        self.registered: set[tuple[int, int]] = set()
        self.counted: dict[tuple[int, int | None], list[Attempt]] = {}
        self.counted_for: set[int] = set()  # people whose counted check-ins are loaded
        self.by_op: dict[str, Attempt] = {}

    def load(
        self, pending: Sequence[tuple[Member, Operation]], recorded: Sequence[dict[str, Any]]
    ) -> None:
        conn = self.group.conn
        ops = [op for _, op in pending]
        checkins = [op for op in ops if isinstance(op, CheckinOp)]
        tokens = {t for op in checkins if op.scanned and (t := self._token(op.scanned))}
        if tokens:
            for row in conn.execute(BADGES, {"tokens": list(tokens)}):
                self.badges[row.token] = SeenBadge(
                    row.event_id, row.attendee_id, row.revoked_at is not None
                )
                if row.id is not None:
                    self.people[row.id] = Person(row.id, row.event_id, row.name, row.organization)
        posters = {t for op in checkins if op.poster and (t := poster_token(op.poster))}
        if posters:
            for poster in conn.execute(POSTERS, {"tokens": list(posters)}):
                self.posters[poster.token] = Room(poster.event_id, poster.room)
            rooms = set(self.posters.values())
            if rooms:
                found = conn.execute(
                    ROOM_SESSIONS,
                    {
                        "events": list({r.event_id for r in rooms}),
                        "rooms": list({r.name for r in rooms}),
                    },
                )
                for session in found:
                    self.sessions[session.id] = session
                    self.rooms.setdefault(Room(session.event_id, session.room), []).append(session)
        places = {op.place for op in checkins if isinstance(op.place, int)}
        if places - set(self.sessions):
            for session in conn.execute(SESSIONS, {"ids": list(places - set(self.sessions))}):
                self.sessions[session.id] = session
        people = {op.attendee for op in checkins if op.attendee is not None}
        people |= {b.attendee_id for b in self.badges.values() if b.attendee_id is not None}
        people |= {
            m.attendee_id
            for m, op in pending
            if isinstance(op, CheckinOp) and op.poster and m.attendee_id is not None
        }
        undo = [str(op.checkin) for op in ops if isinstance(op, CheckinUndoOp)]
        if undo:
            people |= set(conn.scalars(UNDONE, {"op_ids": undo}))
        self._load_people(people)
        restricted = [s.id for s in self.sessions.values() if s.restricted]
        if restricted and people:
            pairs = conn.execute(REGISTERED, {"sessions": restricted, "people": list(people)})
            self.registered = {(session_id, person) for session_id, person in pairs}

    def _token(self, scanned: str) -> str | None:
        # Read once per group: the same text is read again when its operation is planned.
        if scanned not in self.tokens:
            self.tokens[scanned] = token_from_scan(scanned)
        return self.tokens[scanned]

    def _load_people(self, people: set[int]) -> None:
        conn = self.group.conn
        unknown = list(people - set(self.people))
        if unknown:
            for row in conn.execute(PEOPLE, {"ids": unknown}):
                self.people[row.id] = Person(*row)
        missing = list(people - self.counted_for)
        if not missing:
            return
        self.counted_for.update(missing)
        for op_id, event_id, person, session_id, at, method, by in conn.execute(
            COUNTED_FOR, {"people": missing}
        ):
            assert person is not None  # what counts names someone
            self._remember(Attempt(op_id, event_id, person, session_id, at, method, by))

    def _remember(self, attempt: Attempt) -> None:
        self.counted.setdefault((attempt.attendee_id, attempt.session_id), []).append(attempt)
        self.by_op[attempt.op_id] = attempt

    def _forget(self, attempt: Attempt) -> None:
        self.counted[(attempt.attendee_id, attempt.session_id)].remove(attempt)
        self.by_op.pop(attempt.op_id, None)

    def plan(self, op: Operation, member: Member, signer: Signer) -> Plan:
        if isinstance(op, CheckinUndoOp):
            return self._undo(op, member, signer)
        assert isinstance(op, CheckinOp)
        if op.poster is not None:
            if member.attendee_id is None:
                return Plan(rejected("not_in_event"))
            return self._by_poster(op, member, member.attendee_id)
        if not member.staff:
            # Attendees check in only themselves, by a poster (they are in the event, so saying
            # so tells them nothing new).
            return Plan(rejected("staff_only", REFUSALS["staff_only"]))
        return self._by_staff(op, member, signer)

    def _by_staff(self, op: CheckinOp, member: Member, signer: Signer) -> Plan:
        session_id: int | None = None
        if op.place != ENTRANCE:
            session = self.sessions.get(op.place)  # type: ignore[arg-type]
            if session is None or session.event_id != member.event_id:
                return Plan(invalid("place", f"No session {op.place} in this event."))
            session_id = session.id
        method = "badge" if op.scanned is not None else "manual"
        person: int | None
        if op.scanned is not None:
            token = self._token(op.scanned)
            badge = self.badges.get(token) if token else None
            outcome = badge_outcome(badge, member.event_id, None)
            person = badge.attendee_id if badge is not None and outcome != "unknown_badge" else None
            if outcome is not None:
                return self._refused(op, member, outcome, person, session_id, method, signer.id)
        else:
            found = self.people.get(op.attendee or 0)
            if found is None or found.event_id != member.event_id:
                return self._refused(
                    op, member, "unknown_attendee", None, session_id, method, signer.id
                )
            person = found.id
        assert person is not None
        return self._admit(op, member, person, session_id, method, signer.id)

    def _by_poster(self, op: CheckinOp, member: Member, me: int) -> Plan:
        token = poster_token(op.poster or "")
        room = self.posters.get(token) if token else None
        if room is None or room.event_id != member.event_id:
            return self._refused(op, member, "unknown_poster", me, None, "poster", None)
        if self.group.now - op.at > POSTER_LATE:
            return self._refused(op, member, "too_late", me, None, "poster", None)
        session = session_now(self.rooms.get(room, []), self.group.at(op))
        if session is None:
            result = self._refused(op, member, "no_session", me, None, "poster", None)
            result.result["room"] = room.name
            return result
        return self._admit(op, member, me, session.id, "poster", None)

    def _row(
        self,
        op: CheckinOp,
        member: Member,
        person: int | None,
        session_id: int | None,
        method: str,
        by: int | None,
        outcome: str,
    ) -> dict[str, Any]:
        scanned = op.scanned or op.poster or ""
        return {
            "event_id": member.event_id,
            "attendee_id": person,
            "session_id": session_id,
            "at": self.group.at(op),
            "method": method,
            "by_account_id": by,
            # As the phone says, or plainly: a check-in that waited on the phone (a network that
            # says it is up behind a captive portal, say) was answered from the staff list.
            "offline": op.offline or self.group.now - op.at > WAITED,
            "outcome": outcome,
            "scanned": scanned.strip()[:SCANNED_CHARS] if outcome not in ADMITTED else "",
            "op_id": str(op.id),
            "recorded_at": self.group.now,
        }

    def _refused(
        self,
        op: CheckinOp,
        member: Member,
        reason: str,
        person: int | None,
        session_id: int | None,
        method: str,
        by: int | None,
    ) -> Plan:
        # Kept on the server with its reason, not only in the phone's "could not sync" list.
        result = rejected(reason, REFUSALS[reason]) | {
            "attendee": person,
            "place": None if method == "poster" and session_id is None else _place(session_id),
        }
        row = self._row(op, member, person, session_id, method, by, reason)
        return Plan(result, "checkin", row)

    def _admit(
        self,
        op: CheckinOp,
        member: Member,
        person: int,
        session_id: int | None,
        method: str,
        by: int | None,
    ) -> Plan:
        if session_id is not None:
            session = self.sessions[session_id]
            if session.restricted and (session_id, person) not in self.registered:
                return self._refused(op, member, "not_registered", person, session_id, method, by)
        before = self.counted.get((person, session_id), [])
        first = min(before, key=lambda a: a.at, default=None)
        values: dict[str, Any] = {"attendee": person, "place": _place(session_id)}
        if first is None:
            result = applied("checked_in", **values)
        else:
            values |= {"first_at": first.at.isoformat(), "first_method": first.method}
            result = applied("already", **values)
        row = self._row(op, member, person, session_id, method, by, result["reason"])
        attempt = Attempt(str(op.id), member.event_id, person, session_id, row["at"], method, by)

        def after(_: Sequence[Any] | None) -> None:
            self._remember(attempt)

        return Plan(result, "checkin", row, after)

    def _undo(self, op: CheckinUndoOp, member: Member, signer: Signer) -> Plan:
        target = self.by_op.get(str(op.checkin))
        mine = target is not None and (
            (member.staff and target.by_account_id == signer.id)
            or (target.method == "poster" and target.attendee_id == member.attendee_id)
        )
        if target is None or not mine or target.event_id != member.event_id:
            return Plan(rejected("unknown_checkin", REFUSALS["unknown_checkin"]))
        result = applied("undone", attendee=target.attendee_id, place=_place(target.session_id))
        params = {
            "target": target.op_id,
            "target_event": target.event_id,
            "target_person": target.attendee_id,
            "undone": self.group.at(op),
        }

        def after(_: Sequence[Any] | None) -> None:
            self._forget(target)

        return Plan(result, "checkin_undo", params, after)

    def prepare(self, answers: Sequence[Answer]) -> None:
        results = [r for _, r, *_ in answers if isinstance(r, dict)]
        people = {r["attendee"] for r in results if r.get("attendee")}
        missing = list(people - set(self.people))
        if missing:
            for row in self.group.conn.execute(PEOPLE, {"ids": missing}):
                self.people[row.id] = Person(*row)
        places = {r["place"] for r in results if isinstance(r.get("place"), int)}
        if places - set(self.sessions):
            found = self.group.conn.execute(SESSIONS, {"ids": list(places - set(self.sessions))})
            for session in found:
                self.sessions[session.id] = session

    def reply(
        self, op: Operation, result: dict[str, Any], common: dict[str, Any]
    ) -> OperationResult:
        if isinstance(op, CheckinUndoOp):
            return CheckinUndoResult(
                **common, attendee=result.get("attendee"), place=result.get("place")
            )
        reply = CheckinResult(**common, attendee=result.get("attendee"), place=result.get("place"))
        person = self.people.get(reply.attendee or 0)
        if person is not None:
            reply.name, reply.organization = person.name, person.organization
        session = self.sessions.get(reply.place) if isinstance(reply.place, int) else None
        if session is not None:
            reply.session_title, reply.room = session.title, session.room
        elif result.get("room"):
            reply.room = result["room"]
        if result.get("first_at"):
            reply.first_at = datetime.fromisoformat(result["first_at"])
            reply.first_method = result.get("first_method")
        return reply
