"""The `enlace` command for operators: serve, migrate, demo, import, badges and sign-in help."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

import click
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.service import find_or_create_account, normalize_email, request_signin
from api.badges.address import ADVICE as ADDRESS_ADVICE
from api.badges.address import address_problem
from api.db import create_engine, session_factory, transaction
from api.demo.seed import ATTENDEE_EMAIL, DEMO_SLUG, ORGANIZER_EMAIL, STAFF_EMAIL, seed_demo
from api.errors import DomainError
from api.exports.cli import export
from api.followups.cli import followups_command
from api.imports.schemas import ImportReport
from api.imports.service import import_attendees, parse_upload
from api.migrate import (
    DatabaseNotReady,
    current_revision,
    require_current_schema,
    upgrade_database,
)
from api.models import Account, Attendee, Event
from api.output_file import OutputFile
from api.posters.cli import posters_command
from api.settings import Settings, SettingsError, load_settings

T = TypeVar("T")
console = Console(stderr=True)
out = Console()


def run_with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction against the configured database."""

    async def main() -> T:
        engine = create_engine(settings)
        try:
            await require_current_schema(engine)
            async with transaction(session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def check_database(settings: Settings) -> None:
    """Refuse to start unless the database is reachable and migrated (see DatabaseNotReady)."""
    engine = create_engine(settings)
    try:
        await require_current_schema(engine)
    finally:
        await engine.dispose()


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


class EnlaceCommands(click.Group):
    """The commands, with the operator's usual problems said in a sentence, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DatabaseNotReady as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            if not exc.filename:
                raise
            # A folder that is not writable, a full disk, an unreadable file: name the file.
            raise click.ClickException(f"{exc.filename}: {exc.strerror}.") from exc


@click.group(cls=EnlaceCommands)
def main() -> None:
    """Enlace: conference networking that survives conference Wi-Fi."""


main.add_command(export)
main.add_command(followups_command)


@main.command()
def migrate() -> None:
    """Apply database migrations."""
    settings = settings_or_exit()

    async def upgrade() -> None:
        engine = create_engine(settings)
        try:
            await current_revision(engine)  # says so when the database cannot be reached
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())
    console.print("[green]Database is up to date.[/]")


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 8000).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API and the PWA."""
    # The workers build their settings from the environment: the address given here must also
    # be the one the default base URL and allowed hosts are made from.
    if host:
        os.environ["HOST"] = host
    if port:
        os.environ["PORT"] = str(port)
    settings = settings_or_exit()
    asyncio.run(check_database(settings))
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


async def _signin_link(session: AsyncSession, settings: Settings, email: str, path: str) -> str:
    # Operators at the console are not rate limited; the limit guards the public form.
    mail = await request_signin(session, settings, email, next_path=path, limit_rate=False)
    if mail is None:
        raise click.ClickException(f"{email} is not registered for any event.")
    return f"{mail.link}  (code {mail.code[:4]} {mail.code[4:]})"


@main.command()
@click.option("--once", is_flag=True, help="Run the jobs that are due once, then exit.")
def worker(once: bool) -> None:
    """Run the scheduled jobs (send queued mail, ...) without serving; stop with Ctrl-C."""
    from api.app import JOBS
    from api.jobs import run_due_jobs, run_jobs_forever
    from api.models import utcnow

    settings = settings_or_exit()

    async def run() -> dict[str, int]:
        engine = create_engine(settings)
        sessionmaker = session_factory(engine)
        try:
            await require_current_schema(engine)
            if once:
                return await run_due_jobs(sessionmaker, settings, JOBS, utcnow())
            # SIGTERM (systemd, docker stop) stops it as Ctrl-C does: what was sent is recorded
            # and what was claimed but not tried goes back to the queue.
            main_task = asyncio.current_task()
            assert main_task is not None
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
            with suppress(asyncio.CancelledError):
                await run_jobs_forever(sessionmaker, settings, JOBS)
            return {}
        finally:
            await engine.dispose()

    names = ", ".join(job.name for job in JOBS)
    if not once:
        console.print(f"Running jobs ({names}) every few seconds; Ctrl-C stops.")
    try:
        done = asyncio.run(run())
    except KeyboardInterrupt:
        return
    for name, count in done.items():
        out.print(f"{name}: {count}")


@main.command("mail")
def mail_command() -> None:
    """Show the mail queue: how many messages wait, went out, failed, and the latest failures."""
    from sqlalchemy import func

    from api.models import MailMessage

    settings = settings_or_exit()

    async def work(session: AsyncSession) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
        counts = await session.execute(
            select(MailMessage.status, func.count()).group_by(MailMessage.status)
        )
        failures = await session.execute(
            select(MailMessage.to, MailMessage.last_error)
            .where(MailMessage.status == "failed")
            .order_by(MailMessage.id.desc())
            .limit(20)
        )
        return [(s, c) for s, c in counts.all()], [(t, e) for t, e in failures.all()]

    counts, failures = run_with_session(settings, work)
    by_status = dict(counts)
    out.print(
        " · ".join(f"{status} {by_status.get(status, 0)}" for status in STATUSES)
        + (f" · via SMTP {settings.smtp_host}" if settings.smtp_host else " · outbox folder")
    )
    for to, error in failures:
        out.print(f"[red]failed[/] {to}: {error}")


STATUSES = ("queued", "sending", "sent", "failed")


@main.command()
def demo() -> None:
    """Create the demo event (when missing) and print fresh sign-in links."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> list[tuple[str, str, str]]:
        created = await seed_demo(session)
        console.print(
            "[green]Demo event created[/] (slug 'demo')." if created else "Demo event is present."
        )
        await session.flush()
        return [
            (who, email, await _signin_link(session, settings, email, path))
            for who, email, path in (
                ("organizer", ORGANIZER_EMAIL, f"/organize/{DEMO_SLUG}"),
                ("staff", STAFF_EMAIL, "/"),
                ("attendee", ATTENDEE_EMAIL, f"/events/{DEMO_SLUG}/profile"),
            )
        ]

    links = run_with_session(settings, work)
    out.print("\n[bold]One-time sign-in links[/] (each works once, for 10 minutes):")
    for who, email, link in links:
        # soft_wrap keeps each link on one line so terminals can open it with a click.
        out.print(f"  {who:<10} {email}\n             {link}", soft_wrap=True)
    out.print(base_url_note(settings), soft_wrap=True)
    out.print("New link later: `.venv/bin/enlace signin-link EMAIL`, or the sign-in page.\n")


@main.command("signin-link")
@click.argument("email")
def signin_link(email: str) -> None:
    """Print a one-time sign-in link and code for EMAIL."""
    settings = settings_or_exit()
    link = run_with_session(settings, lambda session: _signin_link(session, settings, email, "/"))
    out.print(link, soft_wrap=True)
    console.print(base_url_note(settings), soft_wrap=True)


def base_url_note(settings: Settings) -> str:
    """Which server the links lead to, and how to point them at another: a shell apart from the
    server's does not know the port it was started on."""
    return (
        f"Links lead to {settings.base_url}; if the server answers elsewhere (another port or "
        "host), set ENLACE_BASE_URL to its address, e.g. ENLACE_BASE_URL=http://127.0.0.1:8001."
    )


@main.command()
@click.argument("email")
def organizer(email: str) -> None:
    """Let EMAIL create events (creating the account when needed)."""
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> None:
        address = normalize_email(email)
        account = await find_or_create_account(session, address)
        if account is None:
            account = Account(email=address, language="es")
            session.add(account)
        account.can_create_events = True

    try:
        run_with_session(settings, work)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    console.print(f"[green]{email} can now create events.[/]")


@main.command("import")
@click.argument("event")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report; change nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if others fail.")
@click.option("--encoding", default=None, help="Text encoding of a CSV, e.g. cp1252 or latin-1.")
@click.option("--delimiter", default=None, help="CSV delimiter (detected when omitted).")
def import_command(
    event: str,
    file: Path,
    dry_run: bool,
    skip_invalid: bool,
    encoding: str | None,
    delimiter: str | None,
) -> None:
    """Import attendees into EVENT (its slug) from a CSV or XLSX FILE."""
    settings = settings_or_exit()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )

    async def work(session: AsyncSession) -> ImportReport:
        found = await session.scalar(select(Event).where(Event.slug == event))
        if found is None:
            raise click.ClickException(f"No event with slug '{event}'.")
        with progress:
            reading = progress.add_task("Reading file", total=None)
            data = await asyncio.to_thread(file.read_bytes)
            parsed = await asyncio.to_thread(
                parse_upload,
                data,
                file.name,
                max_bytes=settings.max_upload_bytes,
                max_rows=settings.import_max_rows,
                encoding=encoding,
                delimiter=delimiter,
            )
            progress.update(reading, total=1, completed=1)
            saving: list[TaskID] = []

            # The bar appears once saving starts: a dry run or a refused import saves nothing.
            def advance(done: int, total: int) -> None:
                if not saving:
                    saving.append(progress.add_task("Saving attendees", total=total))
                progress.update(saving[0], completed=done, total=total)

            return await import_attendees(
                session,
                found,
                parsed,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                progress=advance,
            )

    try:
        report = run_with_session(settings, work)
    except DomainError as exc:
        print_problem(exc)
        sys.exit(1)
    print_report(report, skip_invalid)


