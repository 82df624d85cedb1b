"""What a scanned badge means to the person who scanned it: one decision and one vocabulary,
used by the card view (`GET /api/badges/...`) and by every offline write that names a badge."""

from __future__ import annotations

from dataclasses import dataclass

BADGE_OUTCOMES = {
    "unknown_badge": "No badge with this code in this event. Check the code and try again.",
    "revoked": "This badge was replaced by a new one; ask the person for their current badge.",
    "deleted_account": "This person is no longer part of the event.",
    "self_scan": "This is your own badge.",
}


@dataclass(slots=True, frozen=True)
class SeenBadge:
    """A badge as stored: its event, whose it is (None once that person is deleted), and
    whether it was replaced."""

    event_id: int
    attendee_id: int | None
    revoked: bool


def badge_outcome(badge: SeenBadge | None, event_id: int, me: int | None) -> str | None:
    """Why the badge cannot name a person for someone of `event_id` (attendee `me`, or None
    for staff), or None when it names someone else.

    A badge of another event answers `unknown_badge`, like one that never existed, so an
    outsider learns nothing about tokens; the other outcomes are said only inside the event.
    """
    if badge is None or badge.event_id != event_id:
        return "unknown_badge"
    if badge.attendee_id is None:
        return "deleted_account"
    if badge.revoked:
        return "revoked"
    if me is not None and badge.attendee_id == me:
        return "self_scan"
    return None
