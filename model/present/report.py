"""The briefing page: one self-contained HTML file summarising one or more run folders.

``write_report`` reads run folders (``ensemble.nc`` and ``manifest.json``, see
:mod:`vnsim.run.store`), draws the briefing charts of :mod:`vnsim.present.charts`, scores every
run against a
target set (:mod:`vnsim.spec.targets`) and writes one HTML page that needs nothing but a browser:
charts are embedded as base64 PNG ``data:`` URIs, the style sheet is inline, there is no script
and no web font, and a Content-Security-Policy forbids the page any network request. The scorecard
is also written as ``scorecard.csv`` and ``scorecard.xlsx`` next to the page.

The page holds, in English or Vietnamese: a title and date; the target scorecard (a table, and a
heatmap when there are several runs); scenario-comparison charts when there are several runs; for
each run its key charts (market fan, world rank, ASEAN position, EGDI components, dossier shares),
its scenario assumptions (horizon, ensemble, uncertain inputs, levers) and its provenance.

Every string read from a file (scenario texts, sources, target descriptions, paths) is passed
through :func:`html.escape`, since scenario files are user text. All label strings live in
:data:`LABELS`, one dictionary per language.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import json
import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from vnsim import __version__
from vnsim.analysis import scorecard as card
from vnsim.present import charts, tables
from vnsim.run.store import open_run
from vnsim.spec import targets

Lang = charts.Lang

#: Resolution of the embedded chart images (dots per inch); charts are 90 mm wide, so 200 dpi
#: gives about 700 px, sharp when shown at twice their physical size on screen.
DPI = 200

#: Comparison charts drawn when the page covers several runs: the target variables.
COMPARED = ("market_size", "egdi_rank", "asean_position", "admin_fully_online")

#: Single-run charts: name -> (chart function, variables it needs, ``any`` or ``all`` of them).
RUN_CHARTS = {
    "market_fan": (charts.market_fan, ("market_size",), all),
    "rank_distribution": (charts.rank_distribution, ("egdi_rank",), all),
    "asean_position": (charts.asean_position, ("asean_position",), all),
    "components": (charts.components, ("osi", "tii", "hci", "egdi_rank"), all),
    # dossier_shares draws whichever of its two panels' variables exist
    "dossier_shares": (charts.dossier_shares, ("dossiers_online", "admin_fully_online"), any),
}

#: Every label string of the page, one dictionary per language. Placeholders use str.format.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Viet Nam's IT application market, online dossiers and e-government rank",
        "kind": "Simulation briefing",
        "prepared": "Prepared on {date} with vnsim {version}",
        "months": "January,February,March,April,May,June,July,August,September,October,"
        "November,December",
        "date": "{day} {month} {year}",
        "scenarios": "Scenarios",
        "contents": "Contents",
        "scorecard_h": "Targets: probability of being met",
        "scorecard_intro": "Target set: {title}. P(met) is the share of simulated draws that "
        "meet the target; below it, the median and the 80 % interval of the indicator in the "
        "target year or UN survey edition.",
        "scorecard_files": "The scorecard is also saved as {csv} and {xlsx} beside this page.",
        "target": "Target",
        "when": "When",
        "goal": "Goal",
        "source": "Source",
        "edition": "edition",
        "median_interval": "median {median} ({low}–{high})",
        "not_measured": "not measured",
        "notes": "Notes",
        "confidence_V": "seen in a copy or official summary",
        "confidence_R": "our reading of the decision, not re-seen",
        "confidence_U": "not confirmed",
        "confidence_note": "Source tags: [V] {V}; [R] {R}; [U] {U}.",
        "comparison_h": "Scenarios compared",
        "run_h": "Scenario “{name}”",
        "charts_h": "Key charts",
        "chart_missing": "Chart “{chart}” not drawn: the run has no {variables}.",
        "assumptions_h": "Assumptions",
        "horizon": "Horizon",
        "ensemble": "Ensemble in the scenario file",
        "ensemble_value": "{draws} draws, seed {seed}, sampler {sampler}",
        "short_market_size": "IT market",
        "short_market_growth": "IT market growth",
        "short_osi": "OSI",
        "short_tii": "TII",
        "short_hci": "HCI",
        "short_egdi": "EGDI",
        "short_egdi_rank": "EGDI world rank",
        "short_asean_position": "ASEAN position",
        "short_admin_fully_online": "Admin dossiers fully online",
        "short_dossiers_online": "Work dossiers online, {level}",
        "ministry_province": "ministries & provinces",
        "district": "districts",
        "commune": "communes",
        "description": "Description",
        "sources": "Sources",
        "uncertain_h": "Uncertain inputs",
        "input": "Input",
        "distribution": "Distribution",
        "parameters": "Parameters",
        "unit": "Unit",
        "no_inputs": "The scenario has no uncertain inputs.",
        "levers_h": "Policy levers",
        "lever": "Lever",
        "schedule": "Intensity schedule",
        "timing": "Timing",
        "effects": "Effects (per unit of intensity)",
        "trigger": "Condition",
        "no_levers": "The scenario has no policy levers.",
        "schedule_empty": "1 from the start",
        "step": "step",
        "linear": "linear",
        "start": "starts {year}",
        "ramp": "ramp {n} yr",
        "end": "ends {year}",
        "lag": "lag {n} yr",
        "countries": "countries {codes}",
        "trigger_below": "acts only if {variable} in {year} < {value}",
        "trigger_above": "acts only if {variable} in {year} > {value}",
        "overrides": "Lever overrides in this run",
        "scale": "intensity × {v}",
        "start_override": "start {v}",
        "provenance_h": "Provenance",
        "run_folder": "Run folder",
        "scenario_file": "Scenario file",
        "scenario_file_hash": "Scenario file hash (SHA-256)",
        "scenario_hash": "Resolved scenario hash",
        "seed": "Seed",
        "draws": "Draws",
        "sampler": "Sampler",
        "executor": "Executor",
        "data_version": "Data version",
        "data_editions": "UN survey editions used",
        "package_version": "vnsim version",
        "git_commit": "Git commit",
        "created": "Run created",
        "python": "Python",
        "numpy": "NumPy",
        "platform": "Platform",
        "footer": "Self-contained page written by vnsim {version}: charts are embedded images "
        "and nothing is loaded from the network. Figures are simulation results, not official "
        "statistics.",
        "USD bn": "bn USD",
        "share": "share",
        "share/yr": "share/yr",
        "1/yr": "1/yr",
        "index points": "index points",
        "index points/yr": "index points/yr",
        "years": "years",
        "intensity": "intensity",
        "fixed": "fixed",
        "uniform": "uniform",
        "triangular": "triangular",
        "normal": "normal",
        "truncated_normal": "truncated normal",
        "lognormal": "lognormal",
        "beta": "beta",
        "student_t": "Student t",
        "p_value": "value",
        "p_low": "low",
        "p_mode": "mode",
        "p_high": "high",
        "p_mean": "mean",
        "p_sd": "sd",
        "p_median": "median",
        "p_sigma": "σ (log)",
        "p_alpha": "α",
        "p_beta": "β",
        "p_df": "df",
        "p_loc": "loc",
        "p_scale": "scale",
    },
    "vi": {
        "title": "Thị trường ứng dụng CNTT, hồ sơ trực tuyến và xếp hạng Chính phủ điện tử "
        "của Việt Nam",
        "kind": "Bản tin kết quả mô phỏng",
        "prepared": "Lập ngày {date} bằng vnsim {version}",
        "months": "1,2,3,4,5,6,7,8,9,10,11,12",
        "date": "{day} tháng {month} năm {year}",
        "scenarios": "Kịch bản",
        "contents": "Mục lục",
        "scorecard_h": "Mục tiêu: xác suất đạt được",
        "scorecard_intro": "Bộ mục tiêu: {title}. Xác suất đạt là tỷ lệ số lượt mô phỏng đạt "
        "mục tiêu; bên dưới là trung vị và khoảng 80 % của chỉ tiêu vào năm hoặc kỳ khảo sát "
        "của Liên Hợp Quốc được dùng để đánh giá.",
        "scorecard_files": "Bảng này cũng được lưu thành {csv} và {xlsx} cạnh trang này.",
        "target": "Mục tiêu",
        "when": "Thời điểm",
        "goal": "Chỉ tiêu",
        "source": "Nguồn",
        "edition": "kỳ khảo sát",
        "median_interval": "trung vị {median} ({low}–{high})",
        "not_measured": "không đo được",
        "notes": "Ghi chú",
        "confidence_V": "đã thấy trong văn bản hoặc bản tóm tắt chính thức",
        "confidence_R": "theo cách hiểu văn bản của chúng tôi, chưa kiểm tra lại",
        "confidence_U": "chưa được xác nhận",
        "confidence_note": "Mức tin cậy của nguồn: [V] {V}; [R] {R}; [U] {U}.",
        "comparison_h": "So sánh các kịch bản",
        "run_h": "Kịch bản “{name}”",
        "charts_h": "Biểu đồ chính",
        "chart_missing": "Không vẽ biểu đồ “{chart}”: lượt chạy không có {variables}.",
        "assumptions_h": "Giả định",
        "horizon": "Giai đoạn",
        "ensemble": "Tập mô phỏng trong tệp kịch bản",
        "ensemble_value": "{draws} lượt, seed {seed}, phương pháp lấy mẫu {sampler}",
        "short_market_size": "Thị trường CNTT",
        "short_market_growth": "Tăng trưởng thị trường CNTT",
        "short_osi": "OSI",
        "short_tii": "TII",
        "short_hci": "HCI",
        "short_egdi": "EGDI",
        "short_egdi_rank": "Thứ hạng EGDI thế giới",
        "short_asean_position": "Vị trí EGDI trong ASEAN",
        "short_admin_fully_online": "Hồ sơ TTHC trực tuyến toàn trình",
        "short_dossiers_online": "Hồ sơ công việc trực tuyến, {level}",
        "ministry_province": "cấp bộ, tỉnh",
        "district": "cấp huyện",
        "commune": "cấp xã",
        "description": "Mô tả",
        "sources": "Nguồn",
        "uncertain_h": "Đầu vào bất định",
        "input": "Đầu vào",
        "distribution": "Phân phối",
        "parameters": "Tham số",
        "unit": "Đơn vị",
        "no_inputs": "Kịch bản không có đầu vào bất định.",
        "levers_h": "Đòn bẩy chính sách",
        "lever": "Đòn bẩy",
        "schedule": "Lộ trình cường độ",
        "timing": "Thời gian",
        "effects": "Tác động (trên một đơn vị cường độ)",
        "trigger": "Điều kiện",
        "no_levers": "Kịch bản không có đòn bẩy chính sách.",
        "schedule_empty": "bằng 1 từ khi bắt đầu",
        "step": "bậc thang",
        "linear": "tuyến tính",
        "start": "bắt đầu {year}",
        "ramp": "tăng dần {n} năm",
        "end": "kết thúc {year}",
        "lag": "độ trễ {n} năm",
        "countries": "các nước {codes}",
        "trigger_below": "chỉ tác động nếu {variable} năm {year} < {value}",
        "trigger_above": "chỉ tác động nếu {variable} năm {year} > {value}",
        "overrides": "Điều chỉnh đòn bẩy trong lượt chạy này",
        "scale": "cường độ × {v}",
        "start_override": "bắt đầu {v}",
        "provenance_h": "Nguồn gốc kết quả",
        "run_folder": "Thư mục kết quả",
        "scenario_file": "Tệp kịch bản",
        "scenario_file_hash": "Mã băm tệp kịch bản (SHA-256)",
        "scenario_hash": "Mã băm kịch bản đã giải",
        "seed": "Seed",
        "draws": "Số lượt mô phỏng",
        "sampler": "Phương pháp lấy mẫu",
        "executor": "Bộ thực thi",
        "data_version": "Phiên bản dữ liệu",
        "data_editions": "Các kỳ khảo sát của LHQ được dùng",
        "package_version": "Phiên bản vnsim",
        "git_commit": "Git commit",
        "created": "Thời điểm chạy",
        "python": "Python",
        "numpy": "NumPy",
        "platform": "Nền tảng",
        "footer": "Trang độc lập do vnsim {version} tạo: biểu đồ được nhúng sẵn, không tải gì "
        "từ mạng. Các con số là kết quả mô phỏng, không phải số liệu thống kê chính thức.",
        "USD bn": "tỷ USD",
        "share": "tỷ lệ",
        "share/yr": "tỷ lệ/năm",
        "1/yr": "1/năm",
        "index points": "điểm chỉ số",
        "index points/yr": "điểm chỉ số/năm",
        "years": "năm",
        "intensity": "cường độ",
        "fixed": "cố định",
        "uniform": "đều",
        "triangular": "tam giác",
        "normal": "chuẩn",
        "truncated_normal": "chuẩn cắt cụt",
        "lognormal": "log-chuẩn",
        "beta": "beta",
        "student_t": "Student t",
        "p_value": "giá trị",
        "p_low": "thấp",
        "p_mode": "yếu vị",
        "p_high": "cao",
        "p_mean": "trung bình",
        "p_sd": "độ lệch chuẩn",
        "p_median": "trung vị",
        "p_sigma": "σ (log)",
        "p_alpha": "α",
        "p_beta": "β",
        "p_df": "bậc tự do",
        "p_loc": "vị trí",
        "p_scale": "tỷ lệ xích",
    },
}

#: Names of the charts in the page's text, by language (the charts carry their own titles).
CHART_NAMES = {
    "en": {
        "market_fan": "IT application market",
        "rank_distribution": "EGDI world rank",
        "asean_position": "position in ASEAN",
        "components": "EGDI components",
        "dossier_shares": "dossiers online",
    },
    "vi": {
        "market_fan": "thị trường ứng dụng CNTT",
        "rank_distribution": "thứ hạng EGDI thế giới",
        "asean_position": "vị trí trong ASEAN",
        "components": "chỉ số thành phần EGDI",
        "dossier_shares": "hồ sơ trực tuyến",
    },
}

_PROVENANCE_KEYS = (
    "scenario_file",
    "scenario_file_hash",
    "scenario_hash",
    "seed",
    "draws",
    "sampler",
    "executor",
    "data_version",
    "data_editions",
    "package_version",
    "git_commit",
    "created",
    "python",
    "numpy",
    "platform",
)

_COMPARISON_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}

# Only inline styles and data: images; anything else (fetches, scripts, fonts) is refused.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
:root { --ink: #1d2327; --muted: #5a646b; --rule: #d5dade; --accent: #2b4c6f; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #ffffff;
  font: 15px/1.45 "DejaVu Sans", "Segoe UI", "Noto Sans", Roboto, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 10px; margin-bottom: 18px; }
header .kind { text-transform: uppercase; letter-spacing: .06em; color: var(--accent);
  font-size: 13px; font-weight: bold; margin: 0; }
h1 { font-size: 26px; line-height: 1.25; margin: 4px 0 6px; }
h2 { font-size: 21px; margin: 34px 0 10px; padding-top: 6px; border-top: 1px solid var(--rule); }
h3 { font-size: 17px; margin: 22px 0 8px; }
h4 { font-size: 15px; margin: 16px 0 6px; }
p, li { max-width: 80ch; }
.meta { color: var(--muted); margin: 2px 0; }
nav ol { margin: 4px 0; padding-left: 22px; columns: 2; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr));
  gap: 18px 26px; align-items: start; }
figure { margin: 0; break-inside: avoid; }
figure img { display: block; width: 100%; max-width: 640px; height: auto;
  border: 1px solid #eef0f2; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 7px; text-align: left;
  vertical-align: top; }
th { background: #f1f4f6; font-weight: bold; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.prob { text-align: center; min-width: 8.5em; }
td.prob .p { display: block; font-size: 17px; font-weight: bold; }
td.prob .iv { display: block; font-size: 11.5px; }
table.kv { width: auto; min-width: 50%; }
table.kv th { width: 16em; background: none; font-weight: normal; color: var(--muted); }
code, .mono { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12px;
  overflow-wrap: anywhere; }
td ul { margin: 0; padding-left: 16px; }
td li { margin: 0 0 2px; }
.note { color: var(--muted); font-size: 13px; }
.missing { color: #8a2f1d; }
.tag { color: var(--muted); font-size: 12px; white-space: nowrap; }
.desc { white-space: pre-line; }
footer { margin-top: 40px; padding-top: 8px; border-top: 1px solid var(--rule);
  color: var(--muted); font-size: 12.5px; }
@media print { main { max-width: none; padding: 0; } h2 { break-before: page; }
  .figures { grid-template-columns: 1fr 1fr; } }
"""