@main.command("badges")
@click.argument("event")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=OutputFile(),
    help="Where to write the PDF.",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"]),
    default=None,
    help="Plain paper with crop marks (default: a4; the stock's own paper with --stock).",
)
@click.option(
    "--stock",
    type=click.Choice(["avery-5392"]),
    default=None,
    help="Pre-cut badge stock instead of plain paper with crop marks (Letter).",
)
@click.option(
    "--search", default="", help="Only attendees whose name, e-mail or organization match."
)
def badges_command(
    event: str, out_path: Path, paper: str | None, stock: str | None, search: str
) -> None:
    """Write printable badge sheets for EVENT (its slug) to a PDF."""
    from api.attendees.search import attendee_filter
    from api.badges.render import LAYOUTS, BadgeData, write_badge_sheets
    from api.badges.service import badges_to_print
    from api.badges.text import FontsMissing

    layout = LAYOUTS[stock or paper or "a4"]
    if stock and paper and paper != layout.paper:
        raise click.BadParameter(
            f"{stock} stock comes on {layout.paper.capitalize()} paper: leave out --paper, "
            f"or leave out --stock to print on plain {paper.capitalize()} with crop marks.",
            param_hint="--paper",
        )
    settings = settings_or_exit()

    async def gather(session: AsyncSession) -> tuple[str, list[BadgeData]]:
        found = await session.scalar(select(Event).where(Event.slug == event))
        if found is None:
            raise click.ClickException(f"No event with slug '{event}'.")
        rows = await badges_to_print(
            session, found, settings.base_url, attendee_filter(found, search)
        )
        if not rows:
            anyone = await session.scalar(select(Attendee.id).where(Attendee.event_id == found.id))
            if anyone is None:
                raise click.ClickException(
                    f"'{event}' has no attendees yet: import them first (enlace import)."
                )
            raise click.ClickException(
                f"Nobody in '{event}' has a name, e-mail or organization matching "
                f"'{search.strip()}': nothing to print."
            )
        return found.name, rows

    title, badges = run_with_session(settings, gather)
    problem = address_problem(settings.base_url)
    if problem is not None:
        # On stderr, before the work: a whole print run of badges no phone can open is costly.
        click.echo("Warning: " + ADDRESS_ADVICE[problem].format(url=settings.base_url), err=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    partial = out_path.with_name(out_path.name + ".part")
    try:
        with progress, partial.open("wb") as pdf:
            task = progress.add_task("Rendering badges", total=len(badges))
            write_badge_sheets(
                badges, layout, pdf, title, lambda done: progress.update(task, completed=done)
            )
        partial.replace(out_path)
    except FontsMissing as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(str(exc)) from exc
    except BaseException:  # also Ctrl-C: leave no half-written file behind
        partial.unlink(missing_ok=True)
        raise
    pages = -(-len(badges) // layout.per_page)
    badge_word = "badge" if len(badges) == 1 else "badges"
    page_word = "page" if pages == 1 else "pages"
    out.print(
        f"{len(badges)} {badge_word} on {pages} {layout.paper.upper()} {page_word} → {out_path}"
    )


@main.command("fonts")
def fonts_command() -> None:
    """Say which scripts the installed badge fonts draw; exit 1 when one is missing."""
    from api.badges.text import FontsMissing, coverage, fonts

    try:
        chain = fonts("regular")
        covered = coverage()
    except FontsMissing as exc:
        raise click.ClickException(str(exc)) from exc
    for face in chain:
        out.print(f"font  {face.path}" + (f" (face {face.index})" if face.index else ""))
    for script, ok in covered.items():
        out.print(f"{'ok     ' if ok else 'MISSING'} {script}")
    if not all(covered.values()):
        console.print(
            "Some scripts would be left out of badges. Install the fonts: "
            "apt-get install fonts-noto-core fonts-noto-cjk (or `make fonts` as root)."
        )
        sys.exit(1)


main.add_command(posters_command)


def counted(count: int, singular: str, plural: str) -> str:
    """`1 row`, `2 rows`: a count with its noun in the right number."""
    return f"{count} {singular if count == 1 else plural}"


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def say(text: str) -> None:
    # One line per sentence, wrapped by the terminal: a report piped to a file stays greppable.
    out.print(text, soft_wrap=True, highlight=False)


def say_problem(text: str) -> None:
    console.print(text, soft_wrap=True, highlight=False)


def print_report(report: ImportReport, skip_invalid: bool = False) -> None:
    """The import's report: what was read, and what was done or would be done."""
    read = [report.format.upper(), counted(report.total_rows, "row", "rows")]
    if report.encoding:
        read.append(f"encoding {report.encoding}")
    if report.delimiter:
        read.append(f"delimiter: {DELIMITER_NAMES.get(report.delimiter, repr(report.delimiter))}")
    say(" · ".join(read))
    mapped = ", ".join(f"{c.header} → {c.field or '(ignored)'}" for c in report.columns)
    say(f"Columns: {mapped}")
    for error in report.errors:
        say(f"[red]error[/] {error.detail}")
    for warning in report.warnings:
        say(f"[yellow]warning[/] {warning.detail}")
    people = counted(report.created, "attendee", "attendees")
    if report.applied:
        say(f"{people} created, {report.updated} updated, {report.unchanged} unchanged.")
        if report.invalid_rows:
            left_out = (
                "row with errors was" if report.invalid_rows == 1 else "rows with errors were"
            )
            say(f"{report.invalid_rows} {left_out} left out.")
        return
    say(
        f"{people} would be created, {report.updated} would be updated, "
        f"{report.unchanged} would stay unchanged."
    )
    if report.dry_run and report.invalid_rows:
        one = report.invalid_rows == 1
        if skip_invalid:
            left_out = "row with errors would be" if one else "rows with errors would be"
            say(f"{report.invalid_rows} {left_out} left out.")
        else:
            say(
                f"{report.invalid_rows} {'row has' if one else 'rows have'} errors: as it is, "
                f"the import would save nothing. Fix {'it' if one else 'them'}, or add "
                "--skip-invalid to import the other rows."
            )
    if report.dry_run:
        say("Dry run: nothing was saved.")


def print_problem(exc: DomainError) -> None:
    """An import refused: its report, then what to do (last, where the eye lands)."""
    report: Any = exc.extra.get("report")
    if isinstance(report, ImportReport):
        print_report(report)
    if exc.code == "rows_invalid" and isinstance(report, ImportReport):
        have = "row has" if report.invalid_rows == 1 else "rows have"
        say_problem(
            f"Error: {report.invalid_rows} {have} errors, so nothing was imported. Fix "
            f"{'it' if report.invalid_rows == 1 else 'them'}, or add --skip-invalid to import "
            "the other rows."
        )
        return
    say_problem(f"Error: {exc.detail}")


if __name__ == "__main__":
    main()
