"""Tables for readers: the scorecard as a terminal table and as CSV and XLSX files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from vnsim.present.i18n import Translator, translator

#: Characters a spreadsheet reads as the start of a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Control characters (C0 except tab, line feed and carriage return, DEL, C1): never exported.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: Scorecard columns as the exports name them, by language.
COLUMNS: dict[str, dict[str, str]] = {
    "en": {
        "scenario": "Scenario",
        "target": "Target id",
        "description": "Target",
        "indicator": "Indicator",
        "comparison": "Comparison",
        "threshold": "Threshold",
        "unit": "Unit",
        "when": "When",
        "probability": "P(met)",
        "median": "Median",
        "low": "80 % interval, low",
        "high": "80 % interval, high",
        "draws": "Draws",
        "reason": "Notes",
        "status": "Status",
        "observed": "Observed",
        "observed_source": "Observed: source",
        "vintage_probability": "P(met), earlier vintage",
        "vintage_pit": "PIT of the outcome, earlier vintage",
    },
    "vi": {
        "scenario": "Kịch bản",
        "target": "Mã mục tiêu",
        "description": "Mục tiêu",
        "indicator": "Chỉ số",
        "comparison": "So sánh",
        "threshold": "Ngưỡng",
        "unit": "Đơn vị",
        "when": "Thời điểm",
        "probability": "Xác suất đạt",
        "median": "Trung vị",
        "low": "Khoảng 80 %, cận dưới",
        "high": "Khoảng 80 %, cận trên",
        "draws": "Số lần mô phỏng",
        "reason": "Ghi chú",
        "status": "Tình trạng",
        "observed": "Giá trị quan sát",
        "observed_source": "Nguồn quan sát",
        "vintage_probability": "Xác suất đạt, dự báo trước đó",
        "vintage_pit": "PIT của kết quả, dự báo trước đó",
    },
}
_SHEETS = {
    "en": {"scorecard": "Scorecard", "assumptions": "Assumptions", "provenance": "Provenance"},
    "vi": {"scorecard": "Bảng điểm", "assumptions": "Giả định", "provenance": "Nguồn gốc"},
}
_PROVENANCE = {"en": ("Item", "Value"), "vi": ("Mục", "Giá trị")}


def safe_text(value: Any) -> Any:
    """A cell value that is data, never code: text loses control characters and, if it starts
    like a formula, gets a leading apostrophe; numbers, booleans and missing values pass."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell and column name passed through :func:`safe_text`."""
    out = df.map(safe_text) if len(df.columns) else df.copy()
    out.columns = [safe_text(str(c)) for c in df.columns]
    return out


def export_view(df: pd.DataFrame, lang: Literal["en", "vi"] = "en") -> pd.DataFrame:
    """The scorecard as exported: the description in ``lang``, headers in ``lang``, text safe."""
    if lang not in COLUMNS:
        raise ValueError(f"lang must be 'en' or 'vi', not {lang!r}")
    view = df.copy()
    if lang == "vi" and "description_vi" in view:
        view["description"] = view["description_vi"]
    view = view[[c for c in view.columns if c != "description_vi"]]
    if "status" in view:
        view["status"] = view["status"].map(lambda v: _HEADERS[lang].get(v, v))
    names = COLUMNS[lang]
    return safe_frame(view.rename(columns={c: names.get(c, c) for c in view.columns}))


def provenance_rows(attrs: Mapping[str, Any], lang: Literal["en", "vi"] = "en") -> pd.DataFrame:
    """Provenance (a run's or scorecard's attributes) as two columns, item and value."""
    item, value = _PROVENANCE[lang]
    rows = [(str(k), v if isinstance(v, int | float) else str(v)) for k, v in attrs.items()]
    return safe_frame(pd.DataFrame(rows, columns=[item, value]))


def _number_format(unit: str, column: str) -> str | None:
    """The Excel number format of a value column in ``unit``."""
    if column in ("probability", "vintage_probability"):
        return "0%"
    if column == "vintage_pit":
        return "0.00"
    if column in ("threshold", "median", "low", "high", "observed"):
        if unit.startswith("share"):
            return "0.0%"
        return "0" if unit in ("rank", "position") else "#,##0.0"
    return "0" if column == "draws" else None


def _format_sheet(sheet: Any, frame: pd.DataFrame) -> None:
    """Bold frozen header, a filter, and column widths that fit the text (at most 60)."""
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, col in enumerate(frame.columns, start=1):
        texts = [str(col), *(str(v) for v in frame.iloc[:, i - 1])]
        width = max(len(t) for t in texts)
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, 60)


