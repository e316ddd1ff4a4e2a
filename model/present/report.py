"""The briefing page: one self-contained HTML file summarising one or more run folders.

``write_report`` reads run folders (``ensemble.nc``, ``manifest.json`` and the scenario the
manifest records, validated as a :class:`~vnsim.spec.scenario.Scenario`), draws the briefing
charts of :mod:`vnsim.present.charts`, scores every run against a target set
(:mod:`vnsim.spec.targets`) and renders the Jinja2 templates of ``vnsim.present/templates``.
The page needs nothing but a browser: charts are base64 PNG ``data:`` URIs, the style sheet
(``templates/report.css``) is inlined, there is no script and no web font, and a
Content-Security-Policy forbids the page any network request. The scorecard is also written as
``scorecard.csv`` and ``scorecard.xlsx`` next to the page.

Autoescaping is on for every template, so text read from files (scenario texts, sources,
target descriptions, paths) can never become markup. Every sentence comes from the gettext
catalogue (:func:`vnsim.present.i18n.catalogue`, English msgids); numbers, percentages and
country names from :func:`vnsim.present.i18n.translator`.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import gettext
import io
import json
import math
import os
import re
import secrets
import shutil
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import pydantic
import xarray as xr
from babel import dates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from matplotlib.figure import Figure
from vnsim import __version__
from vnsim.analysis import hindsight
from vnsim.analysis import scorecard as card
from vnsim.errors import UserProblem
from vnsim.present import charts, tables
from vnsim.present.i18n import LANGUAGES, Lang, Translator, catalogue, translator
from vnsim.run.store import open_run
from vnsim.spec import targets
from vnsim.spec.scenario import Scenario

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

#: Only inline styles and data: images; anything else (fetches, scripts, fonts) is refused.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

#: Manifest entries shown under "Provenance", in order (hashes and commits in monospace).
PROVENANCE_KEYS = (
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
_MONOSPACE = {"scenario_file_hash", "scenario_hash", "git_commit"}

_COMPARISON_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


# ---------------------------------------------------------------------------------------------
# Words of the page that are looked up by a key (units, distributions, ...)


@dataclass(frozen=True)
class Vocabulary:
    """Reader-facing names of the identifiers a page shows, in one language.

    Each mapping goes from the identifier in files and results (``"USD bn"``, ``"lognormal"``,
    ``"commune"``) to its name; identifiers without a name are shown as written.
    """

    unit: Mapping[str, str]
    distribution: Mapping[str, str]
    parameter: Mapping[str, str]
    indicator: Mapping[str, str]
    level: Mapping[str, str]
    chart: Mapping[str, str]
    confidence: Mapping[str, str]


def _unit_names(cat: gettext.NullTranslations) -> dict[str, str]:
    return {
        "USD bn": cat.pgettext("unit", "bn USD"),
        "share": cat.pgettext("unit", "share"),
        "share/yr": cat.pgettext("unit", "share/yr"),
        "1/yr": cat.pgettext("unit", "1/yr"),
        "index points": cat.pgettext("unit", "index points"),
        "index points/yr": cat.pgettext("unit", "index points/yr"),
        "per 100/yr": cat.pgettext("unit", "per 100/yr"),
        "years": cat.pgettext("unit", "years"),
        "intensity": cat.pgettext("unit", "intensity"),
    }


def _distribution_names(cat: gettext.NullTranslations) -> dict[str, str]:
    return {
        "fixed": cat.pgettext("distribution", "fixed"),
        "uniform": cat.pgettext("distribution", "uniform"),
        "triangular": cat.pgettext("distribution", "triangular"),
        "normal": cat.pgettext("distribution", "normal"),
        "truncated_normal": cat.pgettext("distribution", "truncated normal"),
        "lognormal": cat.pgettext("distribution", "lognormal"),
        "beta": cat.pgettext("distribution", "beta"),
        "student_t": cat.pgettext("distribution", "Student t"),
    }


def _parameter_names(cat: gettext.NullTranslations) -> dict[str, str]:
    return {
        "value": cat.pgettext("parameter", "value"),
        "low": cat.pgettext("parameter", "low"),
        "mode": cat.pgettext("parameter", "mode"),
        "high": cat.pgettext("parameter", "high"),
        "mean": cat.pgettext("parameter", "mean"),
        "sd": cat.pgettext("parameter", "sd"),
        "median": cat.pgettext("parameter", "median"),
        "sigma": cat.pgettext("parameter", "σ (log)"),
        "alpha": cat.pgettext("parameter", "α"),
        "beta": cat.pgettext("parameter", "β"),
        "df": cat.pgettext("parameter", "df"),
        "loc": cat.pgettext("parameter", "loc"),
        "scale": cat.pgettext("parameter", "scale"),
    }


def _indicator_names(cat: gettext.NullTranslations) -> dict[str, str]:
    # short names for heatmap rows; "%(level)s" is filled with a level's name
    return {
        "market_size": cat.pgettext("indicator", "IT market"),
        "market_growth": cat.pgettext("indicator", "IT market growth"),
        "osi": cat.pgettext("indicator", "OSI"),
        "tii": cat.pgettext("indicator", "TII"),
        "hci": cat.pgettext("indicator", "HCI"),
        "egdi": cat.pgettext("indicator", "EGDI"),
        "egdi_rank": cat.pgettext("indicator", "EGDI world rank"),
        "asean_position": cat.pgettext("indicator", "ASEAN position"),
        "southeast_asia_position": cat.pgettext("indicator", "position in South-East Asia"),
        "admin_fully_online": cat.pgettext("indicator", "Admin dossiers fully online"),
        "dossiers_online": cat.pgettext("indicator", "Work dossiers online, %(level)s"),
    }


def _chart_names(cat: gettext.NullTranslations) -> dict[str, str]:
    return {
        "market_fan": cat.pgettext("chart", "IT application market"),
        "rank_distribution": cat.pgettext("chart", "EGDI world rank"),
        "asean_position": cat.pgettext("chart", "position in ASEAN"),
        "components": cat.pgettext("chart", "EGDI components"),
        "dossier_shares": cat.pgettext("chart", "dossiers online"),
    }


@functools.cache
def vocabulary(lang: Lang) -> Vocabulary:
    """The :class:`Vocabulary` of ``lang``, from the gettext catalogue."""
    cat = catalogue(lang)
    return Vocabulary(
        unit=_unit_names(cat),
        distribution=_distribution_names(cat),
        parameter=_parameter_names(cat),
        indicator=_indicator_names(cat),
        level={
            "ministry_province": cat.pgettext("level", "ministries & provinces"),
            "district": cat.pgettext("level", "districts"),
            "commune": cat.pgettext("level", "communes"),
        },
        chart=_chart_names(cat),
        confidence={
            "V": cat.gettext("seen in a copy or official summary"),
            "R": cat.gettext("our reading of the decision, not re-seen"),
            "U": cat.gettext("not confirmed"),
        },
    )


# ---------------------------------------------------------------------------------------------
# Numbers as the page writes them


def plain(value: float | str, tr: Translator) -> str:
    """A number as written in a scenario file (up to 6 significant digits), in ``tr``'s format.

    Text (the name of an uncertain input) is returned unchanged.
    """
    if isinstance(value, str):
        return value
    shown = Decimal(f"{float(value):.6g}")
    exponent = shown.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return tr.number(float(shown), digits=digits)


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(float(value))


def in_unit(value: float, unit: str, tr: Translator, suffix: bool = True) -> str:
    """A scorecard value in its unit: shares as percent, ranks whole, market in bn USD.

    ``suffix=False`` leaves out a word unit (bn USD), for the ends of an interval; a missing
    value is ``–``.
    """
    if not _finite(value):
        return "–"
    if unit in ("rank", "position"):
        return tr.number(value, digits=0)
    if unit.startswith("share"):
        return tr.percent(value, digits=1 if unit == "share/yr" else 0)
    if unit == "USD bn":
        text = tr.number(value, digits=1)
        return f"{text} {vocabulary(tr.lang).unit['USD bn']}" if suffix else text
    if unit.startswith("index"):
        return tr.number(value, digits=3)
    return plain(value, tr)


def threshold(value: float, unit: str, tr: Translator) -> str:
    """A target's threshold as the decision writes it (25 bn USD, 80%, 50)."""
    if unit.startswith("share"):
        # the decision's own precision: 0.8 -> 80%, 0.825 -> 82.5%
        digits = max(0, -int(Decimal(f"{100 * value:.6g}").as_tuple().exponent))
        return tr.percent(value, digits=digits)
    if unit == "USD bn":
        return f"{plain(value, tr)} {vocabulary(tr.lang).unit['USD bn']}"
    return plain(value, tr)


