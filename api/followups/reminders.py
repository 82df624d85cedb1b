"""Reminders and status per person, pure: what is due on a given day in the event's time zone.

The default schedule counts days after the event's last day (the guide the product grew from:
thank within two days, share something relevant after a month, reach out before you need help
after three months). A person's own dates move a reminder or turn it off; the attendee may turn
one person's reminders, or all of theirs, off. Nothing here reads a clock: callers pass `today`
(a day in the event's time zone, see `local_day`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

ReminderKind = Literal["thank_you", "share", "reach_out"]
Status = Literal["todo", "done", "snoozed"]
KINDS: tuple[ReminderKind, ...] = ("thank_you", "share", "reach_out")
DEFAULT_DAYS: dict[str, int] = {"thank_you": 2, "share": 30, "reach_out": 90}
# The thank-you is a deadline ("within two days"): a person marked done at any time has been
# thanked, so it never makes them "to do" again; the later reminders do.
SETTLED_BY_DONE = frozenset({"thank_you"})


@dataclass(frozen=True, slots=True)
class PersonState:
    """Where the owner stands with one connection (a `followups` row, or the defaults)."""

    done_at: datetime | None = None
    snoozed_until: date | None = None
    reminders_off: bool = False
    reminder_dates: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder of one person: when it falls due, whether it is on, moved, due today."""

    kind: str
    due: date
    on: bool
    moved: bool
    due_now: bool


def local_day(moment: datetime, timezone: str) -> date:
    """The day `moment` falls on in the event's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def default_due(ends_on: date, kind: str) -> date:
    return ends_on + timedelta(days=DEFAULT_DAYS[kind])


def schedule(
    ends_on: date, state: PersonState, all_off: bool = False
) -> list[tuple[str, date, bool, bool]]:
    """Every kind in order as (kind, due, on, moved); `all_off` is the attendee's own switch."""
    found: list[tuple[str, date, bool, bool]] = []
    for kind in KINDS:
        due, on, moved = default_due(ends_on, kind), True, False
        if kind in state.reminder_dates:
            own = state.reminder_dates[kind]
            if own is None:
                on = False
            else:
                moved_to = date.fromisoformat(own) if isinstance(own, str) else own
                moved = moved_to != due
                due = moved_to
        found.append((kind, due, on and not (all_off or state.reminders_off), moved))
    return found


def done_day(state: PersonState, timezone: str) -> date | None:
    return None if state.done_at is None else local_day(state.done_at, timezone)


def status_of(
    today: date, state: PersonState, ends_on: date, timezone: str, all_off: bool = False
) -> Status:
    """snoozed before the snooze ends; done unless a reminder that is on fell due after the day
    it was marked done (the thank-you never does: see `SETTLED_BY_DONE`); else todo."""
    if state.snoozed_until is not None and today < state.snoozed_until:
        return "snoozed"
    done = done_day(state, timezone)
    if done is None:
        return "todo"
    for kind, due, on, _ in schedule(ends_on, state, all_off):
        if on and done < due <= today and kind not in SETTLED_BY_DONE:
            return "todo"
    return "done"


def reminders_of(
    today: date, state: PersonState, ends_on: date, timezone: str, all_off: bool = False
) -> list[Reminder]:
    """Each reminder of one person, with whether it is due now: on, due by today, not snoozed,
    and due after the day the person was marked done (the thank-you: not marked done at all)."""
    snoozed = state.snoozed_until is not None and today < state.snoozed_until
    done = done_day(state, timezone)
    return [
        Reminder(
            kind,
            due,
            on,
            moved,
            on
            and due <= today
            and not snoozed
            and (done is None or (due > done and kind not in SETTLED_BY_DONE)),
        )
        for kind, due, on, moved in schedule(ends_on, state, all_off)
    ]


def due_now(
    today: date, state: PersonState, ends_on: date, timezone: str, all_off: bool = False
) -> list[str]:
    """The kinds due today for one person (what the app and the digest remind of)."""
    return [r.kind for r in reminders_of(today, state, ends_on, timezone, all_off) if r.due_now]
