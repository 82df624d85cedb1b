"""Time bins in an event's time zone, correct across daylight-saving changes (pure).

A bin is a stretch of wall-clock time in the event's zone *with its UTC offset*: the hour
repeated when clocks go back is two bins ("02:00+02:00" and "02:00+01:00"), and the hour
skipped when they go forward has none. The database groups by UTC instants shifted by the
offset in force (`offset_segments` gives the stretches of constant offset), so a bin never
mixes two real hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Segment:
    """From `starts` (UTC, None for "since always") the zone is `offset` seconds from UTC."""

    starts: datetime | None
    offset: int


def offset_at(zone: ZoneInfo, instant: datetime) -> int:
    """Seconds east of UTC in `zone` at the UTC `instant`."""
    delta = instant.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _change_between(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first second after `low` at which the offset differs from `low`'s (at most `high`)."""
    before = offset_at(zone, low)
    lo, hi = 0, int((high - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset_at(zone, low + timedelta(seconds=mid)) == before:
            lo = mid
        else:
            hi = mid
    return low + timedelta(seconds=hi)


def offset_segments(zone: ZoneInfo, first: datetime, last: datetime) -> list[Segment]:
    """The stretches of constant UTC offset covering [first, last] (UTC instants)."""
    segments = [Segment(None, offset_at(zone, first))]
    day = first
    while day < last:
        step = min(day + DAY, last)
        if offset_at(zone, step) != offset_at(zone, day):
            change = _change_between(zone, day, step)
            segments.append(Segment(change, offset_at(zone, change)))
            # Two changes within one day (none in practice): look again from this one.
            step = change
        day = step
    return segments


def wall_bin(bin_start_local: int, offset: int, zone: ZoneInfo) -> datetime:
    """The aware datetime of a bin given as local seconds since the epoch and its offset."""
    instant = datetime.fromtimestamp(bin_start_local - offset, UTC)
    return instant.astimezone(zone)


def minutes_to_bins(
    per_minute: Iterable[tuple[datetime, int]], zone: ZoneInfo, minutes: int = 15
) -> list[tuple[datetime, int]]:
    """Counts per UTC minute summed into `minutes`-long bins of the zone's wall clock, oldest
    first; each bin is the aware local datetime at which it starts."""
    size = minutes * 60
    totals: dict[tuple[int, int], int] = {}
    for minute, count in per_minute:
        offset = offset_at(zone, minute)
        local = int(minute.timestamp()) + offset
        key = (local - local % size, offset)
        totals[key] = totals.get(key, 0) + count
    bins = [(wall_bin(start, offset, zone), count) for (start, offset), count in totals.items()]
    # Aware datetimes of one zone compare by wall clock: sort by the instant instead.
    return sorted(bins, key=lambda item: item[0].astimezone(UTC))
