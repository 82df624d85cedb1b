"""Follow-ups' operation kinds for the sync engine: followup (status), reminder, reminders.

Only a connection's owner writes its follow-up, and a removed connection has none
(`unknown_connection`, the same answer as someone else's). Last writer by `at` wins: a
`followups` row keeps the phone time of the last operation applied to it (`changed_at`), and an
operation made earlier that syncs late (another phone, a phone long offline) is applied as
`stale` and changes nothing. The attendee-wide switch (`reminders` without a connection) keeps
no time of its own in the attendee's row: the last one applied is found among the account's
recorded operations (kept `Settings.sync_keep_days`).

Reason codes (with the engine's, `api.sync.contract.REASONS`):
  applied:  updated, stale (older than what is saved: nothing changed)
  rejected: unknown_connection, invalid (with `field`: until, due)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from api.followups.reminders import PersonState, local_day, reminders_of, status_of
from api.followups.schemas import (
    FollowupOp,
    FollowupResult,
    FollowupState,
    FollowupStatusResult,
    ReminderOp,
    ReminderOut,
    ReminderResult,
    RemindersOp,
    RemindersResult,
)
from api.models import Attendee, Connection, Event, Followup, SyncOperation
from api.sync.contract import Operation, OperationResult, Plan, applied, invalid, rejected
from api.sync.engine import Answer, Group, Member, Signer
from api.sync.statements import Write

REFUSALS = {"unknown_connection": "No such connection of yours in this event."}
# A snooze ends at most this long after it was made.
SNOOZE_MAX = timedelta(days=366)
# A reminder may be moved this long after the event's last day at most.
REMINDER_MAX = timedelta(days=3 * 366)
FOLLOWUP_COLUMNS = [
    "connection_id",
    "done_at",
    "snoozed_until",
    "reminders_off",
    "reminder_dates",
    "changed_at",
    "changed_parts",
]


def followup_state(
    today: date, state: PersonState, ends_on: date, timezone: str, all_off: bool
) -> FollowupState:
    """Where the owner stands with one person as of `today` (a day in the event's zone)."""
    return FollowupState(
        status=status_of(today, state, ends_on, timezone, all_off),
        done_at=state.done_at,
        snoozed_until=state.snoozed_until,
        reminders_off=state.reminders_off,
        reminders=[
            ReminderOut(kind=r.kind, due=r.due, on=r.on, due_now=r.due_now, moved=r.moved)
            for r in reminders_of(today, state, ends_on, timezone, all_off)
        ],
    )


@dataclass(slots=True, frozen=True)
class Dates:
    """The event's days and zone, which every date of its follow-ups is read in."""

    starts_on: date
    ends_on: date
    timezone: str


@dataclass(slots=True)
class Tracked:
    """One connection's follow-up as the group sees it, kept up to date as the group writes."""

    id: int
    owner_id: int
    removed: bool
    dates: Dates
    state: PersonState = field(default_factory=PersonState)
    changed_at: datetime | None = None
    # When each part was last changed (see Followup.changed_parts).
    changed_parts: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Owner:
    """An attendee's switch for all of their reminders in the event."""

    id: int
    dates: Dates
    reminders_off: bool
    # The phone time of the last attendee-wide switch applied (None: not read yet, or none).
    switched_at: datetime | None = None
    switched_read: bool = False


def _in(name: str) -> Any:
    return bindparam(name, expanding=True)


TRACKED = (
    select(
        Connection.id,
        Connection.owner_id,
        Connection.removed_at,
        Event.starts_on,
        Event.ends_on,
        Event.timezone,
        Attendee.reminders_off,
        Followup.done_at,
        Followup.snoozed_until,
        Followup.reminders_off,
        Followup.reminder_dates,
        Followup.changed_at,
        Followup.changed_parts,
    )
    .join(Event, Event.id == Connection.event_id)
    .join(Attendee, Attendee.id == Connection.owner_id)
    .outerjoin(Followup, Followup.connection_id == Connection.id)
    .where(Connection.id.in_(_in("ids")))
)
OWNERS = (
    select(Attendee.id, Attendee.reminders_off, Event.starts_on, Event.ends_on, Event.timezone)
    .join(Event, Event.id == Attendee.event_id)
    .where(Attendee.id.in_(_in("ids")))
)
SWITCHES = select(SyncOperation.result).where(
    SyncOperation.account_id == bindparam("account"), SyncOperation.kind == "reminders"
)

RESULT_OF: Mapping[type[Operation], type[FollowupResult]] = {
    FollowupOp: FollowupStatusResult,
    ReminderOp: ReminderResult,
    RemindersOp: RemindersResult,
}
RESULTS = {str(op.__struct_config__.tag): result for op, result in RESULT_OF.items()}


class FollowupKinds:
    """What follow-ups give the sync engine."""

    operations: Sequence[type[Operation]] = (FollowupOp, ReminderOp, RemindersOp)
    results: Mapping[str, type[OperationResult]] = RESULTS
    for_staff = False

    def admits(self, member: Member) -> bool:
        return member.attendee_id is not None

    def writes(self, dialect: Dialect) -> Mapping[str, Write]:
        table = Followup.__table__
        upsert = (
            postgresql.insert(Followup) if dialect.name == "postgresql" else sqlite.insert(Followup)
        )
        write = upsert.on_conflict_do_update(
            index_elements=[table.c.connection_id],
            set_={name: upsert.excluded[name] for name in FOLLOWUP_COLUMNS[1:]},
        )
        # The profile's last edit (`updated_at`) stays: turning reminders off is not one, and
        # the starters' index and the directory are rebuilt when it changes.
        switch = (
            update(Attendee)
            .where(Attendee.id == bindparam("attendee_id"))
            .values(reminders_off=bindparam("off"), updated_at=Attendee.updated_at)
        )
        return {"followup": (write, FOLLOWUP_COLUMNS), "reminders_all": (switch, None)}

    def check(self, op: Operation) -> tuple[str, str] | None:
        if isinstance(op, FollowupOp):
            if op.status == "snoozed" and op.until is None:
                return "until", "Say until when (YYYY-MM-DD) to snooze."
            if op.status != "snoozed" and op.until is not None:
                return "until", "Only a snooze has an until date; send null."
        return None

    def batch(self, group: Group) -> FollowupBatch:
        return FollowupBatch(group)


class FollowupBatch:
    """Follow-ups' part of one group: the connections and owners its operations name."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.tracked: dict[int, Tracked] = {}
        self.owners: dict[int, Owner] = {}

    def load(
        self, pending: Sequence[tuple[Member, Operation]], recorded: Sequence[dict[str, Any]]
    ) -> None:
        ids = {
            op.connection
            for _, op in pending
            if isinstance(op, FollowupOp | ReminderOp | RemindersOp) and op.connection is not None
        }
        ids |= {r["connection"] for r in recorded if r.get("connection") is not None}
        owners = {
            m.attendee_id
            for m, op in pending
            if isinstance(op, RemindersOp) and op.connection is None and m.attendee_id
        }
        owners |= {r["owner"] for r in recorded if "owner" in r and r.get("connection") is None}
        self._load(ids, owners)

    def _load(self, ids: set[int], owners: set[int]) -> None:
        conn = self.group.conn
        ids -= set(self.tracked)
        if ids:
            for row in conn.execute(TRACKED, {"ids": list(ids)}):
                dates = Dates(row[3], row[4], row[5])
                tracked = Tracked(row[0], row[1], row[2] is not None, dates)
                if row[11] is not None:  # a followups row exists
                    tracked.state = PersonState(row[7], row[8], bool(row[9]), row[10] or {})
                    tracked.changed_at = row[11]
                    tracked.changed_parts = dict(row[12] or {})
                self.tracked[tracked.id] = tracked
                self.owners.setdefault(tracked.owner_id, Owner(tracked.owner_id, dates, row[6]))
        owners -= set(self.owners)
        if owners:
            for person, off, starts_on, ends_on, timezone in conn.execute(
                OWNERS, {"ids": list(owners)}
            ):
                self.owners[person] = Owner(person, Dates(starts_on, ends_on, timezone), off)

    def plan(self, op: Operation, member: Member, signer: Signer) -> Plan:
        assert member.attendee_id is not None  # admitted
        me = member.attendee_id
        at = self.group.at(op)
        if isinstance(op, RemindersOp) and op.connection is None:
            return self._switch_all(op, me, signer, at)
        assert isinstance(op, FollowupOp | ReminderOp | RemindersOp)
        assert op.connection is not None
        tracked = self.tracked.get(op.connection)
        if tracked is None or tracked.owner_id != me or tracked.removed:
            return Plan(rejected("unknown_connection", REFUSALS["unknown_connection"]))
        state = tracked.state
        if isinstance(op, FollowupOp):
            if op.until is not None:
                made_on = local_day(at, tracked.dates.timezone)
                if not made_on < op.until <= made_on + SNOOZE_MAX:
                    detail = f"A snooze ends after {made_on} and within a year of it."
                    return Plan(invalid("until", detail))
            done = at if op.status == "done" else None
            state = replace(state, done_at=done, snoozed_until=op.until)
            part = "status"
        elif isinstance(op, ReminderOp):
            if op.due is not None and not (
                tracked.dates.starts_on <= op.due <= tracked.dates.ends_on + REMINDER_MAX
            ):
                detail = (
                    f"A reminder falls between {tracked.dates.starts_on} and "
                    f"{tracked.dates.ends_on + REMINDER_MAX}."
                )
                return Plan(invalid("due", detail))
            moved = dict(state.reminder_dates)
            moved[op.reminder] = None if op.due is None else op.due.isoformat()
            state = replace(state, reminder_dates=moved)
            part = op.reminder
        else:
            state = replace(state, reminders_off=op.off)
            part = "off"
        ids = {"connection": tracked.id, "owner": me}
        # Last writer wins per part: a late "done" stands against a newer reminder move.
        last = tracked.changed_parts.get(part)
        if last is not None and at < datetime.fromisoformat(last):
            return Plan(applied("stale", **ids))
        parts = {**tracked.changed_parts, part: at.isoformat()}
        latest = at if tracked.changed_at is None else max(at, tracked.changed_at)
        params = {
            "connection_id": tracked.id,
            "done_at": state.done_at,
            "snoozed_until": state.snoozed_until,
            "reminders_off": state.reminders_off,
            "reminder_dates": dict(state.reminder_dates),
            "changed_at": latest,
            "changed_parts": parts,
        }

        def saved(_: Sequence[Any] | None) -> None:
            tracked.state, tracked.changed_at, tracked.changed_parts = state, latest, parts

        return Plan(applied("updated", **ids), "followup", params, saved)

    def _switch_all(self, op: RemindersOp, me: int, signer: Signer, at: datetime) -> Plan:
        owner = self.owners[me]
        if not owner.switched_read:
            owner.switched_read = True
            for (result,) in self.group.conn.execute(SWITCHES, {"account": signer.id}):
                if (
                    result.get("owner") == me
                    and result.get("connection") is None
                    and result.get("reason") == "updated"
                ):
                    when = datetime.fromisoformat(result["at"])
                    if owner.switched_at is None or when > owner.switched_at:
                        owner.switched_at = when
        ids = {"connection": None, "owner": me, "at": at.isoformat()}
        if owner.switched_at is not None and at < owner.switched_at:
            return Plan(applied("stale", **ids))

        def switched(_: Sequence[Any] | None) -> None:
            owner.reminders_off, owner.switched_at = op.off, at

        params = {"attendee_id": me, "off": op.off}
        return Plan(applied("updated", **ids), "reminders_all", params, switched)

    def prepare(self, answers: Sequence[Answer]) -> None:
        # Only a duplicate met inside the group (not loaded up front) can be missing here.
        results = [r for _, r, *_ in answers if isinstance(r, dict) and "owner" in r]
        ids = {r["connection"] for r in results if r["connection"] is not None}
        owners = {r["owner"] for r in results}
        self._load(ids, owners)

    def reply(
        self, op: Operation, result: dict[str, Any], common: dict[str, Any]
    ) -> FollowupResult:
        reply = RESULT_OF[type(op)](**common)
        if "owner" not in result:
            return reply
        owner = self.owners.get(result["owner"])
        if owner is None:
            return reply
        reply.reminders_off = owner.reminders_off
        tracked = self.tracked.get(result["connection"]) if result["connection"] else None
        if tracked is not None:
            reply.connection = tracked.id
            dates = tracked.dates
            today = local_day(self.group.now, dates.timezone)
            reply.followup = followup_state(
                today, tracked.state, dates.ends_on, dates.timezone, owner.reminders_off
            )
        return reply
