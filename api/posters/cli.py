"""`enlace posters`: the room posters of an event as a PDF, from the command line."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import DomainError
from api.i18n import translate
from api.models import Event, utcnow
from api.output_file import OutputFile
from api.posters import service
from api.posters.content import PosterContent, check_day, default_day, poster_languages
from api.posters.render import Paper, write_posters


@click.command("posters")
@click.argument("event")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=OutputFile(),
    help="Where to write the PDF.",
)
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day whose sessions the posters list, YYYY-MM-DD (default: today while the event "
    "runs, else its first day).",
)
def posters_command(event: str, out_path: Path, paper: Paper, day: datetime | None) -> None:
    """Write a QR poster per room of EVENT's schedule (its slug) to a PDF, one page per room."""
    # Imported here: api.cli imports this command to register it.
    from api.cli import out, run_with_session, settings_or_exit

    settings = settings_or_exit()

    async def gather(session: AsyncSession) -> tuple[str, date, list[PosterContent]]:
        found = await session.scalar(select(Event).where(Event.slug == event))
        if found is None:
            raise click.ClickException(f"No event with slug '{event}'.")
        chosen = check_day(found, day.date()) if day else default_day(found, utcnow())
        posters = await service.event_posters(session, found, chosen, settings.base_url)
        if not posters:
            raise service.no_rooms()
        title = translate(poster_languages(found)[0], "posters.document_title", event=found.name)
        return title, chosen, posters

    try:
        title, chosen, posters = run_with_session(settings, gather)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    partial = out_path.with_name(out_path.name + ".part")
    try:
        with partial.open("wb") as pdf:
            pages = write_posters(posters, paper, pdf, title)
        partial.replace(out_path)
    except BaseException:  # also Ctrl-C: leave no half-written file behind
        partial.unlink(missing_ok=True)
        raise
    rooms = "room" if pages == 1 else "rooms"
    out.print(f"{pages} {rooms} on {paper.upper()}, sessions of {chosen.isoformat()} → {out_path}")
