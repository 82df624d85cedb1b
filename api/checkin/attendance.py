"""What counts as attendance, one definition for check-in, exports and the dashboard.

Every check-in attempt is a row of `checkins`; an attempt counts when it checked the person in
(`checked_in`, or `already`: a second check-in, kept as made) and was not undone. A person is
checked in to the event when any attempt of theirs counts, at the entrance or in a session;
attendance of a session counts distinct people.
"""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

from api.models import Checkin

# Outcomes of attempts that checked someone in.
ADMITTED = ("checked_in", "already")
# The place of a check-in at the entrance (sessions are named by their id).
ENTRANCE = "entrance"


def counts() -> ColumnElement[bool]:
    """The attempts that count as attendance."""
    return and_(
        Checkin.outcome.in_(ADMITTED),
        Checkin.undone_at.is_(None),
        Checkin.attendee_id.is_not(None),
    )
