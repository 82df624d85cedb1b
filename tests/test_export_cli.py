"""`enlace export attendance`: the organizer's export as files; bad options are named."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from api.cli import main
from tests.conftest import make_settings, wipe
from tests.test_exports import event_with_attendance


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    settings = make_settings(database_url, tmp_path)
    asyncio.run(wipe(database_url, tmp_path))
    asyncio.run(event_with_attendance(settings))
    return {"DATABASE_URL": database_url, "ENLACE_DATA_DIR": str(tmp_path)}


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def test_csv_export_with_its_checkins_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    people, checkins = tmp_path / "asistencia.csv", tmp_path / "registros.csv"
    result = CliRunner().invoke(
        main,
        [
            *("export", "attendance", "expo", "--out", str(people)),
            *("--status", "checked-in", "--checkins", str(checkins)),
        ],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert "7 attendees" in result.output
    assert "10 check-ins" in result.output
    rows = read_csv(people)
    assert rows[0][0] == "Nombre", "the event's first language when its creator is unknown"
    assert len(rows) == 1 + 7
    assert len(read_csv(checkins)) == 1 + 10


def test_xlsx_export_in_english(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "attendance.xlsx"
    result = CliRunner().invoke(
        main,
        [
            *("export", "attendance", "expo", "--format", "xlsx", "--out", str(path)),
            *("--day", "2026-03-11", "--language", "en"),
        ],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["Attendance", "Check-ins"]
    assert len(list(book["Attendance"].iter_rows())) == 1 + 9
    assert len(list(book["Check-ins"].iter_rows())) == 1 + 2  # Lucía's workshop, Noa at 00:30


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--day", "2026-13-01"], "--day"),
        (["--session", "424242"], "--session"),
        (["--session", "first"], "--session"),
        (["--status", "maybe"], "--status"),
        (["--format", "xlsx", "--checkins", "c.csv"], "--checkins"),
        (["--format", "pdf"], "--format"),
    ],
)
def test_bad_options_are_named_and_leave_no_file(
    cli_env: dict[str, str], tmp_path: Path, options: list[str], message: str
) -> None:
    path = tmp_path / "out.csv"
    result = CliRunner().invoke(
        main, ["export", "attendance", "expo", "--out", str(path), *options], env=cli_env
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not path.exists()
    assert not path.with_name("out.csv.part").exists()


def test_an_output_folder_that_does_not_exist_is_named(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "x.csv"
    for command in (["export", "attendance", "expo"], ["posters", "expo"], ["badges", "expo"]):
        result = CliRunner().invoke(main, [*command, "--out", str(missing)], env=cli_env)
        assert result.exit_code == 2, result.output
        assert "does not exist; create it or choose another" in result.output
        assert "Traceback" not in result.output


def test_an_unknown_event_is_named(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "attendance", "nope", "--out", str(tmp_path / "x.csv")], env=cli_env
    )
    assert result.exit_code == 1
    assert "No event with slug 'nope'" in result.output
