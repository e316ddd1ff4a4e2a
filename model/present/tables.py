"""Tables for readers: the scorecard as a terminal table and as CSV and XLSX files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd


def write_scorecard(df: pd.DataFrame, folder: str | Path) -> list[Path]:
    """Write the scorecard as ``scorecard.csv`` (UTF-8) and ``scorecard.xlsx``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv, xlsx = folder / "scorecard.csv", folder / "scorecard.xlsx"
    df.to_csv(csv, index=False, encoding="utf-8")
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name="scorecard", index=False)
        sheet = writer.sheets["scorecard"]
        for i, col in enumerate(df.columns, start=1):
            width = max([len(str(col)), *(len(str(v)) for v in df[col])]) if len(df) else len(col)
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(width + 2, 60)
    return [csv, xlsx]


_HEADERS = {
    "en": {
        "scenario": "Scenario",
        "target": "Target",
        "when": "When",
        "goal": "Goal",
        "probability": "P(met)",
        "median": "Median",
        "interval": "80 % interval",
        "edition": "edition",
        "notes": "Notes",
    },
    "vi": {
        "scenario": "Kịch bản",
        "target": "Mục tiêu",
        "when": "Thời điểm",
        "goal": "Chỉ tiêu",
        "probability": "Xác suất đạt",
        "median": "Trung vị",
        "interval": "Khoảng 80 %",
        "edition": "kỳ khảo sát",
        "notes": "Ghi chú",
    },
}


def _number(x: float, unit: str) -> str:
    if not np.isfinite(x):
        return "–"
    if unit in ("rank", "position"):
        return f"{x:.0f}"
    if unit.startswith("share"):
        return f"{100 * x:.0f} %"
    if unit == "USD bn":
        return f"{x:.1f}"
    return f"{x:.3g}"


def format_scorecard(df: pd.DataFrame, lang: Literal["en", "vi"] = "en") -> str:
    """The scorecard as a plain-text table for the terminal, in English or Vietnamese.

    One line per scenario × target: description, when, goal (comparison and threshold), P(met),
    median and 80 % interval. Rows without a probability show the reason.
    """
    if lang not in _HEADERS:
        raise ValueError(f"lang must be 'en' or 'vi', not {lang!r}")
    h = _HEADERS[lang]
    desc_col = "description_vi" if lang == "vi" else "description"
    cols = ["scenario", "target", "when", "goal", "probability", "median", "interval"]
    table: list[list[str]] = [[h[c] for c in cols]]
    notes = []
    for r in df.itertuples(index=False):
        unit = str(r.unit)
        when = str(r.when).replace("edition", h["edition"])
        goal = f"{r.comparison} {_number(r.threshold, unit)}"
        prob = "–" if not np.isfinite(r.probability) else f"{100 * r.probability:.0f} %"
        interval = (
            f"{_number(r.low, unit)} – {_number(r.high, unit)}" if np.isfinite(r.low) else "–"
        )
        table.append(
            [
                str(r.scenario),
                str(getattr(r, desc_col)),
                when,
                goal,
                prob,
                _number(r.median, unit),
                interval,
            ]
        )
        if r.reason:
            notes.append(f"  {r.scenario} / {r.target}: {r.reason}")
    widths = [min(max(len(row[i]) for row in table), 70) for i in range(len(cols))]
    right = {4, 5, 6}

    def fmt(row: list[str]) -> str:
        cells = []
        for i, cell in enumerate(row):
            cell = cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…"
            cells.append(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
        return "  ".join(cells).rstrip()

    lines = [fmt(table[0]), "  ".join("-" * w for w in widths), *(fmt(r) for r in table[1:])]
    if notes:
        lines += ["", f"{h['notes']}:", *notes]
    return "\n".join(lines)
