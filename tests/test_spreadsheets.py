"""Spreadsheet writing: no cell runs as a formula in Excel, LibreOffice or Google Sheets."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from api.spreadsheets.cells import neutralize
from api.spreadsheets.csv_stream import CsvStream, write_csv
from api.spreadsheets.xlsx_stream import XlsxBook

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2", "\tcmd", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_could_start_a_formula_gets_a_leading_apostrophe(text: str) -> None:
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("text", ["Ana", "", "1+1", "O'Brien", " =1", "año", "2026-03-10"])
def test_other_text_is_left_as_it_is(text: str) -> None:
    assert neutralize(text) == text


def test_csv_is_rfc_4180_utf8_with_a_bom_and_numbers_stay_numbers() -> None:
    body = write_csv([["Nombre", "Sesiones"], ['Zoë "Z", Díaz', 3], ["-2", -2], [None, 1.5]])
    assert body == (
        '\ufeff"Nombre","Sesiones"\r\n"Zoë ""Z"", Díaz",3\r\n"\'-2",-2\r\n"",1.5\r\n'.encode()
    )


@pytest.mark.parametrize("text", ["Ana;=cmd|' /C calc'!A0;", "Ana\t=1+1", "Ana,@SUM(A1)"])
def test_text_is_quoted_so_no_separator_inside_it_starts_a_formula(text: str) -> None:
    # A spreadsheet splitting on ";" or tabs (Spanish Excel does) keeps a quoted text whole.
    body = write_csv([[text, 3]]).decode("utf-8")
    quoted = '"' + text.replace('"', '""') + '"'
    assert body == f"\ufeff{quoted},3\r\n"


def test_a_csv_written_in_chunks_reads_back_as_one_file() -> None:
    stream = CsvStream()
    body = b"".join(
        [stream.encode([["name", "n"]]), stream.encode([["a\nb", 1]]), stream.encode([["c", 2]])]
    )
    assert body.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows == [["name", "n"], ["a\nb", "1"], ["c", "2"]]


def test_xlsx_keeps_every_text_a_string_and_numbers_numeric(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    book = XlsxBook(str(path))
    sheet = book.add_sheet("Asistencia: día 1/2", ["Nombre", "Sesiones"])
    sheet.write_rows([[text, n] for n, text in enumerate(HOSTILE)])
    sheet.write_rows([["http://example.org", None], ["x" * 40000, 2.5]])
    book.close()
    loaded = openpyxl.load_workbook(path)
    assert loaded.sheetnames == ["Asistencia día 1 2"]
    cells = list(loaded.active.iter_rows(min_row=2))
    for row, text in zip(cells, HOSTILE, strict=False):
        # Excel escapes a carriage return in the file as _x000D_; openpyxl reads it back so.
        assert (row[0].value.replace("_x000D_", "\r"), row[0].data_type) == (text, "s")
        assert row[1].data_type == "n"
    assert cells[len(HOSTILE)][0].hyperlink is None
    assert len(cells[-1][0].value) == 32767  # Excel's limit for one cell
    assert cells[-1][1].value == 2.5
