"""Time bins on an event's wall clock, correct across daylight-saving changes (pure).

A bin is a stretch of wall-clock time in the event's zone from one aligned time to the next
("10:15" to "10:30"), given as the UTC instants where it starts and ends, so the database
counts each bin as a range of an indexed column. Every bin is a real stretch of time: the hour
repeated when clocks go back is two bins (02:00+02:00 and 02:00+01:00), the hour skipped when
they go forward has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

QUARTER = timedelta(minutes=15)
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Bin:
    """[starts, ends) in UTC; `local` is `starts` on the zone's wall clock, with its offset."""

    starts: datetime
    ends: datetime
    local: datetime


def _offset_seconds(zone: ZoneInfo, instant: datetime) -> int:
    delta = instant.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def wall_clock_bins(zone: ZoneInfo, first_day: date, last_day: date, minutes: int) -> list[Bin]:
    """Bins of `minutes` (dividing an hour or a day) on the zone's wall clock, covering the
    local days from `first_day` to `last_day` inclusive, oldest first."""
    start = datetime.combine(first_day, time(), zone).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(), zone).astimezone(UTC)
    # Every zone's offset today is a whole number of quarter hours, so a quarter-hour step in
    # UTC meets every aligned wall-clock time; a zone with an odd offset (historical local mean
    # time) is walked minute by minute instead.
    hours = int((end - start) / timedelta(hours=1))
    odd = any(_offset_seconds(zone, start + timedelta(hours=k)) % 900 for k in range(hours + 1))
    step = MINUTE if odd else QUARTER
    size = minutes * 60
    edges = []
    instant = start
    while instant <= end:
        local = instant.astimezone(zone)
        if (local.hour * 3600 + local.minute * 60) % size == 0 and local.second == 0:
            edges.append(instant)
        instant += step
    return [Bin(a, b, a.astimezone(zone)) for a, b in pairwise(edges)]
