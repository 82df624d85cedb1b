"""The aggregate layer's pure parts: k-anonymity suppression and time bins across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.dashboard.suppression import MIN_GROUP, Shown, protect, protect_parts
from api.dashboard.timebins import wall_clock_bins

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


def test_quarter_hours_keep_the_hour_repeated_when_clocks_go_back_apart() -> None:
    # 25 October 2026: at 01:00 UTC Madrid goes from 03:00 (+02:00) back to 02:00 (+01:00).
    bins = wall_clock_bins(MADRID, date(2026, 10, 25), date(2026, 10, 25), 15)
    assert len(bins) == 25 * 4
    around = [b.local.isoformat() for b in bins if time(2) <= b.local.time() < time(3)]
    assert around == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:15:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:45:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:15:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T02:45:00+01:00",
    ]
    assert all(b.ends - b.starts == timedelta(minutes=15) for b in bins)


def test_hours_skip_the_hour_that_does_not_exist_when_clocks_go_forward() -> None:
    # 29 March 2026: at 01:00 UTC Madrid jumps from 02:00 (+01:00) to 03:00 (+02:00).
    bins = wall_clock_bins(MADRID, date(2026, 3, 29), date(2026, 3, 29), 60)
    assert [b.local.strftime("%H:%M%z") for b in bins[:4]] == [
        "00:00+0100",
        "01:00+0100",
        "03:00+0200",
        "04:00+0200",
    ]
    assert len(bins) == 23
    assert bins[2].starts == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_hours_follow_zones_whose_offset_is_not_whole_hours() -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")  # +05:45
    bins = wall_clock_bins(kathmandu, date(2026, 3, 10), date(2026, 3, 10), 60)
    assert bins[10].local.isoformat() == "2026-03-10T10:00:00+05:45"
    assert bins[10].starts == datetime(2026, 3, 10, 4, 15, tzinfo=UTC)
