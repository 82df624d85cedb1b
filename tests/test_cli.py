"""The operator's `enlace` command: demo data, sign-in links, import with a report."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from api.cli import main
from api.db import create_engine
from api.migrate import upgrade_database
from api.models import Attendee
from tests.browser.harness import ENLACE, free_port
from tests.conftest import add_event, make_settings, run_in_db, wipe


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    asyncio.run(wipe(database_url, tmp_path))
    return {"DATABASE_URL": database_url, "ENLACE_DATA_DIR": str(tmp_path)}


def assert_refused(result: Result, message: str, exit_code: int = 1) -> None:
    """The command stopped with `message` and a non-zero exit code, not with a traceback."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert message in result.output
    assert "Traceback" not in result.output


def count_attendees(database_url: str, tmp_path: Path) -> int:
    async def work(session: object) -> int:
        return int(await session.scalar(select(func.count()).select_from(Attendee)) or 0)  # type: ignore[attr-defined]

    return int(asyncio.run(run_in_db(make_settings(database_url, tmp_path), work)))


def test_demo_seeds_once_and_prints_links_every_time(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo"], env=cli_env)
    assert first.exit_code == 0, first.output
    assert first.output.count("/signin#t=") == 3
    people = count_attendees(database_url, tmp_path)
    assert people > 250
    for _ in range(6):  # more than the public form's rate limit allows
        again = runner.invoke(main, ["demo"], env=cli_env)
        assert again.exit_code == 0, again.output
    assert count_attendees(database_url, tmp_path) == people


def test_import_dry_run_then_import(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    before = count_attendees(database_url, tmp_path)
    export = tmp_path / "export.csv"
    export.write_text(
        "Email;Nombre;Apellidos;Empresa\n"
        "nuevo@example.org;Nuevo;Asistente;Acme\n"
        "asistente@example.org;Alex;Rivera;Cooperativa Tejido\n",
        encoding="cp1252",
    )
    dry = runner.invoke(main, ["import", "demo", str(export), "--dry-run"], env=cli_env)
    assert dry.exit_code == 0, dry.output
    assert "1 attendee would be created, 0 would be updated, 1 would stay unchanged." in dry.output
    assert "delimiter: semicolon" in dry.output
    assert "Saving attendees" not in dry.output
    assert "Dry run: nothing was saved." in dry.output
    assert count_attendees(database_url, tmp_path) == before
    done = runner.invoke(main, ["import", "demo", str(export)], env=cli_env)
    assert done.exit_code == 0, done.output
    assert "1 attendee created, 0 updated, 1 unchanged." in done.output
    assert count_attendees(database_url, tmp_path) == before + 1


def test_import_reports_row_errors_and_exits_nonzero(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    before = count_attendees(database_url, tmp_path)
    export = tmp_path / "bad.csv"
    export.write_text("Email,Name\nnot-an-email,Ana\nok@example.org,Luis\n")
    result = runner.invoke(main, ["import", "demo", str(export)], env=cli_env)
    assert result.exit_code == 1
    assert "Row 2: e-mail" in result.output
    assert count_attendees(database_url, tmp_path) == before


def test_import_into_an_unknown_event_is_a_clear_error(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    export = tmp_path / "x.csv"
    export.write_text("Email,Name\na@example.org,Ana\n")
    result = CliRunner().invoke(main, ["import", "nope", str(export)], env=cli_env)
    assert result.exit_code != 0
    assert "No event with slug 'nope'" in result.output


def test_organizer_command_lets_an_address_create_events(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["organizer", "New@Example.org"], env=cli_env)
    assert result.exit_code == 0, result.output

    async def work(session: object) -> list[str]:
        from api.models import Account

        rows = await session.scalars(select(Account.email).where(Account.can_create_events))  # type: ignore[attr-defined]
        return list(rows)

    assert asyncio.run(run_in_db(make_settings(database_url, tmp_path), work)) == [
        "new@example.org"
    ]


def test_badges_writes_a_pdf_of_sheets_for_the_event(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    out = tmp_path / "badges.pdf"
    result = runner.invoke(
        main, ["badges", "demo", "--out", str(out), "--paper", "letter"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    people = 301
    assert f"{people} badges on {-(-people // 6)} LETTER pages" in result.output
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page ") == -(-people // 6)
    assert not (tmp_path / "badges.pdf.part").exists()

    only = runner.invoke(
        main,
        ["badges", "demo", "--out", str(out), "--stock", "avery-5392", "--search", "alex rivera"],
        env=cli_env,
    )
    assert only.exit_code == 0, only.output
    assert "1 badge on 1 LETTER page" in only.output


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://127.0.0.1:8000", "this computer itself"),
        ("http://192.168.1.20:8000", "private network"),
        ("https://enlace.example.org", None),
    ],
)
def test_badges_warn_when_phones_cannot_open_the_qr_address(
    cli_env: dict[str, str], tmp_path: Path, base_url: str, warned: str | None
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    result = runner.invoke(
        main,
        ["badges", "demo", "--out", str(tmp_path / "b.pdf"), "--search", "alex rivera"],
        env=cli_env | {"ENLACE_BASE_URL": base_url},
    )
    assert result.exit_code == 0, result.output
    if warned is None:
        assert "Warning" not in result.output
    else:
        assert f"Warning: The QR codes would point at {base_url}" in result.output
        assert warned in result.output and "ENLACE_BASE_URL" in result.output


def test_badges_for_an_unknown_event_says_so(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["badges", "nope", "--out", str(tmp_path / "x.pdf")], env=cli_env
    )
    assert result.exit_code != 0
    assert "No event with slug 'nope'" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_serve_on_another_port_answers_there(cli_env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    env = os.environ | cli_env
    env.pop("PORT", None)
    env.pop("ENLACE_BASE_URL", None)
    server = subprocess.Popen(  # noqa: S603 - our own command
        [str(ENLACE), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while status is None and time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/health"
                with urllib.request.urlopen(url, timeout=2) as response:
                    status = response.status
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
    # Not "invalid host header": the default base URL follows the port asked for.
    assert status == 200


def test_commands_on_a_database_never_migrated_say_to_migrate_first(
    empty_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": empty_url, "ENLACE_DATA_DIR": str(tmp_path)}
    export = tmp_path / "x.csv"
    export.write_text("Email,Name\na@example.org,Ana\n")
    runner = CliRunner()
    for command in (
        ["demo"],
        ["signin-link", "a@example.org"],
        ["import", "demo", str(export)],
        ["badges", "demo", "--out", str(tmp_path / "b.pdf")],
        ["export", "attendance", "demo", "--out", str(tmp_path / "a.csv")],
        ["followups", "demo"],
        ["worker", "--once"],
    ):
        result = runner.invoke(main, command, env=env)
        assert_refused(result, "has no tables yet: run `enlace migrate` first.")
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    demo = runner.invoke(main, ["demo"], env=env)
    assert demo.exit_code == 0, demo.output


def test_a_database_at_an_older_version_says_to_migrate(empty_url: str, tmp_path: Path) -> None:
    async def migrate_to_0007() -> None:
        engine = create_engine(make_settings(empty_url, tmp_path))
        try:
            await upgrade_database(engine, "0007")
        finally:
            await engine.dispose()

    asyncio.run(migrate_to_0007())
    env = {"DATABASE_URL": empty_url, "ENLACE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["demo"], env=env)
    assert_refused(result, "is at an older version (revision 0007")
    assert "run `enlace migrate` first." in result.output


def test_a_database_that_cannot_be_reached_is_named(tmp_path: Path) -> None:
    url = f"postgresql://enlace:secret@127.0.0.1:{free_port()}/enlace"
    env = {"DATABASE_URL": url, "ENLACE_DATA_DIR": str(tmp_path)}
    for command in (["migrate"], ["demo"]):
        result = CliRunner().invoke(main, command, env=env)
        assert_refused(result, "Cannot open the database postgresql+asyncpg://enlace:***@127.0.0.1")
        assert "Check DATABASE_URL" in result.output
        assert "secret" not in result.output


def test_import_dry_run_of_a_file_with_errors_says_the_import_would_stop(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    export = tmp_path / "bad.csv"
    export.write_text("Email,Name\nnot-an-email,Ana\nuno@example.org,Uno\ndos@example.org,Dos\n")
    dry = runner.invoke(main, ["import", "demo", str(export), "--dry-run"], env=cli_env)
    assert dry.exit_code == 0, dry.output
    assert "CSV · 3 rows · encoding utf-8 · delimiter: comma" in dry.output
    assert "error Row 2: e-mail 'not-an-email' is not valid" in dry.output
    assert "2 attendees would be created, 0 would be updated, 0 would stay unchanged." in (
        dry.output
    )
    assert (
        "1 row has errors: as it is, the import would save nothing. Fix it, or add "
        "--skip-invalid to import the other rows." in dry.output
    )
    skipping = runner.invoke(
        main, ["import", "demo", str(export), "--dry-run", "--skip-invalid"], env=cli_env
    )
    assert "1 row with errors would be left out." in skipping.output
    refused = runner.invoke(main, ["import", "demo", str(export)], env=cli_env)
    assert_refused(
        refused,
        "Error: 1 row has errors, so nothing was imported. Fix it, or add --skip-invalid to "
        "import the other rows.",
    )
    assert "Saving attendees" not in refused.output
    done = runner.invoke(main, ["import", "demo", str(export), "--skip-invalid"], env=cli_env)
    assert done.exit_code == 0, done.output
    assert "2 attendees created, 0 updated, 0 unchanged." in done.output
    assert "1 row with errors was left out." in done.output


def test_import_of_a_spreadsheet_names_no_delimiter(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    import openpyxl

    runner = CliRunner()
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "Name"])
    sheet.append(["hoja@example.org", "Hoja"])
    path = tmp_path / "people.xlsx"
    book.save(path)
    dry = runner.invoke(main, ["import", "demo", str(path), "--dry-run"], env=cli_env)
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("XLSX · 1 row\n"), dry.output
    assert "None" not in dry.output


def test_badges_search_that_matches_nobody_says_so(cli_env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    out = ["--out", str(tmp_path / "x.pdf")]
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    result = runner.invoke(main, ["badges", "demo", *out, "--search", "zzz"], env=cli_env)
    assert_refused(result, "Nobody in 'demo' has a name, e-mail or organization matching 'zzz'")
    assert "import" not in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_badges_for_an_event_without_attendees_say_to_import_them(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    asyncio.run(add_event(make_settings(database_url, tmp_path), "vacio"))
    for search in ([], ["--search", "ana"]):
        result = CliRunner().invoke(
            main, ["badges", "vacio", "--out", str(tmp_path / "x.pdf"), *search], env=cli_env
        )
        assert_refused(result, "'vacio' has no attendees yet: import them first")


def test_badges_refuse_a4_paper_with_letter_stock(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    result = CliRunner().invoke(
        main,
        ["badges", "demo", "--out", str(out), "--paper", "a4", "--stock", "avery-5392"],
        env=cli_env,
    )
    assert_refused(
        result,
        "avery-5392 stock comes on Letter paper: leave out --paper, or leave out --stock to "
        "print on plain A4 with crop marks.",
        exit_code=2,
    )
    assert not out.exists()


def test_signin_link_says_which_server_it_leads_to_and_how_to_change_it(
    cli_env: dict[str, str],
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    env = cli_env | {"ENLACE_BASE_URL": "http://127.0.0.1:8123"}
    result = runner.invoke(main, ["signin-link", "asistente@example.org"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("http://127.0.0.1:8123/signin#t=")
    assert (
        "Links lead to http://127.0.0.1:8123; if the server answers elsewhere (another port or "
        "host), set ENLACE_BASE_URL to its address" in result.stderr
    )


def test_a_setting_that_is_not_a_number_is_named(cli_env: dict[str, str]) -> None:
    for command in (["mail"], ["export", "attendance", "demo", "--out", "x.csv"]):
        result = CliRunner().invoke(main, command, env=cli_env | {"PORT": "eighty"})
        assert_refused(result, "PORT must be a whole number, not 'eighty'")


def test_a_file_that_cannot_be_written_is_named(cli_env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo"], env=cli_env).exit_code == 0
    (tmp_path / "x.pdf.part").mkdir()  # where the PDF is written before it is renamed
    result = runner.invoke(
        main,
        ["badges", "demo", "--out", str(tmp_path / "x.pdf"), "--search", "alex rivera"],
        env=cli_env,
    )
    assert_refused(result, f"{tmp_path / 'x.pdf.part'}: Is a directory.")
