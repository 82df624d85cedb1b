"""The aggregate layer's pure parts: k-anonymity suppression and time bins across DST."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from api.dashboard.suppression import MIN_GROUP, Shown, protect, protect_parts
from api.dashboard.timebins import minutes_to_bins, offset_segments

MADRID = ZoneInfo("Europe/Madrid")


def test_a_figure_about_fewer_than_five_people_is_hidden_and_says_so() -> None:
    assert MIN_GROUP == 5
    assert protect(12, 4) == Shown(None, "small_group")
    assert protect(0, 0) == Shown(None, "small_group")
    assert protect(12, 5) == Shown(12)


def test_parts_without_a_known_total_hide_only_the_small_ones() -> None:
    assert protect_parts([(30, 30), (4, 4), (7, 7)]) == [
        Shown(30),
        Shown(None, "small_group"),
        Shown(7),
    ]


def test_a_single_hidden_part_of_a_known_total_takes_the_smallest_other_with_it() -> None:
    # 100 people: 60 made none, 30 made 1-4, 8 made 5-9, 2 made 10+. Showing the first three
    # would give away the 2 by subtraction.
    shown = protect_parts([(60, 60), (30, 30), (8, 8), (2, 2)], total_known=True)
    assert shown == [Shown(60), Shown(30), Shown(None, "complement"), Shown(None, "small_group")]


def test_hidden_parts_of_a_known_total_together_hold_at_least_five_people() -> None:
    # 4 + 0 hidden: their sum (4) would be a group below 5, so one more part is hidden.
    shown = protect_parts([(5, 5), (6, 6), (4, 4), (0, 0)], total_known=True)
    assert [s.value for s in shown] == [None, 6, None, None]
    assert shown[0].suppressed == "complement"


def test_when_everyone_is_a_small_group_nothing_is_shown() -> None:
    shown = protect_parts([(0, 0), (4, 4), (0, 0), (0, 0)], total_known=True)
    assert all(s.value is None for s in shown)


def test_offsets_change_when_madrid_changes_its_clocks() -> None:
    segments = offset_segments(
        MADRID, datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC)
    )
    assert [(s.starts, s.offset) for s in segments] == [
        (None, 7200),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 3600),
    ]


def test_fifteen_minute_bins_keep_the_repeated_hour_apart() -> None:
    # 25 October 2026: at 01:00 UTC Madrid goes from 03:00 (+02:00) back to 02:00 (+01:00).
    per_minute = [
        (datetime(2026, 10, 25, 0, 50, tzinfo=UTC), 2),  # 02:50 +02:00
        (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), 1),  # 02:59 +02:00
        (datetime(2026, 10, 25, 1, 5, tzinfo=UTC), 4),  # 02:05 +01:00
        (datetime(2026, 10, 25, 1, 50, tzinfo=UTC), 1),  # 02:50 +01:00
    ]
    bins = [(start.isoformat(), n) for start, n in minutes_to_bins(per_minute, MADRID)]
    assert bins == [
        ("2026-10-25T02:45:00+02:00", 3),
        ("2026-10-25T02:00:00+01:00", 4),
        ("2026-10-25T02:45:00+01:00", 1),
    ]


def test_bins_follow_zones_whose_offset_is_not_whole_hours() -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")  # +05:45
    per_minute = [(datetime(2026, 3, 10, 4, 14, tzinfo=UTC), 1)]  # 09:59 local
    per_minute.append((datetime(2026, 3, 10, 4, 15, tzinfo=UTC), 1))  # 10:00 local
    bins = [(start.isoformat(), n) for start, n in minutes_to_bins(per_minute, kathmandu)]
    assert bins == [("2026-03-10T09:45:00+05:45", 1), ("2026-03-10T10:00:00+05:45", 1)]