def write_scorecard(
    df: pd.DataFrame,
    folder: str | Path,
    *,
    stem: str = "scorecard",
    lang: Literal["en", "vi"] = "en",
    assumptions: pd.DataFrame | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write the scorecard as ``<stem>.csv`` and ``<stem>.xlsx`` in ``folder``; return the paths.

    Parameters
    ----------
    df
        The scorecard (:func:`vnsim.analysis.scorecard.scorecard`), probabilities as shares.
    stem
        File name without suffix: name it after the page it belongs to (``report-vi``) so that
        two pages in one folder do not overwrite each other's files.
    lang
        Language of the headers, sheet names and target descriptions.
    assumptions
        A table for the ``Assumptions`` sheet (e.g. :func:`assumptions_table`); none if None.
    provenance
        Items for the ``Provenance`` sheet; default ``df.attrs``.

    The CSV keeps the scorecard's column names (for programs) and is UTF-8 with a byte-order
    mark, so spreadsheet programs read Vietnamese; the XLSX is for people: headers in ``lang``,
    a frozen header, percentage and number formats and fitted column widths. Every text cell
    is data (:func:`safe_text`); numbers stay numbers.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv, xlsx = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    safe_frame(df).to_csv(csv, index=False, encoding="utf-8-sig")
    view = export_view(df, lang)
    sheets = _SHEETS[lang]
    extra = {"provenance": provenance_rows(df.attrs if provenance is None else provenance, lang)}
    if assumptions is not None:
        extra = {"assumptions": safe_frame(assumptions), **extra}
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        view.to_excel(writer, sheet_name=sheets["scorecard"], index=False)
        sheet = writer.sheets[sheets["scorecard"]]
        _format_sheet(sheet, view)
        for i, column in enumerate([c for c in df.columns if c != "description_vi"], start=1):
            for row, unit in enumerate(df["unit"].astype(str), start=2):
                fmt = _number_format(unit, column)
                if fmt:
                    sheet.cell(row, i).number_format = fmt
        for key, frame in extra.items():
            frame.to_excel(writer, sheet_name=sheets[key], index=False)
            _format_sheet(writer.sheets[sheets[key]], frame)
    return [csv, xlsx]


def assumptions_table(scenarios: Mapping[str, Any]) -> pd.DataFrame:
    """Each scenario's uncertain inputs and levers as rows: scenario, kind, name, value, unit,
    source."""
    rows = []
    for name, sc in scenarios.items():
        for key, spec in sc.uncertain.items():
            params = ", ".join(f"{p}={v:g}" for p, v in spec.params().items())
            rows.append((name, "input", key, f"{spec.dist}({params})", spec.unit, spec.source))
        for key, lever in sc.levers.items():
            schedule = ", ".join(f"{y}: {v:g}" for y, v in sorted(lever.schedule.items()))
            rows.append((name, "lever", key, schedule or "1", "intensity", lever.source))
    columns = ["scenario", "kind", "name", "value", "unit", "source"]
    return pd.DataFrame(rows, columns=columns)


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
        "met": "met",
        "missed": "missed",
        "forecast": "forecast",
        "not observable": "not observable",
        "observed": "observed",
        "after": "Judged after the fact (observed outcome; what the {vintage} vintage gave it)",
        "judged": "{status}: observed {value}, {source}",
        "vintage": "the {vintage} vintage gave P(met) = {p}; the outcome sat at its PIT {pit}",
        "no_vintage": "no earlier vintage to compare with",
        "forecast_only": "{source}; P(met) is the model's forecast",
        "short_by": {1: "by 1 place", "n": "by {n} places"},
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
        "met": "đạt",
        "missed": "không đạt",
        "forecast": "dự báo",
        "not observable": "không đo được",
        "observed": "quan sát",
        "after": (
            "Đánh giá sau khi có kết quả (kết quả quan sát; dự báo theo dữ liệu năm {vintage})"
        ),
        "judged": "{status}: quan sát được {value}, {source}",
        "vintage": (
            "dự báo theo dữ liệu năm {vintage} cho xác suất đạt {p}; kết quả nằm ở PIT {pit}"
        ),
        "no_vintage": "không có dự báo trước đó để so sánh",
        "forecast_only": "{source}; xác suất đạt là dự báo của mô hình",
        "short_by": {1: "thiếu 1 bậc", "n": "thiếu {n} bậc"},
    },
}