@dataclass
class Run:
    """A run folder read for the report: its results Dataset (opened lazily) and its manifest."""

    folder: Path
    name: str
    ds: xr.Dataset
    manifest: dict[str, Any]


def _labels(lang: str) -> dict[str, str]:
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {sorted(LABELS)}, got {lang!r}")
    return LABELS[lang]


def _e(value: Any) -> str:
    """Escaped text of anything shown on the page (file contents are user text)."""
    return html.escape(str(value), quote=True)


def _ident(value: Any) -> str:
    """An identifier (input, lever, model variable) in code style, breakable after _ and ."""
    text = _e(value).replace("_", "_<wbr>").replace(".", ".<wbr>")
    return f"<code>{text}</code>"


def _number(value: float, lang: str, decimals: int = 0) -> str:
    """A number with the language's separators (vi: 1.234,5; en: 1,234.5); '–' if missing."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _plain(value: float, lang: str) -> str:
    """A parameter as written in a scenario file (up to 6 significant digits), localised."""
    text = f"{float(value):.6g}"
    return text.replace(".", ",") if lang == "vi" else text


def _in_unit(value: float, unit: str, lang: str, suffix: bool = True) -> str:
    """A scorecard value in its unit: shares as percent, ranks whole, market in bn USD.

    ``suffix=False`` leaves out a word unit (bn USD), for the ends of an interval.
    """
    if value is None or not math.isfinite(float(value)):
        return "–"
    if unit in ("rank", "position"):
        return _number(value, lang)
    if unit.startswith("share"):
        decimals = 1 if unit == "share/yr" else 0
        return f"{_number(100 * value, lang, decimals)}%"
    if unit == "USD bn":
        text = _number(value, lang, 1)
        return f"{text} {LABELS[lang]['USD bn']}" if suffix else text
    if unit.startswith("index"):
        return _number(value, lang, 3)
    return _plain(value, lang)


def _threshold(value: float, unit: str, lang: str) -> str:
    """A target's threshold as the decision writes it (25 bn USD, 80%, top 50)."""
    if unit.startswith("share"):
        return f"{_plain(100 * value, lang)}%"
    if unit == "USD bn":
        return f"{_plain(value, lang)} {LABELS[lang]['USD bn']}"
    return _plain(value, lang)


