"""Apply parsed attendee rows to an event: create new people, update known ones, never duplicate."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.attendees.directory import refresh_directory
from api.attendees.fields import OWNED_AFTER_EDIT
from api.badges.service import issue_missing_badges
from api.errors import Invalid, TooLarge
from api.imports.parse import AttendeeRecord, ImportProblem, ParsedImport, parse_attendee_file
from api.imports.schemas import MAX_LISTED, ImportReport
from api.models import Attendee, Event, utcnow

Progress = Callable[[int, int], None]

# Fields the ticketing export owns; a re-import always refreshes them when the column is present.
TICKET_FIELDS = ("name", "organization", "role", "language", "ticket_type", "ticket_ref")
# Fields the attendee owns once they have edited their profile.
PROFILE_FIELDS = OWNED_AFTER_EDIT
CHUNK = 1000


def parse_upload(
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
    max_rows: int,
    size: int | None = None,
    **options: Any,
) -> ParsedImport:
    """Parse an uploaded file, turning whole-file problems into domain errors. `size` is the
    whole file's (`data` may stop just past `max_bytes`)."""
    if len(data) > max_bytes:
        size = max(size or 0, len(data))
        raise TooLarge(
            f"The file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
            "Split it, or remove columns you do not need.",
            code="file_too_large",
            size_mb=round(size / 1e6, 1),
            limit_mb=round(max_bytes / 1e6),
        )
    try:
        return parse_attendee_file(data, filename=filename, max_rows=max_rows, **options)
    except ImportProblem as problem:
        error_class = TooLarge if problem.status == 413 else Invalid
        raise error_class(problem.detail, code=problem.code, **problem.extra) from problem


def _mapped_fields(parsed: ParsedImport) -> set[str]:
    fields = {c.field for c in parsed.columns if c.field}
    if fields & {"first_name", "last_name"}:
        fields.add("name")
    return fields


def _changes(
    record: AttendeeRecord, current: dict[str, Any] | None, fields: set[str]
) -> dict[str, Any]:
    """The values this record sets: on an update, the mapped fields this import may change.

    An empty cell never erases what is saved (exports often leave optional columns blank), and
    once the attendee edited their profile the fields they own stay theirs. Updates always carry
    the same columns, so the database receives them as one batch; {} means nothing changed.
    """
    wanted = {name: getattr(record, name) for name in (*TICKET_FIELDS, *PROFILE_FIELDS)}
    if current is None:
        return wanted
    owned = TICKET_FIELDS if current["profile_edited_at"] else (*TICKET_FIELDS, *PROFILE_FIELDS)
    values = {name: wanted[name] or current[name] for name in owned if name in fields}
    if all(values[name] == current[name] for name in values):
        return {}
    return values


async def _existing(
    session: AsyncSession, event: Event, emails: list[str]
) -> dict[str, dict[str, Any]]:
    """Saved values of the attendees this file names, keyed by e-mail."""
    columns = [Attendee.id, Attendee.email, Attendee.profile_edited_at]
    columns += [getattr(Attendee, name) for name in (*TICKET_FIELDS, *PROFILE_FIELDS)]
    query = select(*columns).where(Attendee.event_id == event.id)
    # A small file looks its people up by e-mail. A large one reads the event once: repeated
    # 1,000-value IN lists get a generic plan on PostgreSQL that scans the table per chunk
    # (measured: 10 s for 20,000 rows, against 0.2 s for one read of the event).
    if len(emails) <= CHUNK:
        query = query.where(Attendee.email.in_(emails))
    wanted = set(emails)
    rows = await session.execute(query)
    return {row["email"]: dict(row) for row in rows.mappings() if row["email"] in wanted}


def _chunks(items: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def import_attendees(
    session: AsyncSession,
    event: Event,
    parsed: ParsedImport,
    *,
    dry_run: bool,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update the event's attendees from parsed rows, matching on normalized e-mail."""
    records = parsed.records
    existing = await _existing(session, event, [r.email for r in records])
    fields = _mapped_fields(parsed)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged = 0
    now = utcnow()
    for record in records:
        current = existing.get(record.email)
        changes = _changes(record, current, fields)
        if current is None:
            inserts.append(
                {"event_id": event.id, "email": record.email, "created_at": now, "updated_at": now}
                | changes
                | {"shared_fields": []}
            )
        elif changes:
            updates.append({"id": current["id"], "updated_at": now} | changes)
        else:
            unchanged += 1
    invalid_rows = len({e.row for e in parsed.errors})
    applied = not dry_run and (invalid_rows == 0 or skip_invalid)
    if applied:
        done, total = 0, len(inserts) + len(updates)
        for batch in _chunks(inserts):
            await session.execute(insert(Attendee), batch)
            done += len(batch)
            if progress:
                progress(done, total)
        for batch in _chunks(updates):
            await session.execute(update(Attendee), batch)
            done += len(batch)
            if progress:
                progress(done, total)
        if inserts:
            await issue_missing_badges(session, event.id)
        if updates:
            await refresh_directory(session, event.id, [row["id"] for row in updates])
    report = ImportReport(
        format=parsed.format,
        encoding=parsed.encoding,
        encoding_detected=parsed.encoding_detected,
        delimiter=parsed.delimiter,
        columns=parsed.columns,
        total_rows=parsed.total_rows,
        valid_rows=len(records),
        invalid_rows=invalid_rows,
        created=len(inserts),
        updated=len(updates),
        unchanged=unchanged,
        errors=parsed.errors[:MAX_LISTED],
        warnings=parsed.warnings[:MAX_LISTED],
        warnings_total=len(parsed.warnings),
        preview=records[:10],
        dry_run=dry_run,
        applied=applied,
    )
    if not dry_run and not applied:
        one = invalid_rows == 1
        raise Invalid(
            f"{invalid_rows} {'row has' if one else 'rows have'} errors, so nothing was imported. "
            f"Fix {'it' if one else 'them'}, or choose to import only the valid rows.",
            code="rows_invalid",
            report=report,
        )
    return report