def long_date(day: dt.date, lang: Lang) -> str:
    """The date under the title: en ``2 January 2025``, vi ``2 tháng 1 năm 2025``."""
    # TRANSLATORS: a CLDR date pattern (d day, MMMM month name, y year, 'quoted' literal text)
    pattern = catalogue(lang).gettext("d MMMM y")
    return dates.format_date(day, format=pattern, locale=lang)


def breakable(identifier: str) -> list[str]:
    """An identifier cut after each ``_`` and ``.``, where a table cell may break the line."""
    return [part for part in re.split(r"(?<=[_.])", identifier) if part] or [identifier]


# ---------------------------------------------------------------------------------------------
# Charts


@dataclass(frozen=True)
class EmbeddedChart:
    """A chart as the page embeds it: a PNG ``data:`` URI, its pixel size and its alt text."""

    uri: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class MissingChart:
    """A chart a run cannot draw: its name on the page and the variables it lacks."""

    name: str
    variables: str


def figure_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes at ``dpi`` dots per inch, drawn in the briefing style."""
    buf = io.BytesIO()
    with charts.briefing_style():
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    return buf.getvalue()


def embed(fig: Figure, dpi: int = DPI) -> EmbeddedChart:
    """``fig`` as an :class:`EmbeddedChart`, alt text from its title."""
    png = figure_png(fig, dpi)
    # the IHDR chunk holds the pixel size, so the browser can lay out before decoding
    width, height = struct.unpack(">II", png[16:24])
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return EmbeddedChart(uri, " ".join((fig.get_suptitle() or "chart").split()), width, height)


def run_charts(ds: xr.Dataset, lang: Lang) -> tuple[list[EmbeddedChart], list[MissingChart]]:
    """The key charts of one run, and the charts it lacks the variables for."""
    drawn, missing = [], []
    for name, (chart, needs, rule) in RUN_CHARTS.items():
        if rule(v in ds.data_vars for v in needs):
            drawn.append(embed(chart(ds, lang)))
        else:
            absent = ", ".join(v for v in needs if v not in ds.data_vars)
            missing.append(MissingChart(vocabulary(lang).chart[name], absent))
    return drawn, missing


# ---------------------------------------------------------------------------------------------
# Reading run folders


@dataclass(frozen=True)
class Run:
    """A run folder read for the report.

    ``ds`` is the results Dataset (opened lazily: close it when done), ``manifest`` the
    provenance of ``manifest.json`` and ``scenario`` the validated scenario it records.
    """

    folder: Path
    name: str
    ds: xr.Dataset
    manifest: dict[str, Any]
    scenario: Scenario


def _manifest(folder: Path) -> dict[str, Any]:
    for needed in ("ensemble.nc", "manifest.json"):
        if not (folder / needed).is_file():
            raise UserProblem(f"{folder}: not a run folder (needs ensemble.nc and manifest.json)")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserProblem(f"{folder / 'manifest.json'}: not readable JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise UserProblem(f"{folder / 'manifest.json'}: not a vnsim run manifest")
    return manifest


def read_run(folder: str | Path) -> Run:
    """Read a run folder: its manifest, the scenario it records, and ``ensemble.nc`` (lazily).

    The charts read only the slices they draw, so large ensembles are not loaded whole; close
    ``run.ds`` when done. Raises :class:`vnsim.errors.UserProblem` when the folder is not a run
    folder or its manifest holds no valid scenario.
    """
    folder = Path(folder)
    manifest = _manifest(folder)
    try:
        scenario = Scenario.model_validate(manifest.get("scenario_resolved"))
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "scenario_resolved"
        raise UserProblem(
            f"{folder / 'manifest.json'}: the recorded scenario is not valid "
            f"({exc.error_count()} problems; first: {where}: {first['msg']})"
        ) from None
    ds = open_run(folder)
    name = str(ds.attrs.get("scenario") or manifest.get("scenario") or scenario.name)
    return Run(folder, name, ds, manifest, scenario)


def unique_names(names: Sequence[str]) -> list[str]:
    """Distinct names for runs of the same scenario: ``baseline``, ``baseline (2)``, … (as
    ``vnsim targets`` names them)."""
    taken: list[str] = []
    for name in names:
        key, n = name, 1
        while key in taken:
            n += 1
            key = f"{name} ({n})"
        taken.append(key)
    return taken


# ---------------------------------------------------------------------------------------------
# What the templates show


@dataclass(frozen=True)
class ScoreCell:
    """One scenario's result for one target; ``probability`` is None when not measured."""

    probability: str | None
    median: str = ""
    low: str = ""
    high: str = ""
    background: str = ""
    ink: str = ""
    #: for a target judged after the fact: "met"/"missed" (translated), the observed value,
    #: and what the earlier vintage gave it
    status: str = ""
    observed: str = ""
    vintage: str = ""