def _date(day: dt.date, lang: str) -> str:
    lab = _labels(lang)
    month = lab["months"].split(",")[day.month - 1]
    return lab["date"].format(day=day.day, month=month, year=day.year)


def figure_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes at ``dpi`` dots per inch, drawn in the briefing style."""
    buf = io.BytesIO()
    with charts.briefing_style():
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    return buf.getvalue()


def _figure_html(fig: Figure) -> str:
    alt = " ".join((fig.get_suptitle() or "chart").split())
    png = figure_png(fig)
    # the IHDR chunk holds the pixel size, so the browser can lay out before decoding
    width, height = struct.unpack(">II", png[16:24])
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f'<figure><img src="{uri}" alt="{_e(alt)}" width="{width}" height="{height}"></figure>'


# ---------------------------------------------------------------------------------------------
# Reading run folders


def read_run(folder: str | Path) -> Run:
    """Read a run folder's ``manifest.json`` and open its ``ensemble.nc`` lazily.

    The charts read only the slices they draw, so large ensembles are not loaded whole; close
    ``run.ds`` when done. Raises :class:`FileNotFoundError` naming what is missing.
    """
    folder = Path(folder)
    for needed in ("ensemble.nc", "manifest.json"):
        if not (folder / needed).is_file():
            raise FileNotFoundError(f"{folder}: not a run folder (no {needed})")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    ds = open_run(folder)
    name = str(ds.attrs.get("scenario") or manifest.get("scenario") or folder.name)
    return Run(folder, name, ds, manifest)


def _unique_names(runs: Sequence[Run]) -> None:
    """Give runs of the same scenario distinct names: ``baseline``, ``baseline (2)``, … (as
    ``vnsim targets`` names them)."""
    taken: set[str] = set()
    for run in runs:
        key, n = run.name, 1
        while key in taken:
            n += 1
            key = f"{run.name} ({n})"
        run.name = key
        taken.add(key)


def _anchor(i: int) -> str:
    return f"run-{i + 1}"


# ---------------------------------------------------------------------------------------------
# Page sections


def scorecard_table_html(df: pd.DataFrame, target_set: targets.TargetSet, lang: Lang) -> str:
    """The scorecard as an HTML table: one row per target, one P(met) column per scenario.

    Each scenario cell shows P(met) as percent, coloured red–yellow–green, and the median and
    80 % interval of the indicator; targets a run cannot measure show '–' and a note.
    """
    lab = _labels(lang)
    scenarios = list(dict.fromkeys(df["scenario"]))
    cmap = mpl.colormaps["RdYlGn"]
    head = "".join(f'<th class="num">{_e(s)}</th>' for s in scenarios)
    rows = [
        f"<thead><tr><th>{_e(lab['target'])}</th><th>{_e(lab['when'])}</th>"
        f"<th>{_e(lab['goal'])}</th><th>{_e(lab['source'])}</th>{head}</tr></thead><tbody>"
    ]
    notes = []
    for t in target_set.targets:
        sub = df[df["target"] == t.id].set_index("scenario")
        when = t.when_label.replace("edition", lab["edition"])
        goal = f"{_COMPARISON_SIGNS[t.comparison]} {_threshold(t.threshold, t.unit, lang)}"
        desc = t.description_vi if lang == "vi" else t.description
        source = f"{_e(t.source.decision)} <span class='tag'>[{_e(t.source.confidence)}]</span>"
        cells = []
        for s in scenarios:
            r = sub.loc[s] if s in sub.index else None
            if r is None or not np.isfinite(r["probability"]):
                reason = "" if r is None else str(r["reason"])
                notes.append(f"{s} / {t.id}: {reason or lab['not_measured']}")
                cells.append(
                    f'<td class="prob"><span class="p">–</span>'
                    f'<span class="iv">{_e(lab["not_measured"])}</span></td>'
                )
                continue
            p = float(r["probability"])
            red, green, blue, _ = cmap(p)
            ink = "#ffffff" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.55 else "#1d2327"
            interval = lab["median_interval"].format(
                median=_in_unit(r["median"], t.unit, lang),
                low=_in_unit(r["low"], t.unit, lang, suffix=False),
                high=_in_unit(r["high"], t.unit, lang, suffix=False),
            )
            if r["reason"]:
                notes.append(f"{s} / {t.id}: {r['reason']}")
            cells.append(
                f'<td class="prob" style="background:{mpl.colors.to_hex((red, green, blue))};'
                f'color:{ink}"><span class="p">{_number(100 * p, lang)}%</span>'
                f'<span class="iv">{_e(interval)}</span></td>'
            )
        rows.append(
            f"<tr><td>{_e(desc)}</td><td>{_e(when)}</td><td class='num'>{_e(goal)}</td>"
            f"<td>{source}</td>{''.join(cells)}</tr>"
        )
    rows.append("</tbody>")
    out = f'<table class="scorecard">{"".join(rows)}</table>'
    tags = lab["confidence_note"].format(
        V=lab["confidence_V"], R=lab["confidence_R"], U=lab["confidence_U"]
    )
    out += f'<p class="note">{_e(tags)}</p>'
    if notes:
        items = "".join(f"<li>{_e(n)}</li>" for n in notes)
        out += f'<p class="note">{_e(lab["notes"])}:</p><ul class="note">{items}</ul>'
    return out


def _parameters(spec: Mapping[str, Any], lab: Mapping[str, str], lang: str) -> str:
    skip = {"dist", "unit", "source"}
    parts = []
    for key, value in spec.items():
        if key in skip or value is None:
            continue
        shown = _plain(value, lang) if isinstance(value, int | float) else str(value)
        parts.append(f"{lab.get('p_' + key, key)} {shown}")
    return ", ".join(parts)


def _schedule(lever: Mapping[str, Any], lab: Mapping[str, str], lang: str) -> str:
    schedule = lever.get("schedule") or {}
    if not schedule:
        return lab["schedule_empty"]
    steps = ", ".join(
        f"{year}: {_plain(v, lang)}" for year, v in sorted(schedule.items(), key=lambda kv: kv[0])
    )
    kind = lever.get("interpolation")
    return f"{steps} ({lab.get(kind, kind)})" if kind else steps


def _timing(lever: Mapping[str, Any], lab: Mapping[str, str]) -> str:
    parts = []
    if lever.get("start") is not None:
        parts.append(lab["start"].format(year=lever["start"]))
    if lever.get("ramp"):
        parts.append(lab["ramp"].format(n=lever["ramp"]))
    if lever.get("end") is not None:
        parts.append(lab["end"].format(year=lever["end"]))
    return ", ".join(parts) or "–"


def _effects(lever: Mapping[str, Any], lab: Mapping[str, str], lang: str) -> str:
    items = []
    for eff in lever.get("effects") or []:
        size = eff.get("size")
        size = _plain(size, lang) if isinstance(size, int | float) else str(size)
        extra = [lab["lag"].format(n=eff["lag"])] if eff.get("lag") else []
        countries = eff.get("countries") or []
        if str(eff.get("target", "")).startswith("egov.") and countries not in ([], ["VNM"]):
            extra.append(lab["countries"].format(codes=" ".join(map(str, countries))))
        tail = f" ({', '.join(extra)})" if extra else ""
        items.append(f"<li>{_ident(eff.get('target'))} + {_ident(size)}{_e(tail)}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else "–"


def _trigger(lever: Mapping[str, Any], lab: Mapping[str, str], lang: str) -> str:
    trig = lever.get("trigger")
    if not trig:
        return "–"
    side = "below" if trig.get("below") is not None else "above"
    return lab[f"trigger_{side}"].format(
        variable=trig.get("variable"), year=trig.get("year"), value=_plain(trig[side], lang)
    )


def assumptions_html(resolved: Mapping[str, Any], lang: Lang = "en") -> str:
    """The scenario assumptions (a manifest's ``scenario_resolved``) as HTML.

    Horizon and ensemble, description and sources, a table of uncertain inputs (distribution,
    parameters, unit, source) and a table of levers (schedule, timing, effects, condition,
    source). Every text from the scenario is escaped.
    """
    lab = _labels(lang)
    horizon = resolved.get("horizon") or {}
    ens = resolved.get("ensemble") or {}
    kv = [
        (lab["horizon"], f"{horizon.get('base_year', '?')}–{horizon.get('end_year', '?')}"),
        (
            lab["ensemble"],
            lab["ensemble_value"].format(
                draws=_number(ens.get("draws", float("nan")), lang),
                seed=ens.get("seed", "?"),
                sampler=ens.get("sampler", "?"),
            ),
        ),
    ]
    out = ['<table class="kv">']
    out += [f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in kv]
    if resolved.get("description"):
        out.append(
            f"<tr><th>{_e(lab['description'])}</th>"
            f"<td class='desc'>{_e(str(resolved['description']).strip())}</td></tr>"
        )
    if resolved.get("sources"):
        items = "".join(f"<li>{_e(s)}</li>" for s in resolved["sources"])
        out.append(f"<tr><th>{_e(lab['sources'])}</th><td><ul>{items}</ul></td></tr>")
    out.append("</table>")

    out.append(f"<h4>{_e(lab['uncertain_h'])}</h4>")
    uncertain = resolved.get("uncertain") or {}
    if uncertain:
        out.append(
            f"<table><thead><tr><th>{_e(lab['input'])}</th><th>{_e(lab['distribution'])}</th>"
            f"<th>{_e(lab['parameters'])}</th><th>{_e(lab['unit'])}</th>"
            f"<th>{_e(lab['source'])}</th></tr></thead><tbody>"
        )
        for name, spec in uncertain.items():
            dist, unit = str(spec.get("dist", "")), str(spec.get("unit", ""))
            out.append(
                f"<tr><td>{_ident(name)}</td><td>{_e(lab.get(dist, dist))}</td>"
                f"<td>{_e(_parameters(spec, lab, lang))}</td><td>{_e(lab.get(unit, unit))}</td>"
                f"<td>{_e(spec.get('source', ''))}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append(f"<p class='note'>{_e(lab['no_inputs'])}</p>")

    out.append(f"<h4>{_e(lab['levers_h'])}</h4>")
    levers = resolved.get("levers") or {}
    if levers:
        out.append(
            f"<table><thead><tr><th>{_e(lab['lever'])}</th><th>{_e(lab['schedule'])}</th>"
            f"<th>{_e(lab['timing'])}</th><th>{_e(lab['effects'])}</th>"
            f"<th>{_e(lab['trigger'])}</th><th>{_e(lab['source'])}</th></tr></thead><tbody>"
        )
        for name, lever in levers.items():
            desc = lever.get("description") or ""
            out.append(
                f"<tr><td>{_ident(name)}<br>{_e(desc)}</td>"
                f"<td>{_e(_schedule(lever, lab, lang))}</td><td>{_e(_timing(lever, lab))}</td>"
                f"<td>{_effects(lever, lab, lang)}</td><td>{_e(_trigger(lever, lab, lang))}</td>"
                f"<td>{_e(lever.get('source', ''))}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append(f"<p class='note'>{_e(lab['no_levers'])}</p>")
    return "".join(out)


def provenance_html(manifest: Mapping[str, Any], folder: Path | None, lang: Lang = "en") -> str:
    """What produced a run, from its ``manifest.json``: files and hashes, seed, draws, sampler,
    data version and editions, package version, git commit, creation time and platform."""
    lab = _labels(lang)
    rows = []
    if folder is not None:
        rows.append((lab["run_folder"], str(folder)))
    for key in _PROVENANCE_KEYS:
        value = manifest.get(key)
        if value is None or value == "":
            continue
        rows.append((lab[key], value))
    mono = {lab[k] for k in ("scenario_file_hash", "scenario_hash", "git_commit")}
    out = ['<table class="kv">']
    for k, v in rows:
        cell = f'<span class="mono">{_e(v)}</span>' if k in mono else _e(v)
        out.append(f"<tr><th>{_e(k)}</th><td>{cell}</td></tr>")
    overrides = []
    for lever, v in (manifest.get("lever_scale") or {}).items():
        overrides.append(f"{lever}: {lab['scale'].format(v=_plain(v, lang))}")
    for lever, v in (manifest.get("lever_start") or {}).items():
        overrides.append(f"{lever}: {lab['start_override'].format(v=v)}")
    if overrides:
        out.append(f"<tr><th>{_e(lab['overrides'])}</th><td>{_e('; '.join(overrides))}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _run_charts_html(ds: xr.Dataset, lang: Lang) -> str:
    lab = _labels(lang)
    figures, missing = [], []
    for name, (chart, needs, rule) in RUN_CHARTS.items():
        if not rule(v in ds.data_vars for v in needs):
            absent = ", ".join(v for v in needs if v not in ds.data_vars)
            missing.append(
                lab["chart_missing"].format(chart=CHART_NAMES[lang][name], variables=absent)
            )
            continue
        figures.append(_figure_html(chart(ds, lang)))
    out = f'<div class="figures">{"".join(figures)}</div>'
    out += "".join(f'<p class="note missing">{_e(m)}</p>' for m in missing)
    return out


def target_label(target: targets.Target, lang: Lang = "en") -> str:
    """A short label of a target, e.g. "IT market ≥ 25 bn USD, 2025", for heatmap rows.

    The full descriptions are long (four lines in Vietnamese at the heatmap's label width); the
    table above the heatmap keeps them.
    """
    lab = _labels(lang)
    name = lab[f"short_{target.indicator}"]
    if target.level is not None:
        name = name.format(level=lab[target.level])
    if target.country not in (None, "VNM"):
        name = f"{name} ({target.country})"
    when = target.when_label.replace("edition", lab["edition"])
    goal = (
        f"{_COMPARISON_SIGNS[target.comparison]} {_threshold(target.threshold, target.unit, lang)}"
    )
    return f"{name} {goal}, {when}"


def _comparison_html(
    runs: Sequence[Run], scorecard: pd.DataFrame, target_set: targets.TargetSet, lang: Lang
) -> str:
    short = {t.id: target_label(t, lang) for t in target_set.targets}
    labelled = scorecard.assign(
        description=scorecard["target"].map(short), description_vi=scorecard["target"].map(short)
    )
    labelled.attrs = dict(scorecard.attrs)
    figures = [_figure_html(charts.scorecard_heatmap(labelled, lang))]
    datasets = {r.name: r.ds for r in runs}
    for variable in COMPARED:
        if all(variable in r.ds.data_vars for r in runs):
            figures.append(_figure_html(charts.scenario_comparison(datasets, variable, lang)))
    return f'<div class="figures">{"".join(figures)}</div>'


def _table_attrs(runs: Sequence[Run]) -> dict[str, Any]:
    """Provenance for charts of the scorecard: shared values only."""
    attrs: dict[str, Any] = {}
    for key in ("package_version", "data_editions", "draws", "seed"):
        values = {str(r.ds.attrs.get(key)) for r in runs}
        if len(values) == 1 and None not in {r.ds.attrs.get(key) for r in runs}:
            attrs[key] = runs[0].ds.attrs[key]
    if len(runs) == 1:
        attrs["scenario"] = runs[0].name
    return attrs


def render_report(
    runs: Sequence[Run],
    target_set: targets.TargetSet,
    lang: Lang = "en",
    date: dt.date | None = None,
) -> tuple[str, pd.DataFrame]:
    """The HTML page for read runs and the scorecard DataFrame it shows.

    ``date`` is the date printed under the title (default: today).
    """
    lab = _labels(lang)
    if not runs:
        raise ValueError("no runs to report on")
    date = date or dt.date.today()
    runs_by_name = {r.name: r.ds for r in runs}
    scorecard = card.scorecard(runs_by_name, target_set)
    scorecard.attrs.update(_table_attrs(runs))

    title = lab["title"]
    set_title = target_set.title_vi if lang == "vi" else target_set.title
    names = ", ".join(r.name for r in runs)
    files_note = lab["scorecard_files"].format(csv="scorecard.csv", xlsx="scorecard.xlsx")
    toc = [f'<li><a href="#scorecard">{_e(lab["scorecard_h"])}</a></li>']
    if len(runs) > 1:
        toc.append(f'<li><a href="#comparison">{_e(lab["comparison_h"])}</a></li>')
    toc += [
        f'<li><a href="#{_anchor(i)}">{_e(lab["run_h"].format(name=r.name))}</a></li>'
        for i, r in enumerate(runs)
    ]
    body = [
        "<header>",
        f'<p class="kind">{_e(lab["kind"])}</p>',
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(lab["scenarios"])}: {_e(names)}</p>',
        f'<p class="meta">{_e(lab["prepared"].format(date=_date(date, lang), version=__version__))}'
        "</p>",
        "</header>",
        f'<nav><h2 class="toc">{_e(lab["contents"])}</h2><ol>{"".join(toc)}</ol></nav>',
        f'<section id="scorecard"><h2>{_e(lab["scorecard_h"])}</h2>',
        f"<p>{_e(lab['scorecard_intro'].format(title=set_title))}</p>",
        scorecard_table_html(scorecard, target_set, lang),
        f'<p class="note">{_e(files_note)}</p>',
        "</section>",
    ]
    if len(runs) > 1:
        body += [
            f'<section id="comparison"><h2>{_e(lab["comparison_h"])}</h2>',
            _comparison_html(runs, scorecard, target_set, lang),
            "</section>",
        ]
    for i, run in enumerate(runs):
        resolved = run.manifest.get("scenario_resolved") or {}
        scenario_title = resolved.get("title") or run.manifest.get("scenario_title") or ""
        body += [
            f'<section id="{_anchor(i)}" class="run">',
            f"<h2>{_e(lab['run_h'].format(name=run.name))}</h2>",
            f'<p class="meta">{_e(scenario_title)}</p>' if scenario_title else "",
            f"<h3>{_e(lab['charts_h'])}</h3>",
            _run_charts_html(run.ds, lang),
            f"<h3>{_e(lab['assumptions_h'])}</h3>",
            assumptions_html(resolved, lang),
            f"<h3>{_e(lab['provenance_h'])}</h3>",
            provenance_html(run.manifest, run.folder, lang),
            "</section>",
        ]
    body.append(f"<footer>{_e(lab['footer'].format(version=__version__))}</footer>")
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="vnsim {_e(__version__)}">\n'
        f"<title>{_e(title)} — {_e(names)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(part for part in body if part)
        + "\n</main>\n</body>\n</html>\n"
    )
    return page, scorecard


def write_report(
    run_dirs: Iterable[str | Path],
    out: str | Path,
    lang: Lang = "en",
    targets_file: str | Path | None = None,
    *,
    date: dt.date | None = None,
) -> Path:
    """Write the self-contained HTML briefing page for run folders; return its path.

    Parameters
    ----------
    run_dirs
        Run folders (each with ``ensemble.nc`` and ``manifest.json``), in the order shown.
    out
        The HTML file to write (its folder is created).
    lang
        ``"en"`` or ``"vi"``: language of every label, number format and chart.
    targets_file
        A target set file or shipped set name (:func:`vnsim.spec.targets.target_file`); None gives
        the default set (Decision 942, 2025).
    date
        Date printed under the title (default: today).

    The scorecard is also written as ``scorecard.csv`` (UTF-8) and ``scorecard.xlsx`` in the
    folder of ``out`` (probabilities as shares 0–1, values in each target's unit).
    """
    _labels(lang)
    target_set = targets.load_targets(targets_file)
    runs: list[Run] = []
    try:
        for d in run_dirs:
            runs.append(read_run(d))
        if not runs:
            raise ValueError("no run folders given")
        _unique_names(runs)
        page, scorecard = render_report(runs, target_set, lang, date)
    finally:
        for run in runs:
            run.ds.close()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    tables.write_scorecard(scorecard, out.parent)
    return out


def default_out(first_run: str | Path, lang: str) -> Path:
    """Default page path: ``report-<lang>.html`` inside the first run folder, so the English
    and Vietnamese pages of the same runs sit side by side."""
    return Path(first_run) / f"report-{lang}.html"


def cmd_report(
    run_dirs: list[str], out: str | None, lang: str, targets_file: str | None = None
) -> Path:
    """``vnsim report RUN_DIR... [--lang vi|en] [--out FILE] [--targets FILE]``.

    Writes the page to ``out``, or by default to ``<first run dir>/report-<lang>.html``, and the
    scorecard as ``scorecard.csv``/``scorecard.xlsx`` beside it. Missing run folders and target
    files are reported as :class:`vnsim.cli.UserError` (a message, exit status 2).
    """
    from vnsim.cli import UserError

    if lang not in LABELS:
        raise UserError(f"--lang must be one of {', '.join(LABELS)}, not {lang!r}")
    if not run_dirs:
        raise UserError("name at least one run folder")
    for d in run_dirs:
        if not (Path(d) / "ensemble.nc").is_file() or not (Path(d) / "manifest.json").is_file():
            raise UserError(f"{d}: not a run folder (needs ensemble.nc and manifest.json)")
    try:
        targets.target_file(targets_file)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    path = Path(out) if out else default_out(run_dirs[0], lang)
    return write_report([Path(d) for d in run_dirs], path, lang, targets_file)  # type: ignore[arg-type]


def _run_command(args: argparse.Namespace) -> int:
    path = cmd_report(args.run_dirs, args.out, args.lang, args.targets)
    print(f"vnsim report: {path} (scorecard.csv, scorecard.xlsx beside it)")
    return 0


def register(subparsers: Any) -> None:
    """Add ``vnsim report`` to the CLI (for ``vnsim.cli.EXTRA_COMMANDS``)."""
    p = subparsers.add_parser(
        "report", help="write a self-contained HTML briefing page for run folders"
    )
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run folders to report on")
    p.add_argument("--lang", choices=sorted(LABELS), default="en", help="language (default en)")
    p.add_argument("--out", help="HTML file (default: <first RUN_DIR>/report-<lang>.html)")
    p.add_argument(
        "--targets", help="target set file or shipped set name (default decision_942_2025)"
    )
    p.set_defaults(func=_run_command)
