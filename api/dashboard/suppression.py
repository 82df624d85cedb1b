"""k-anonymity for organizer views of networking: no figure about fewer than 5 people.

Pure functions over plain numbers, for every aggregate view (the dashboard, exports, digests).
A figure is shown only when the group of people behind it has at least `MIN_GROUP` members;
otherwise it is suppressed, and marked so (a screen says "fewer than 5", never "0"). Zero is a
group below 5 too: "nobody made 10+ connections" is as telling as "two people did".

When parts add up to a total shown elsewhere (people by number of connections add up to the
registered count), one hidden part could be found by subtraction, so more parts are hidden
("complement") until the hidden ones together hold at least `MIN_GROUP` people and there are at
least two of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

MIN_GROUP = 5

# Why a figure is hidden: its own group is too small, or it would reveal a small group by
# subtraction from a known total.
Reason = Literal["small_group", "complement"]


@dataclass(frozen=True, slots=True)
class Shown:
    """A figure as an organizer may see it: its value, or None and why it is hidden."""

    value: int | None
    suppressed: Reason | None = None


def protect(value: int, people: int) -> Shown:
    """`value` (a count about `people` distinct people) if the group is large enough."""
    if people < MIN_GROUP:
        return Shown(None, "small_group")
    return Shown(value)


def protect_parts(parts: Sequence[tuple[int, int]], total_known: bool = False) -> list[Shown]:
    """Each (value, people) part protected; with `total_known`, hidden parts cannot be derived
    by subtraction: the smallest shown parts are hidden too until the hidden ones together
    hold at least MIN_GROUP people and number at least two (or everything is hidden)."""
    shown = [protect(value, people) for value, people in parts]
    if not total_known:
        return shown
    hidden = {i for i, figure in enumerate(shown) if figure.suppressed}

    def exposed() -> bool:
        if not hidden:
            return False
        return len(hidden) < 2 or sum(parts[i][1] for i in hidden) < MIN_GROUP

    while exposed() and len(hidden) < len(parts):
        smallest = min((i for i in range(len(parts)) if i not in hidden), key=lambda i: parts[i])
        hidden.add(smallest)
        shown[smallest] = Shown(None, "complement")
    return shown