def _number(x: float, unit: str, t: Translator | None = None) -> str:
    """A scorecard value in its unit, in the language of ``t`` (default English): shares as
    percentages with the rule of every command (:meth:`Translator.percent`)."""
    t = t or translator("en")
    if not np.isfinite(x):
        return "–"
    if unit in ("rank", "position"):
        return t.number(x, 0)
    if unit.startswith("share"):
        return t.percent(x)
    if unit == "USD bn":
        return t.number(x, 1)
    return f"{x:.3g}"


def format_scorecard(
    df: pd.DataFrame, lang: Literal["en", "vi"] = "en", vintage: int | None = None
) -> str:
    """The scorecard as a plain-text table for the terminal, in English or Vietnamese.

    One line per scenario × target: description, when, goal (comparison and threshold), P(met),
    median and 80 % interval. A target judged after the fact shows met or missed and the
    observed value instead, and a section below gives its source and what the ``vintage``
    forecast gave it (columns of :func:`vnsim.analysis.scorecard.scorecard`). Rows without a
    probability show the reason.
    """
    if lang not in _HEADERS:
        raise ValueError(f"lang must be 'en' or 'vi', not {lang!r}")
    h, t = _HEADERS[lang], translator(lang)
    desc_col = "description_vi" if lang == "vi" else "description"
    cols = ["scenario", "target", "when", "goal", "probability", "median", "interval"]
    table: list[list[str]] = [[h[c] for c in cols]]
    notes, judged = [], []
    for r in df.itertuples(index=False):
        unit, status = str(r.unit), str(getattr(r, "status", ""))
        goal = f"{r.comparison} {_number(r.threshold, unit, t)}"
        cells = [t.percent(r.probability), _number(r.median, unit, t)]
        interval = (
            f"{_number(r.low, unit, t)} – {_number(r.high, unit, t)}" if np.isfinite(r.low) else "–"
        )
        if status in ("met", "missed"):
            cells, interval = [h[status], _number(r.observed, unit, t)], "–"
            judged.append(_judged_line(r, h, t, desc_col, vintage))
        elif status == "not observable" and not np.isfinite(r.probability):
            cells[0] = h[status]
        elif status == "not observable":
            source = h["forecast_only"].format(source=r.observed_source)
            notes.append(f"  {r.scenario} / {r.target}: {source}")
        when = str(r.when).replace("edition", h["edition"])
        table.append([str(r.scenario), str(getattr(r, desc_col)), when, goal, *cells, interval])
        if r.reason:
            notes.append(f"  {r.scenario} / {r.target}: {r.reason}")
    lines = _aligned(table, right={4, 5, 6})
    if judged:
        lines += ["", h["after"].format(vintage=vintage or "–") + ":", *judged]
    if notes:
        lines += ["", f"{h['notes']}:", *notes]
    return "\n".join(lines)


def _judged_line(r: Any, h: dict[str, str], t: Translator, desc_col: str, vintage) -> str:
    """One target judged after the fact: outcome, source, and the vintage's view."""
    unit = str(r.unit)
    value = _number(r.observed, unit, t)
    status = h[r.status]
    if r.status == "missed" and unit in ("rank", "position") and r.comparison in ("<=", "<"):
        places = int(r.observed - r.threshold) + (r.comparison == "<")
        words = h["short_by"]
        status += " " + (words[1] if places == 1 else words["n"].format(n=places))
    head = h["judged"].format(status=status, value=value, source=r.observed_source)
    if np.isfinite(r.vintage_probability):
        pit = t.number(r.vintage_pit, 2)
        view = h["vintage"].format(vintage=vintage, p=t.percent(r.vintage_probability), pit=pit)
    else:
        view = h["no_vintage"]
    return f"  {r.scenario} / {getattr(r, desc_col)}: {head}; {view}"


def _aligned(table: list[list[str]], right: set[int]) -> list[str]:
    """Rows of cells as aligned text lines (header, rule, rows); long cells are cut at 70."""
    widths = [min(max(len(row[i]) for row in table), 70) for i in range(len(table[0]))]

    def fmt(row: list[str]) -> str:
        cells = []
        for i, cell in enumerate(row):
            cell = cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…"
            cells.append(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
        return "  ".join(cells).rstrip()

    return [fmt(table[0]), "  ".join("-" * w for w in widths), *(fmt(r) for r in table[1:])]
