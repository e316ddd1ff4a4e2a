"""Scorecard exports people paste from: data, never code; headers in the reader's language."""

from __future__ import annotations

import csv

import numpy as np
import openpyxl
import pandas as pd
import pytest
from vnsim.analysis.scorecard import SCORECARD_COLUMNS
from vnsim.present.tables import assumptions_table, safe_text, write_scorecard
from vnsim.spec.scenario import load_scenario

HOSTILE = [
    '=HYPERLINK("http://example.invalid","Open source document")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "\tleading tab",
    "\rleading return",
]


def card(description: str = "Market reaches 25 bn") -> pd.DataFrame:
    rows = [
        ["baseline", "market_25", description, "Thị trường đạt 25 tỷ", "market_size", ">=",
         25.0, "USD bn", "2025", 0.3012, 22.63223982397298, 18.1, 27.9, 2000, "",
         "not observable", float("nan"), description, float("nan"), float("nan")],
        ["baseline", "commune_60", "Commune 60 %", "Cấp xã 60 %", "dossiers", ">=",
         0.6, "share", "2025", 0.69, 0.64, 0.5, 0.8, 2000, "",
         "missed", 0.55, "made-up survey", 0.25, 0.125],
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
    df.attrs = {"package_version": "0.0", "draws": 2000, "seed": 1}
    return df


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_starts_like_a_formula_is_neutralised(tmp_path, text):
    _, xlsx = write_scorecard(card(text), tmp_path)
    book = openpyxl.load_workbook(xlsx)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    written = book.worksheets[0]["C2"].value
    assert written[0] == "'" and written[2:] == text[1:]  # XML keeps a CR as a line feed


def test_control_characters_are_stripped_and_numbers_stay_numbers():
    assert safe_text("a\x00b\x1bc\x7f") == "abc"
    assert safe_text("line\nbreak") == "line\nbreak"
    assert safe_text(-3.5) == -3.5 and safe_text(np.nan) is np.nan


def test_csv_has_a_bom_and_no_live_formula(tmp_path):
    path, _ = write_scorecard(card(HOSTILE[0]), tmp_path, lang="vi")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == SCORECARD_COLUMNS  # column names for programs; the XLSX is for people
    assert rows[1][3] == "Thị trường đạt 25 tỷ"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row[:3])


def test_xlsx_headers_formats_frozen_header_and_sheets_in_vietnamese(tmp_path):
    sc = load_scenario("scenarios/baseline.yaml")
    _, xlsx = write_scorecard(
        card(), tmp_path, lang="vi", assumptions=assumptions_table({"baseline": sc})
    )
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["Bảng điểm", "Giả định", "Nguồn gốc"]
    sheet = book["Bảng điểm"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Kịch bản", "Mã mục tiêu", "Mục tiêu"]
    assert sheet["C2"].value == "Thị trường đạt 25 tỷ"
    col = {h: i + 1 for i, h in enumerate(headers)}
    prob = sheet.cell(2, col["Xác suất đạt"])
    assert prob.value == pytest.approx(0.3012) and prob.number_format == "0%"
    assert sheet.cell(2, col["Trung vị"]).number_format == "#,##0.0"
    assert sheet.cell(3, col["Trung vị"]).number_format == "0.0%"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width > 10
    assert book["Giả định"].max_row > 10
    items = {r[0]: r[1] for r in book["Nguồn gốc"].iter_rows(min_row=2, values_only=True)}
    assert items["draws"] == 2000


def test_files_are_named_after_the_page(tmp_path):
    en = write_scorecard(card(), tmp_path, stem="report-en")
    vi = write_scorecard(card(), tmp_path, stem="report-vi", lang="vi")
    assert {p.name for p in en + vi} == {
        "report-en.csv", "report-en.xlsx", "report-vi.csv", "report-vi.xlsx"
    }  # fmt: skip
