"""`enlace export attendance`: the same streamed export as the screen, written to files."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import click
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db import create_engine, session_factory
from api.errors import BadInput
from api.exports import attendance
from api.exports.filters import STATUSES, AttendanceFilters, parse_filters
from api.i18n import LANGUAGES
from api.migrate import require_current_schema
from api.models import Account, Event
from api.output_file import OutputFile
from api.settings import SettingsError, load_settings

console = Console(stderr=True)
out = Console()


@click.group()
def export() -> None:
    """Export an event's data to files."""


def _bad_option(exc: BadInput) -> click.BadParameter:
    field = str(exc.extra.get("field", ""))
    return click.BadParameter(exc.detail, param_hint=f"--{field}" if field else None)


async def _write(chunks: AsyncIterator[bytes], path: Path) -> None:
    """Write to PATH.part and rename when complete: no half-written file is left behind."""
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("wb") as target:
            async for piece in chunks:
                target.write(piece)
        partial.replace(path)
    except BaseException:  # also Ctrl-C
        partial.unlink(missing_ok=True)
        raise


@export.command("attendance")
@click.argument("event")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="File format (default: from the --out file's extension).",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=OutputFile(),
    help="Where to write the attendance list.",
)
@click.option(
    "--status",
    type=click.Choice(STATUSES),
    default="all",
    show_default=True,
    help="Everyone, only people who came, or only those who did not.",
)
@click.option("--session", default=None, help="Only check-ins at this session (its id).")
@click.option("--day", default=None, help="Only check-ins on this day (YYYY-MM-DD, event time).")
@click.option(
    "--checkins",
    "checkins_path",
    type=OutputFile(),
    default=None,
    help="CSV only: also write every check-in to this file (an XLSX has them as a second sheet).",
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Headers' language (default: that of the account that created the event).",
)
def attendance_command(
    event: str,
    file_format: str | None,
    out_path: Path,
    status: str,
    session: str | None,
    day: str | None,
    checkins_path: Path | None,
    language: str | None,
) -> None:
    """Write EVENT's attendance (its slug) to a CSV or XLSX file."""
    if file_format is None:
        file_format = out_path.suffix.lower().lstrip(".")
        if file_format not in {"csv", "xlsx"}:
            raise click.BadParameter(
                "say --format csv or --format xlsx (the file name ends in neither).",
                param_hint="--format",
            )
    if checkins_path is not None and file_format != "csv":
        raise click.BadParameter(
            "an XLSX carries the check-ins as its second sheet; --checkins is for CSV.",
            param_hint="--checkins",
        )
    try:
        filters = parse_filters(status, session, day)
    except BadInput as exc:
        raise _bad_option(exc) from exc
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    counted: Counter[str] = Counter()

    def count(kind: str, rows: int) -> None:
        counted[kind] += rows

    async def main() -> None:
        # The readers' engine: on SQLite an export takes no write lock while it reads.
        engine = create_engine(settings, True)
        reader = session_factory(engine)
        try:
            await require_current_schema(engine)
            plan = await _plan(reader, event, filters, language)
            if file_format == "xlsx":
                await _write(attendance.attendance_xlsx(reader, plan, count), out_path)
                return
            await _write(attendance.attendance_csv(reader, plan, count), out_path)
            if checkins_path is not None:
                await _write(attendance.checkins_csv(reader, plan, count), checkins_path)
        finally:
            await engine.dispose()

    asyncio.run(main())
    out.print(f"{counted['attendance']} attendees → {out_path}")
    if file_format == "xlsx" or checkins_path is not None:
        where = checkins_path or f"{out_path} (second sheet)"
        out.print(f"{counted['checkins']} check-ins → {where}")


async def _plan(
    reader: async_sessionmaker[AsyncSession],
    slug: str,
    filters: AttendanceFilters,
    language: str | None,
) -> attendance.AttendanceExport:
    async with reader() as db:
        found = await db.scalar(select(Event).where(Event.slug == slug))
        if found is None:
            raise click.ClickException(f"No event with slug '{slug}'.")
        if language is None and found.created_by is not None:
            language = await db.scalar(
                select(Account.language).where(Account.id == found.created_by)
            )
        try:
            return await attendance.plan_export(db, found, filters, language or found.languages[0])
        except BadInput as exc:
            raise _bad_option(exc) from exc
