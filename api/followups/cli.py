"""`enlace followups EVENT`: the follow-up digest from the console (status, send, dry run)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import create_engine, session_factory, transaction
from api.followups import digests
from api.followups.digest_schemas import DigestQueued, DigestStatus
from api.i18n import LANGUAGES
from api.migrate import require_current_schema
from api.models import Event, utcnow
from api.settings import Settings, SettingsError, load_settings

T = TypeVar("T")
out = Console()


def _in_event(
    settings: Settings, slug: str, work: Callable[[AsyncSession, Event], Awaitable[T]]
) -> T:
    async def main() -> T:
        engine = create_engine(settings)
        try:
            await require_current_schema(engine)
            async with transaction(session_factory(engine)) as session:
                event = await session.scalar(select(Event).where(Event.slug == slug))
                if event is None:
                    raise click.ClickException(f"No event with slug '{slug}'.")
                return await work(session, event)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _print_status(status: DigestStatus) -> None:
    when = f"{status.local_time} ({status.timezone})" if status.local_time else "not scheduled"
    out.print(f"Scheduled: {when}; suggested {status.suggested_local_time}")
    if status.queued_at:
        out.print(f"Queued at {status.queued_at.isoformat(timespec='minutes')}")
    out.print(f"{status.recipients} attendees would get it now.")
    report = status.report
    out.print(
        f"Sent {report.sent} · failed {report.failed} · waiting {report.queued} · "
        f"unsubscribed {report.opted_out}"
    )
    for failure in report.failures:
        out.print(f"[red]failed[/] {failure.to}: {failure.error}", soft_wrap=True)


@click.command("followups")
@click.argument("event")
@click.option("--send", is_flag=True, help="Queue the digest for everyone who should get it now.")
@click.option(
    "--dry-run", is_flag=True, help="With --send: say who would get it and show a sample."
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default="es",
    show_default=True,
    help="The language of the sample --dry-run shows.",
)
def followups_command(event: str, send: bool, dry_run: bool, language: str) -> None:
    """The follow-up digest of EVENT (its slug): how it went, or --send it now."""
    if dry_run and not send:
        raise click.BadParameter("--dry-run goes with --send.", param_hint="--dry-run")
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    now = utcnow()

    if not send:
        status = _in_event(settings, event, lambda db, found: digests.digest_status(db, found, now))
        _print_status(status)
        return

    if dry_run:

        async def plan(db: AsyncSession, found: Event) -> tuple[digests.DigestPlan, str]:
            # The sample, not a real attendee's: the console is the organizer's, not theirs.
            sample = digests.sample_preview(settings, found, language)
            return await digests.plan_digests(db, found, now), sample.text

        found_plan, sample_text = _in_event(settings, event, plan)
        out.print(
            f"{len(found_plan.recipients)} attendees would get the digest now "
            f"({found_plan.already_queued} already have it, {found_plan.opted_out} unsubscribed, "
            f"{found_plan.without_connections} met nobody). Nothing was queued."
        )
        out.print("\nA sample (made-up people), as an attendee reads it:\n")
        out.print(sample_text, markup=False, highlight=False, soft_wrap=True)
        return

    async def send_now() -> DigestQueued | None:
        engine = create_engine(settings)
        try:
            await require_current_schema(engine)
            sessionmaker = session_factory(engine)
            async with transaction(sessionmaker) as session:
                found = await session.scalar(select(Event.id).where(Event.slug == event))
            if found is None:
                raise click.ClickException(f"No event with slug '{event}'.")
            return await digests.send_digests_now(sessionmaker, settings, found, now)
        finally:
            await engine.dispose()

    queued = asyncio.run(send_now())
    if queued is None:  # removed meanwhile
        raise click.ClickException(f"No event with slug '{event}'.")
    out.print(
        f"{queued.queued} digests queued ({queued.already_queued} already had one, "
        f"{queued.opted_out} unsubscribed, {queued.without_connections} met nobody)."
    )
    if queued.queued:
        out.print("The server's worker sends them within a minute (or run `enlace worker`).")