@dataclass(frozen=True)
class ScoreRow:
    """One target of the scorecard table, with a cell per scenario."""

    description: str
    when: str
    goal: str
    decision: str
    confidence: str
    cells: tuple[ScoreCell, ...]


@dataclass(frozen=True)
class ScorecardView:
    """The scorecard as the page shows it (scenarios as columns, targets as rows)."""

    scenarios: tuple[str, ...]
    rows: tuple[ScoreRow, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ProvenanceView:
    """What produced a run: (label, value, monospace) rows, and the run's lever overrides as
    (lever, ``"scale"`` or ``"start"``, value) rows."""

    rows: tuple[tuple[str, str, bool], ...]
    overrides: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class RunView:
    """One run's section of the page."""

    anchor: str
    name: str
    title: str
    charts: tuple[EmbeddedChart, ...]
    missing: tuple[MissingChart, ...]
    scenario: Scenario
    provenance: ProvenanceView


def when(target: targets.Target, lang: Lang) -> str:
    """When a target is checked: ``2025``, or ``edition 2026`` for a UN survey edition."""
    if target.year is not None:
        return str(target.year)
    return catalogue(lang).gettext("edition %(edition)s") % {"edition": target.edition}


def goal(target: targets.Target, lang: Lang) -> str:
    """A target's comparison and threshold, e.g. ``≥ 25 bn USD``."""
    shown = threshold(target.threshold, target.unit, translator(lang))
    return f"{_COMPARISON_SIGNS[target.comparison]} {shown}"


def target_label(target: targets.Target, lang: Lang = "en") -> str:
    """A short label of a target, e.g. "IT market ≥ 25 bn USD, 2025", for heatmap rows.

    The full descriptions are long (four lines in Vietnamese at the heatmap's label width); the
    table above the heatmap keeps them.
    """
    words = vocabulary(lang)
    name = words.indicator[target.indicator]
    if target.level is not None:
        name = name % {"level": words.level[target.level]}
    if target.country not in (None, "VNM"):
        name = f"{name} ({translator(lang).country(target.country)})"
    return f"{name} {goal(target, lang)}, {when(target, lang)}"


def _score_cell(row: pd.Series, unit: str, tr: Translator) -> ScoreCell:
    p = float(row["probability"])
    red, green, blue, _ = mpl.colormaps["RdYlGn"](p)
    # dark ink on the light middle of the colour map, white on its dark ends
    ink = "#ffffff" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.55 else "#1d2327"
    return ScoreCell(
        probability=tr.percent(p),
        median=in_unit(row["median"], unit, tr),
        low=in_unit(row["low"], unit, tr, suffix=False),
        high=in_unit(row["high"], unit, tr, suffix=False),
        background=mpl.colors.to_hex((red, green, blue)),
        ink=ink,
    )


def _judged_cell(row: pd.Series, unit: str, lang: Lang, vintage: int | None) -> ScoreCell:
    """A target met or missed by its observed outcome, with the earlier vintage's view."""
    cat, tr = catalogue(lang), translator(lang)
    view = ""
    if _finite(row["vintage_probability"]):
        view = cat.gettext("%(vintage)s vintage: P(met) %(p)s, PIT %(pit)s") % {
            "vintage": vintage,
            "p": tr.percent(float(row["vintage_probability"])),
            "pit": tr.number(float(row["vintage_pit"]), 2),
        }
    word = cat.gettext("met") if row["status"] == "met" else cat.gettext("missed")
    return ScoreCell(
        probability=word,
        status=str(row["status"]),
        observed=in_unit(row["observed"], unit, tr),
        vintage=view,
    )


def scorecard_view(
    df: pd.DataFrame, target_set: targets.TargetSet, lang: Lang, vintage: int | None = None
) -> ScorecardView:
    """The scorecard (:func:`vnsim.analysis.scorecard.scorecard`) as the page's table shows it.

    Each cell holds P(met) as a percentage with a red–yellow–green background and the median
    and 80 % interval of the indicator; a target judged after the fact shows met or missed, the
    observed value and what the ``vintage`` forecast gave it; targets a run cannot measure get
    a note saying why.
    """
    tr = translator(lang)
    scenarios = tuple(dict.fromkeys(df["scenario"]))
    not_measured = catalogue(lang).gettext("not measured")
    rows, notes = [], []
    for t in target_set.targets:
        sub = df[df["target"] == t.id].set_index("scenario")
        cells = []
        for s in scenarios:
            r = sub.loc[s] if s in sub.index else None
            if r is not None and r.get("status") in ("met", "missed"):
                cells.append(_judged_cell(r, t.unit, lang, vintage))
                notes.append(f"{s} / {t.id}: {r['observed_source']}")
            elif r is not None and _finite(r["probability"]):
                cells.append(_score_cell(r, t.unit, tr))
                if r.get("status") == "not observable":
                    notes.append(f"{s} / {t.id}: {r['observed_source']}")
            else:
                cells.append(ScoreCell(probability=None))
            reason = "" if r is None else str(r["reason"])
            if reason or cells[-1].probability is None:
                notes.append(f"{s} / {t.id}: {reason or not_measured}")
        rows.append(
            ScoreRow(
                description=localised(t, "description", lang),
                when=when(t, lang),
                goal=goal(t, lang),
                decision=localised(t.source, "decision", lang),
                confidence=t.source.confidence,
                cells=tuple(cells),
            )
        )
    return ScorecardView(scenarios, tuple(rows), tuple(notes))


def _provenance_labels(lang: Lang) -> dict[str, str]:
    cat = catalogue(lang)
    return {
        "run_folder": cat.gettext("Run folder"),
        "scenario_file": cat.gettext("Scenario file"),
        "scenario_file_hash": cat.gettext("Scenario file hash (SHA-256)"),
        "scenario_hash": cat.gettext("Resolved scenario hash"),
        "seed": cat.gettext("Seed"),
        "draws": cat.gettext("Draws"),
        "sampler": cat.gettext("Sampler"),
        "executor": cat.gettext("Executor"),
        "data_version": cat.gettext("Data version"),
        "data_editions": cat.gettext("UN survey editions used"),
        "package_version": cat.gettext("vnsim version"),
        "git_commit": cat.gettext("Git commit"),
        "created": cat.gettext("Run created"),
        "python": cat.gettext("Python"),
        "numpy": cat.gettext("NumPy"),
        "platform": cat.gettext("Platform"),
    }


def provenance_view(
    manifest: Mapping[str, Any], folder: Path | None, lang: Lang = "en"
) -> ProvenanceView:
    """What produced a run, from its manifest: files and hashes, seed, draws, sampler, data
    version and editions, package version, git commit, creation time, platform, and the lever
    overrides (``--lever-scale``/``--lever-start``) of the run."""
    labels, tr = _provenance_labels(lang), translator(lang)
    rows = [(labels["run_folder"], str(folder), False)] if folder is not None else []
    for key in PROVENANCE_KEYS:
        value = manifest.get(key)
        if value is not None and value != "":
            rows.append((labels[key], str(value), key in _MONOSPACE))
    overrides = [
        (lever, "scale", ", ".join(plain(x, tr) for x in np.atleast_1d(v)))
        for lever, v in (manifest.get("lever_scale") or {}).items()
    ]
    overrides += [
        (lever, "start", str(v)) for lever, v in (manifest.get("lever_start") or {}).items()
    ]
    return ProvenanceView(tuple(rows), tuple(overrides))


def localised(item: pydantic.BaseModel, field: str, lang: Lang) -> Any:
    """A text field of a scenario or target model in ``lang``: in Vietnamese its ``<field>_vi``
    (e.g. ``description_vi``) when the model has one that is not empty, else ``<field>``."""
    # targets have description_vi; scenarios, levers, inputs and sources get *_vi fields with
    # the one-language briefing (issue 14), and the page uses them without a change here
    translated = getattr(item, f"{field}_vi", None) if lang == "vi" else None
    return translated or getattr(item, field)


def run_view(run: Run, index: int, lang: Lang) -> RunView:
    """The section of one run: its charts, assumptions and provenance."""
    drawn, missing = run_charts(run.ds, lang)
    return RunView(
        anchor=f"run-{index + 1}",
        name=run.name,
        title=localised(run.scenario, "title", lang)
        or str(run.manifest.get("scenario_title") or ""),
        charts=tuple(drawn),
        missing=tuple(missing),
        scenario=run.scenario,
        provenance=provenance_view(run.manifest, run.folder, lang),
    )


def _comparison_charts(
    runs: Sequence[Run], scorecard: pd.DataFrame, target_set: targets.TargetSet, lang: Lang
) -> list[EmbeddedChart]:
    short = {t.id: target_label(t, lang) for t in target_set.targets}
    # the heatmap labels its rows with the description columns: give it the short labels
    labelled = scorecard.assign(
        description=scorecard["target"].map(short), description_vi=scorecard["target"].map(short)
    )
    labelled.attrs = dict(scorecard.attrs)
    figures = [embed(charts.scorecard_heatmap(labelled, lang))]
    datasets = {r.name: r.ds for r in runs}
    for variable in COMPARED:
        if all(variable in r.ds.data_vars for r in runs):
            figures.append(embed(charts.scenario_comparison(datasets, variable, lang)))
    return figures


def _table_attrs(runs: Sequence[Run]) -> dict[str, Any]:
    """Provenance for charts of the scorecard: shared values only."""
    attrs: dict[str, Any] = {}
    for key in ("package_version", "data_editions", "draws", "seed"):
        values = [r.ds.attrs.get(key) for r in runs]
        if None not in values and len({str(v) for v in values}) == 1:
            attrs[key] = values[0]
    if len(runs) == 1:
        attrs["scenario"] = runs[0].name
    return attrs


# ---------------------------------------------------------------------------------------------
# Templates and the page


@functools.cache
def environment(lang: Lang) -> Environment:
    """The Jinja2 environment of the page in ``lang``: package templates, autoescape on,
    gettext from the catalogue (``_``, ``gettext``, ``pgettext``...) and the filters
    ``number``, ``percent``, ``country`` (:class:`~vnsim.present.i18n.Translator`), ``plain``
    and ``breakable``; the global ``localised(model, field)`` picks a text in ``lang``."""
    if lang not in LANGUAGES:
        raise UserProblem(f"no briefing in {lang!r}; languages: {', '.join(LANGUAGES)}")
    env = Environment(
        loader=PackageLoader("vnsim.present", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(catalogue(lang), newstyle=True)  # type: ignore[attr-defined]
    tr = translator(lang)
    env.filters.update(
        number=tr.number,
        percent=tr.percent,
        country=tr.country,
        plain=functools.partial(plain, tr=tr),
        breakable=breakable,
    )
    env.globals.update(
        lang=lang,
        version=__version__,
        words=vocabulary(lang),
        localised=functools.partial(localised, lang=lang),
    )
    return env


def assumptions_html(scenario: Scenario, lang: Lang = "en") -> str:
    """A scenario's assumptions as an HTML fragment: horizon, ensemble, description, sources,
    uncertain inputs (distribution, parameters, unit, source) and levers (schedule, timing,
    effects, condition, source)."""
    template = environment(lang).get_template("assumptions.html")
    return template.render(scenario=scenario)


def provenance_html(manifest: Mapping[str, Any], folder: Path | None, lang: Lang = "en") -> str:
    """A run's provenance (:func:`provenance_view`) as an HTML fragment."""
    template = environment(lang).get_template("provenance.html")
    return template.render(provenance=provenance_view(manifest, folder, lang))


def render_report(
    runs: Sequence[Run],
    target_set: targets.TargetSet,
    lang: Lang = "en",
    date: dt.date | None = None,
    stem: str = "scorecard",
    vintage: int | None = hindsight.VINTAGE,
) -> tuple[str, pd.DataFrame]:
    """The HTML page for read runs, and the scorecard DataFrame it shows.

    ``date`` is the date printed under the title (default: today); ``stem`` names the scorecard
    files the page points to (``<stem>.csv``, ``<stem>.xlsx``); targets judged after the fact
    are compared with each run's scenario as of the end of ``vintage`` (None: not compared).
    """
    if not runs:
        raise UserProblem("name at least one run folder")
    env = environment(lang)
    vintages = {r.name: v for r in runs if (v := _vintage(r, vintage)) is not None}
    scorecard = card.scorecard({r.name: r.ds for r in runs}, target_set, vintages)
    scorecard.attrs.update(_table_attrs(runs))
    page = env.get_template("report.html").render(
        csp=CSP,
        date=long_date(date or dt.date.today(), lang),
        names=", ".join(r.name for r in runs),
        target_set_title=target_set.title_vi if lang == "vi" else target_set.title,
        scorecard=scorecard_view(scorecard, target_set, lang, vintage),
        files={"csv": f"{stem}.csv", "xlsx": f"{stem}.xlsx"},
        comparison=_comparison_charts(runs, scorecard, target_set, lang) if len(runs) > 1 else [],
        runs=[run_view(run, i, lang) for i, run in enumerate(runs)],
    )
    return page, scorecard


def _vintage(run: Run, year: int | None) -> xr.Dataset | None:
    """The run's scenario forecast as of the end of ``year``, with the run's draws and seed
    (None when the run is of that vintage or older)."""
    if year is None:
        return None
    return hindsight.earlier_forecast(run.ds, lambda: run.scenario, year)


def _target_set(targets_file: str | Path | None) -> targets.TargetSet:
    try:
        targets.target_file(targets_file)
    except FileNotFoundError as exc:
        raise UserProblem(str(exc)) from None
    return targets.load_targets(targets_file)


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

    The scorecard is also written as ``scorecard.csv`` and ``scorecard.xlsx`` in the folder of
    ``out`` (probabilities as shares 0–1, values in each target's unit). Mistakes the user can
    fix (a folder that is not a run folder, an unknown target set or language) raise
    :class:`vnsim.errors.UserProblem` before anything is written.
    """
    environment(lang)  # an unknown language is refused before any run is read
    target_set = _target_set(targets_file)
    runs: list[Run] = []
    try:
        for d in run_dirs:
            runs.append(read_run(d))
        names = unique_names([r.name for r in runs])
        runs = [dataclasses.replace(r, name=n) for r, n in zip(runs, names, strict=True)]
        page, scorecard = render_report(runs, target_set, lang, date, stem=Path(out).stem)
        assumptions = tables.assumptions_table({r.name: r.scenario for r in runs})
    finally:
        for run in runs:
            run.ds.close()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # written complete in a hidden folder beside the page, then each file moved into place,
    # so an interrupted report leaves the earlier files as they were, never half-written ones
    staging = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    os.mkdir(staging)  # with the user's umask, readable by colleagues like the run folders
    try:
        (staging / out.name).write_text(page, encoding="utf-8")
        # named after the page, so that pages in two languages or for two sets do not collide
        files = tables.write_scorecard(
            scorecard, staging, stem=out.stem, lang=lang, assumptions=assumptions
        )
        for file in [staging / out.name, *files]:
            os.replace(file, out.parent / file.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
    scorecard as ``scorecard.csv``/``scorecard.xlsx`` beside it. Missing run folders, unknown
    target sets and languages raise :class:`vnsim.errors.UserProblem` (a message, exit status 2).
    """
    if lang not in LANGUAGES:
        raise UserProblem(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if not run_dirs:
        raise UserProblem("name at least one run folder")
    path = Path(out) if out else default_out(run_dirs[0], lang)
    return write_report(run_dirs, path, lang, targets_file)  # type: ignore[arg-type]
