"""Briefing charts of a run's results Dataset, labelled in Vietnamese or English.

Every chart is a function of the results Dataset (or of a table derived from it) that returns a
:class:`matplotlib.figure.Figure`. All charts share one style (:func:`briefing_style`), one
colour per scenario (:func:`scenario_colour`) and a footnote with the run's provenance, so a
notebook, the CLI and a report draw the same figure the same way.

Figures are built on :class:`matplotlib.figure.Figure` directly (not ``pyplot``), so making
charts leaves no open pyplot figures, and the style is applied in a context manager, so importing
or calling this module changes no global matplotlib state.

Sizes are physical: charts are laid out at A4 half-width (90 mm) with 7 pt text, so they stay
readable when placed in a two-column briefing without scaling.

Every label comes from the gettext catalogue and every number, percentage and country name
from :class:`vnsim.present.i18n.Translator` (CLDR formats and names through Babel).
"""

from __future__ import annotations

import functools
import re
import textwrap
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from babel.lists import format_list
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator
from matplotlib.transforms import ScaledTranslation, blended_transform_factory
from vnsim import __version__, datasets
from vnsim.present.i18n import N_, Lang, Translator, translator
from vnsim.spec.targets import TARGET_SETS, Target, TargetSet, load_targets

if TYPE_CHECKING:
    from vnsim.analysis.backtest import BacktestResult

#: Physical chart width, inches: A4 half-width (90 mm), for two-column briefings.
HALF_WIDTH = 90 / 25.4

TargetSets = Sequence[TargetSet] | None


@functools.cache
def _shipped_sets() -> tuple[TargetSet, ...]:
    return tuple(load_targets(name) for name in TARGET_SETS)


def _observed_ranks(ax, ds: xr.Dataset, country: str, t: Translator) -> None:
    """Mark the published rank of each simulated edition observed since the run's vintage."""
    surveys = datasets.load_surveys()
    simulated = ds["edition"].values[1:]  # the first edition is the run's observed origin
    seen = surveys[(surveys["iso3"] == country) & surveys["survey_year"].isin(simulated)]
    if seen.empty:
        return
    ax.scatter(
        seen["survey_year"],
        seen["egdi_rank"],
        marker="x",
        s=46,
        color="#c4402f",
        zorder=5,
        label=t("observed since"),
    )
    ax.legend(loc="upper left", fontsize=_BASE_FONT - 1)


#: Rank thresholds closer than this share one label on the rank chart.
RANK_LABEL_GAP = 8


def _close(values: list[int], gap: int) -> list[list[int]]:
    """Sorted values in runs whose neighbours are less than ``gap`` apart."""
    groups: list[list[int]] = []
    for v in values:
        if groups and v - groups[-1][-1] < gap:
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


def chart_targets(indicator: str, targets: TargetSets = None, **select: str) -> list[Target]:
    """The targets a chart marks: those on ``indicator`` (and ``country``/``level``) in the
    given target sets (default: every shipped set), each distinct target once."""
    found: dict[tuple, Target] = {}
    for ts in _shipped_sets() if targets is None else targets:
        for target in ts.targets:
            if target.indicator == indicator and all(
                getattr(target, k) == v for k, v in select.items()
            ):
                key = (target.comparison, target.threshold, target.when, target.source.decision)
                found.setdefault(key, target)
    return list(found.values())


#: Colours of named scenarios, the same in every chart. Others get the next free palette colour.
SCENARIO_COLOURS = {
    "baseline": "#1f5a96",
    "accelerated": "#1b9e5a",
    "stalled": "#c4402f",
}
_EXTRA_COLOURS = ("#7b4fa0", "#d98b1b", "#2a9fa8", "#8c6d31", "#d35f9a", "#5f6b73")
_LEVEL_COLOURS = {"ministry_province": "#1f5a96", "district": "#d98b1b", "commune": "#1b9e5a"}
_ADMIN_COLOUR = "#7b4fa0"
# Muted, distinct from every scenario colour, so the focus country stands out.
_PEER_COLOURS = ("#e377c2", "#8c564b", "#bcbd22", "#17becf", "#ff9f4a", "#9e9e9e", "#c49c94")

# Msgids of names that come from the data (translated where drawn, by the chart's Translator).
#: Variables: (name, unit) as axis labels show them, "name (unit)".
VARIABLE_LABELS: dict[str, tuple[str, str]] = {
    "market_size": (N_("IT application market"), N_("USD bn")),
    "market_growth": (N_("IT market growth"), N_("per year")),
    "osi": (N_("OSI"), N_("index 0–1")),
    "tii": (N_("TII"), N_("index 0–1")),
    "hci": (N_("HCI"), N_("index 0–1")),
    "egdi": (N_("EGDI"), N_("index 0–1")),
    "egdi_rank": (N_("EGDI world rank"), N_("1 = best")),
    "asean_position": (N_("EGDI position in ASEAN"), N_("1 = best")),
    "southeast_asia_position": (N_("EGDI position in South-East Asia"), N_("1 = best")),
    "dossiers_online": (N_("Work dossiers online"), N_("share")),
    "admin_fully_online": (N_("Admin dossiers fully online"), N_("share")),
}
#: EGDI components, as panel titles.
COMPONENT_LABELS = {
    "osi": N_("Online services (OSI)"),
    "tii": N_("Telecom infrastructure (TII)"),
    "hci": N_("Human capital (HCI)"),
}
#: Dossier series: the three government levels and admin procedures fully online.
SERIES_LABELS = {
    "ministry_province": N_("Ministry & province"),
    "district": N_("District"),
    "commune": N_("Commune"),
    "admin_fully_online": N_("Fully online"),
}
#: Backtest scores and methods (:func:`plot_backtest`).
SCORE_LABELS = {
    "rank_crps": N_("Rank CRPS (lower is better)"),
    "rank_mae": N_("Rank MAE of the median"),
    "rank_cov80": N_("Coverage of {share} intervals"),
    "rank_cov95": N_("Coverage of {share} intervals"),
    "value_crps": N_("EGDI CRPS (lower is better)"),
}
METHOD_LABELS = {
    "model": N_("model"),
    "noisy_persistence": N_("noisy persistence"),
    "bootstrap": N_("level-matched bootstrap"),
    "persistence": N_("persistence"),
}

# Variables plotted as shares get percent axes; ranks get inverted axes.
_SHARE_VARIABLES = {"market_growth", "dossiers_online", "admin_fully_online"}
_RANK_VARIABLES = {"egdi_rank", "asean_position", "southeast_asia_position"}

_BASE_FONT = 7.0
_FOOT_FONT = 5.5
_RC = {
    "font.family": "sans-serif",
    # DejaVu Sans ships with matplotlib and covers the Vietnamese Latin extensions.
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": _BASE_FONT,
    "axes.titlesize": _BASE_FONT,
    "axes.titleweight": "bold",
    "axes.labelsize": _BASE_FONT,
    "xtick.labelsize": _BASE_FONT - 0.5,
    "ytick.labelsize": _BASE_FONT - 0.5,
    "legend.fontsize": _BASE_FONT - 0.5,
    "legend.title_fontsize": _BASE_FONT - 0.5,
    "legend.frameon": False,
    "figure.titlesize": _BASE_FONT + 1.5,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "lines.linewidth": 1.3,
    "grid.linewidth": 0.4,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "svg.hashsalt": "vnsim",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "savefig.facecolor": "white",
}


@contextmanager
def briefing_style() -> Iterator[None]:
    """Apply the briefing style inside a ``with`` block; all rcParams are restored on exit.

    Starts from matplotlib's defaults, so the chart looks the same whatever style the caller
    has active, then adds seaborn's white-grid theme and the briefing fonts and sizes.
    """
    with mpl.style.context("default"), mpl.rc_context():
        sns.set_theme(context="paper", style="whitegrid", font="DejaVu Sans", rc=_RC)
        yield


def scenario_colour(name: str, taken: Sequence[str] = ()) -> str:
    """Colour of a scenario: fixed for known names, else a stable free palette colour.

    ``taken`` lists colours already used in the same chart, so unknown scenarios in one chart
    get distinct colours.
    """
    if name in SCENARIO_COLOURS:
        return SCENARIO_COLOURS[name]
    free = [c for c in _EXTRA_COLOURS if c not in taken] or list(_EXTRA_COLOURS)
    # crc32 is stable across sessions (hash() is salted), so a name keeps its colour.
    return free[zlib.crc32(name.encode("utf-8")) % len(free)]


def _percent_formatter(t: Translator, digits: int = 0) -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: t.percent(x, digits))


def _attr(attrs: Mapping[str, Any], key: str, default: str = "?") -> str:
    value = attrs.get(key)
    return default if value is None or value == "" else str(value)


def _draws(attrs: Mapping[str, Any], ds: xr.Dataset | None = None) -> int | None:
    """Draw count of a run from its attributes, else from the Dataset's ``draw`` axis."""
    draws = attrs.get("draws", ds.sizes.get("draw") if ds is not None else None)
    return None if draws is None else int(draws)


def _data_version(attrs: Mapping[str, Any], t: Translator) -> str:
    v = attrs.get("data_version")
    return t(", version {v}").format(v=v) if v not in (None, "") else ""


def footnote(ds: xr.Dataset, lang: Lang = "en") -> str:
    """Provenance line of a run: model version, scenario, draws, seed and data editions."""
    t = translator(lang)
    attrs = ds.attrs
    scenario_hash = str(attrs.get("scenario_hash") or "")
    draws = _draws(attrs, ds)
    sentence = t.ngettext(
        "Source: vnsim {version} simulation, scenario “{scenario}”{hash}, {draws} draw, "
        "seed {seed}; data: UN E-Government Survey {editions}{data_version}.",
        "Source: vnsim {version} simulation, scenario “{scenario}”{hash}, {draws} draws, "
        "seed {seed}; data: UN E-Government Survey {editions}{data_version}.",
        2 if draws is None else draws,
    )
    return sentence.format(
        version=_attr(attrs, "package_version"),
        scenario=_attr(attrs, "scenario"),
        hash=f" ({scenario_hash[:8]})" if scenario_hash else "",
        draws="?" if draws is None else t.number(draws, 0),
        seed=_attr(attrs, "seed"),
        editions=_attr(attrs, "data_editions"),
        data_version=_data_version(attrs, t),
    )


def _footnote_runs(datasets: Mapping[str, xr.Dataset], t: Translator) -> str:
    first = next(iter(datasets.values())).attrs
    runs = []
    for name, ds in datasets.items():
        draws = _draws(ds.attrs, ds) or 0
        run = t.ngettext(
            "“{scenario}” ({draws} draw, seed {seed})",
            "“{scenario}” ({draws} draws, seed {seed})",
            draws,
        )
        runs.append(
            run.format(scenario=name, draws=t.number(draws, 0), seed=_attr(ds.attrs, "seed"))
        )
    sentence = t(
        "Source: vnsim {version} simulations: {runs}; "
        "data: UN E-Government Survey {editions}{data_version}."
    )
    return sentence.format(
        version=_attr(first, "package_version"),
        runs="; ".join(runs),
        editions=_attr(first, "data_editions"),
        data_version=_data_version(first, t),
    )


def _footnote_table(attrs: Mapping[str, Any], t: Translator) -> str:
    """Footnote for a derived table; provenance comes from its ``DataFrame.attrs``."""
    detail = []
    if attrs.get("scenario"):
        detail.append(f"“{attrs['scenario']}”")
    draws = _draws(attrs)
    if draws is not None:
        detail.append(t.ngettext("{n} draw", "{n} draws", draws).format(n=t.number(draws, 0)))
    if attrs.get("seed") is not None:
        detail.append(t("seed {seed}").format(seed=attrs["seed"]))
    if attrs.get("data_editions"):
        detail.append(
            t("data: UN E-Government Survey {editions}").format(editions=attrs["data_editions"])
        )
    return t("Source: vnsim {version}{detail}.").format(
        version=attrs.get("package_version", __version__),
        detail=(", " + ", ".join(detail)) if detail else "",
    )


def _new_figure(height: float, width: float = HALF_WIDTH) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _wrap(text: str, size: float, width_pt: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap measured with the real font metrics, so lines never overrun."""
    prop = FontProperties(family=_RC["font.sans-serif"], size=size, weight=weight)
    measure = TextToPath()
    lines: list[str] = []
    for word in text.split(" "):
        trial = f"{lines[-1]} {word}" if lines else word
        fits = measure.get_text_width_height_descent(trial, prop, ismath=False)[0] <= width_pt
        if lines and fits:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def _finish(fig: Figure, title: str, note: str) -> Figure:
    """Add title and footnote, reserve room for the footnote, and lay out inside the style."""
    # Slack of 8 %: hinting makes text wider at low dpi (screen previews at 100 dpi).
    width_pt = fig.get_figwidth() * 72 * 0.92
    lines = _wrap(note, _FOOT_FONT, width_pt)
    fig.text(0.012, 0.008, "\n".join(lines), fontsize=_FOOT_FONT, color="#555555", va="bottom")
    foot_h = (len(lines) * _FOOT_FONT * 1.25 + 4) / 72 / fig.get_figheight()
    fig.get_layout_engine().set(rect=(0, foot_h, 1, 1 - foot_h))
    title_size = mpl.rcParams["figure.titlesize"]
    title_lines = _wrap(title, title_size, width_pt, weight="bold")
    fig.suptitle("\n".join(title_lines), x=0.012, ha="left")
    # Draw once inside the style so ticks and layout are materialised with its rcParams.
    fig.draw_without_rendering()
    return fig


def _text_width(text: str, size: float) -> float:
    """Width of one line of text in points, with the briefing font."""
    prop = FontProperties(family=_RC["font.sans-serif"], size=size)
    return TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0]


#: Legend spacing, in font sizes: handle and pad before each label, between columns, border.
_HANDLE_EM, _COLUMN_EM, _BORDER_EM = 1.6 + 0.8, 1.2, 0.8


def _legend_width(labels: Sequence[str], ncols: int, size: float) -> float:
    """Width in points of a legend of ``labels`` in ``ncols`` columns, as matplotlib fills it.

    Matplotlib fills columns top to bottom, the first ``len % ncols`` columns one row longer,
    and each column is as wide as its own widest label.
    """
    rows, long_cols = divmod(len(labels), ncols)
    heights = [rows + 1] * long_cols + [rows] * (ncols - long_cols)
    starts = np.cumsum([0, *heights[:-1]])
    columns = [
        max(_text_width(label, size) for label in labels[start : start + n]) + _HANDLE_EM * size
        for start, n in zip(starts, heights, strict=True)
        if n
    ]
    return sum(columns) + (_COLUMN_EM * (len(columns) - 1) + _BORDER_EM) * size


def _columns_that_fit(labels: Sequence[str], ncols: int, width_pt: float, size: float) -> int:
    """The most legend columns, up to ``ncols``, whose legend fits in ``width_pt`` (at least 1)."""
    return next((n for n in range(ncols, 1, -1) if _legend_width(labels, n, size) <= width_pt), 1)


def _legend_below(ax, handles: list, ncols: int, title: str | None = None) -> None:
    """Legend under an axes, clear of its tick and axis labels (about 26 pt tall).

    At most ``ncols`` columns, fewer when long labels (country names, translations) would run
    past the figure's edges: the legend is centred on the axes, which sits right of centre, so
    it gets 88 % of the figure's width (the room on both sides of the axes' centre once the
    y-axis label takes its place on the left).
    """
    below = ax.transAxes + ScaledTranslation(0, -26 / 72, ax.figure.dpi_scale_trans)
    labels = [h.get_label() for h in handles]
    width_pt = 0.88 * 72 * ax.figure.get_figwidth()
    ncols = _columns_that_fit(labels, ncols, width_pt, mpl.rcParams["legend.fontsize"])
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0),
        bbox_transform=below,
        ncols=ncols,
        title=title,
        columnspacing=1.2,
        handlelength=1.6,
    )


def _quantiles(da: xr.DataArray, qs: Sequence[float]) -> xr.DataArray:
    return da.astype("float64").quantile(list(qs), dim="draw", skipna=True)


_BANDS = ((0.95, 0.16), (0.80, 0.26), (0.50, 0.40))  # (coverage, alpha), widest first


def _variable_label(variable: str, t: Translator) -> tuple[str, str]:
    """A variable's (name, unit) in the language; an unknown variable is shown by its name."""
    if variable not in VARIABLE_LABELS:
        return variable, ""
    name, unit = VARIABLE_LABELS[variable]
    return t(name), t(unit)


def _decision(t: Translator, target: Target) -> str:
    """The first document that set a target and the year or edition it is checked at
    ("QĐ 942 (2026)", "NQ 02 (2026)" in vi; on the rank chart the axis is the survey edition)."""
    when = str(target.when)
    found = re.search(r"(\d+)(/QĐ|[/-]NQ)", target.source.decision)
    if found is None:
        return when
    number = found.group(1)
    if found.group(2) == "/QĐ":
        # TRANSLATORS: the number of the Prime Minister's decision (Quyết định) that set a target
        return t("Decision {number} ({when})").format(number=number, when=when)
    # TRANSLATORS: the number of the resolution (Nghị quyết) that set a target
    return t("Resolution {number} ({when})").format(number=number, when=when)


def _band_label(t: Translator, coverage: float) -> str:
    """Legend label of a central interval covering ``coverage`` (share 0–1) of the draws."""
    return t("{share} interval").format(share=t.percent(coverage))


def _fan(ax, x, da: xr.DataArray, colour: str, t: Translator, bands=_BANDS) -> list:
    """Median line and central bands over the draws of a 1-D (draw, x) array."""
    handles = []
    qs = sorted({0.5} | {q for c, _ in bands for q in ((1 - c) / 2, (1 + c) / 2)})
    q = _quantiles(da, qs)
    for coverage, alpha in bands:
        lo, hi = q.sel(quantile=(1 - coverage) / 2), q.sel(quantile=(1 + coverage) / 2)
        ax.fill_between(x, lo.values, hi.values, color=colour, alpha=alpha, lw=0)
        handles.append(Patch(color=colour, alpha=alpha, lw=0, label=_band_label(t, coverage)))
    ax.plot(x, q.sel(quantile=0.5).values, color=colour)
    handles.append(Line2D([], [], color=colour, label=t("Median")))
    return handles


def market_fan(ds: xr.Dataset, lang: Lang = "en", targets: TargetSets = None) -> Figure:
    """Fan chart of the IT application market: median and 50/80/95 % bands, USD bn by year.

    Market-size targets of ``targets`` (default: the shipped sets) are shaded at their year,
    from the lowest to the highest threshold of that year (25–30 bn USD in 2025).
    """
    t = translator(lang)
    colour = scenario_colour(str(ds.attrs.get("scenario", "")))
    with briefing_style():
        fig = _new_figure(2.9)
        ax = fig.add_subplot()
        years = ds["year"].values
        handles = _fan(ax, years, ds["market_size"], colour, t)
        by_year: dict[int, list[float]] = {}
        for target in chart_targets("market_size", targets):
            if years.min() <= target.year <= years.max():
                by_year.setdefault(target.year, []).append(target.threshold)
        for year, values in sorted(by_year.items()):
            lo, hi = min(values), max(values)
            ax.fill_between([year - 0.4, year + 0.4], lo, hi, color="#e8a33d", alpha=0.55, lw=0)
            label = t("{year} target: {low}–{high} bn USD").format(
                year=year, low=t.number(lo, 0), high=t.number(hi, 0)
            )
            handles.append(Patch(color="#e8a33d", alpha=0.55, lw=0, label=label))
        ax.set_xlabel(t("Year"))
        ax.set_ylabel(t("Market size (USD bn)"))
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: t.number(v, 0)))
        ax.margins(x=0.02)
        ax.legend(handles=handles[::-1], loc="upper left")
        title = t("IT application market, {scenario}").format(scenario=ds.attrs.get("scenario", ""))
        return _finish(fig, title, footnote(ds, lang))


def rank_distribution(
    ds: xr.Dataset, lang: Lang = "en", country: str = "VNM", targets: TargetSets = None
) -> Figure:
    """Distribution over draws of a country's EGDI world rank by survey edition.

    Boxes span the central 50 % of draws, whiskers the central 90 %, with the median rank
    written beside each box; dashed lines mark the rank targets of ``targets`` (default: the
    shipped sets), labelled with their decisions. A simulated edition that has since been
    observed (a run of an earlier vintage, ``--as-of``) shows the observed rank as a red cross.
    Rank 1 is at the top.
    """
    t = translator(lang)
    colour = scenario_colour(str(ds.attrs.get("scenario", "")))
    ranks = ds["egdi_rank"].sel(country=country).astype("float64")
    editions = ds["edition"].values
    with briefing_style():
        fig = _new_figure(3.0)
        ax = fig.add_subplot()
        data = [ranks.sel(edition=e).values for e in editions]
        ax.boxplot(
            data,
            positions=editions,
            widths=0.9,
            whis=(5, 95),
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": colour, "alpha": 0.45, "edgecolor": colour},
            medianprops={"color": colour, "linewidth": 1.6},
            whiskerprops={"color": colour},
            capprops={"color": colour},
        )
        for e, values in zip(editions, data, strict=True):
            ax.annotate(
                t.number(np.median(values), 0),
                (e + 0.5, np.median(values)),
                va="center",
                fontsize=_BASE_FONT - 1,
                color=colour,
            )
        _observed_ranks(ax, ds, country, t)
        lines: dict[int, list[Target]] = {}
        for target in chart_targets("egdi_rank", targets, country=country):
            lines.setdefault(int(target.threshold), []).append(target)
        for n in lines:
            ax.axhline(n, color="#777777", lw=0.7, ls="--", zorder=0)
        # Labelled outside the axes, on the right, so they never cover a box; thresholds a
        # few ranks apart (69 and 70) share one label, or their texts would overlap.
        for group in _close(sorted(lines), RANK_LABEL_GAP):
            text = [
                row
                for n in group
                for row in [t("Top {n}").format(n=n), *(_decision(t, w) for w in lines[n])]
            ]
            ax.annotate(
                "\n".join(text),
                (1.0, float(np.mean(group))),
                xycoords=("axes fraction", "data"),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=_BASE_FONT - 1.5,
                color="#555555",
                annotation_clip=False,
            )
        worst = float(np.nanmax(ranks.quantile(0.95, dim="draw")))
        bottom = max(worst, *lines) + 8 if lines else worst + 8
        ax.set_ylim(bottom, 0)
        ax.set_yticks([1, *range(20, int(bottom), 20)])
        ax.set_xlim(editions.min() - 1, editions.max() + 1.6)
        ax.set_xticks(editions, [str(e) for e in editions])
        ax.set_xlabel(t("UN survey edition"))
        ax.set_ylabel(t("World rank (1 = best)"))
        note = t("box: {box}, whiskers: {whiskers} of draws").format(
            box=t.percent(0.5), whiskers=t.percent(0.9)
        )
        ax.set_title(note, fontsize=_BASE_FONT - 1, fontweight="normal", color="#555555")
        ax.grid(axis="x", visible=False)
        title = t("UN EGDI world rank of {country}").format(country=t.country(country))
        return _finish(fig, title, footnote(ds, lang))


def _probability_heatmap(
    ax,
    values: np.ndarray,
    annot: np.ndarray,
    t: Translator,
    cmap: str,
    columns,
    rows,
    *,
    font: float,
    lw: float,
) -> None:
    """A heatmap of probabilities 0–1 (``(row, column)``), annotated, with a percent colour bar."""
    sns.heatmap(
        values,
        ax=ax,
        cmap=cmap,
        vmin=0,
        vmax=1,
        annot=annot,
        fmt="",
        annot_kws={"fontsize": font},
        linewidths=lw,
        linecolor="white",
        xticklabels=columns,
        yticklabels=rows,
        cbar_kws={"format": _percent_formatter(t), "label": t("Probability")},
    )


def asean_position(ds: xr.Dataset, lang: Lang = "en", targets: TargetSets = None) -> Figure:
    """Probability of each of Viet Nam's ASEAN positions (1..10) by edition, as a heatmap;
    dashed lines mark the ASEAN-position targets of ``targets`` (default: the shipped sets)."""
    t = translator(lang)
    pos = ds["asean_position"]
    editions = ds["edition"].values
    # the members on the last edition's date (eleven from 2026), or more if a scenario lists more
    members = datasets.members("asean", datasets.edition_date(int(editions.max())))
    positions = np.arange(1, max(len(members), int(pos.max())) + 1)
    prob = np.array(
        [[(pos.sel(edition=e) == p).mean().item() for e in editions] for p in positions]
    )
    annot = np.where(prob >= 0.005, np.vectorize(t.percent)(prob), "")
    with briefing_style():
        fig = _new_figure(3.1)
        ax = fig.add_subplot()
        _probability_heatmap(
            ax,
            prob,
            annot,
            t,
            "Blues",
            [str(e) for e in editions],
            [str(p) for p in positions],
            font=_BASE_FONT - 1,
            lw=0.5,
        )
        # South-East Asia is ASEAN's eleven from the 2026 edition on: its targets belong here too
        marked = [*chart_targets("asean_position", targets)]
        marked += chart_targets("southeast_asia_position", targets)
        tops = sorted({int(g.threshold) for g in marked})
        for n in tops:
            ax.axhline(n, color="#e8a33d", lw=1.4, ls="--")
        if tops:
            ax.set_title(
                t("dashed line: target (top {n})").format(
                    n=format_list([str(n) for n in tops], locale=lang)
                ),
                fontsize=_BASE_FONT - 1,
                fontweight="normal",
                color="#9a6410",
            )
        ax.tick_params(axis="y", rotation=0)
        ax.set_xlabel(t("UN survey edition"))
        ax.set_ylabel(t("Position in ASEAN (1 = best)"))
        focus = str(ds.attrs.get("focus_country", "VNM"))
        title = t("{country}'s EGDI position in ASEAN").format(country=t.country(focus))
        return _finish(fig, title, footnote(ds, lang))


def peers_above(ds: xr.Dataset, country: str = "VNM", n: int = 5) -> list[str]:
    """The ``n`` countries ranked just above ``country`` in the first edition, closest first."""
    first = ds["egdi_rank"].isel(edition=0).astype("float64").median("draw")
    own = float(first.sel(country=country))
    above = first.where(first < own, drop=True)
    closest_first = np.argsort(-above.values, kind="stable")
    return [str(c) for c in above["country"].values[closest_first][:n]]


def components(ds: xr.Dataset, lang: Lang = "en", country: str = "VNM", peers: int = 5) -> Figure:
    """OSI, TII and HCI by edition: the country's median and 80 % band against its peers' medians.

    Peers are the ``peers`` countries ranked immediately above ``country`` in the first
    (last observed) edition; they are labelled with their CLDR names in the language.
    """
    t = translator(lang)
    colour = scenario_colour(str(ds.attrs.get("scenario", "")))
    editions = ds["edition"].values
    peer_codes = peers_above(ds, country, peers)
    peer_colours = _PEER_COLOURS
    with briefing_style():
        fig = _new_figure(5.0)
        axes = fig.subplots(3, 1, sharex=True)
        for ax, var in zip(axes, ("osi", "tii", "hci"), strict=True):
            for code, c in zip(peer_codes, peer_colours, strict=False):
                med = ds[var].sel(country=code).astype("float64").median("draw")
                ax.plot(editions, med.values, color=c, lw=0.8, marker="o", ms=2)
            _fan(ax, editions, ds[var].sel(country=country), colour, t, bands=((0.80, 0.3),))
            ax.plot(
                editions, ds[var].sel(country=country).median("draw"), "o", color=colour, ms=2.5
            )
            ax.set_title(t(COMPONENT_LABELS[var]))
            ax.set_ylabel(t("Index (0–1)"))
            ax.yaxis.set_major_locator(MaxNLocator(4))
        axes[-1].set_xticks(editions, [str(e) for e in editions])
        axes[-1].set_xlabel(t("UN survey edition"))
        own = t("{country} (median)").format(country=t.country(country))
        handles = [
            Line2D([], [], color=colour, label=own),
            Patch(color=colour, alpha=0.3, lw=0, label=_band_label(t, 0.8)),
        ] + [
            Line2D([], [], color=c, lw=0.8, marker="o", ms=2, label=t.country(code))
            for code, c in zip(peer_codes, peer_colours, strict=False)
        ]
        note = t.ngettext(
            "peers: the country ranked just above in {edition}",
            "peers: the {n} countries ranked just above in {edition}",
            len(peer_codes),
        ).format(n=len(peer_codes), edition=int(editions[0]))
        _legend_below(axes[-1], handles, ncols=4, title=note)
        title = t("EGDI components: {country} vs peers").format(country=t.country(country))
        return _finish(fig, title, footnote(ds, lang))


def dossier_shares(ds: xr.Dataset, lang: Lang = "en", targets: TargetSets = None) -> Figure:
    """Shares of dossiers processed online (median, 80 % band) with their targets marked.

    Top: work dossiers by government level; bottom: admin-procedure dossiers processed fully
    online. Targets of ``targets`` (default: the shipped sets, e.g. 90/80/60 % and 80 % in 2025)
    are marked at their year. Either panel is left out if its variable is absent.
    """
    t = translator(lang)
    panels = [v for v in ("dossiers_online", "admin_fully_online") if v in ds]
    if not panels:
        raise KeyError("dataset has neither dossiers_online nor admin_fully_online")
    with briefing_style():
        fig = _new_figure(2.0 + 1.5 * len(panels))
        axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0])
        handles: list = []
        readings = None
        for ax, var in zip(axes, panels, strict=True):
            if var == "dossiers_online":
                series = [
                    (str(lv), ds[var].sel(level=lv), _LEVEL_COLOURS.get(str(lv), "#555555"))
                    for lv in ds["level"].values
                ]
                marks = {key: chart_targets(var, targets, level=key) for key, _, _ in series}
                ax.set_title(t("Work dossiers, by level"))
            else:
                series = [("admin_fully_online", ds[var], _ADMIN_COLOUR)]
                marks = {"admin_fully_online": chart_targets(var, targets)}
                ax.set_title(t("Admin-procedure dossiers fully online"))
            for key, da, c in series:
                # a series that ends within the run (the district level, abolished in 2025)
                # is drawn, and its targets marked, only where it has values
                da = da.dropna("year", how="all")
                shown = da["year"].values
                if shown.size:
                    _fan(ax, shown, da, c, t, bands=((0.80, 0.25),))
                label = t(SERIES_LABELS[key]) if key in SERIES_LABELS else key
                handles.append(Line2D([], [], color=c, label=label))
                marks[key] = [g for g in marks[key] if g.year in shown]
                for target in marks[key]:
                    ax.plot(
                        target.year,
                        target.threshold,
                        marker="D",
                        ms=4.5,
                        color=c,
                        mec="white",
                        mew=0.6,
                    )
            for year in sorted({g.year for marked in marks.values() for g in marked}):
                ax.axvline(year, color="#999999", lw=0.6, ls=":", zorder=0)
            readings = _readings(ds, var) if var == "admin_fully_online" else None
            if readings is not None and not readings.empty:
                # the full-year figures the run can be compared with, ± 2 observation sd
                ax.errorbar(
                    readings["period_end"].dt.year.to_numpy(float),
                    readings["value"].to_numpy(float),
                    yerr=2 * readings["sd"].to_numpy(float),
                    fmt="o",
                    ms=4,
                    color="#1d2327",
                    capsize=2,
                    lw=0.9,
                    zorder=5,
                )
                observed = Line2D(
                    [], [], color="#1d2327", marker="o", ls="", ms=4, label=t("observed (± 2 sd)")
                )
            ax.set_ylim(0, 1.02)
            ax.yaxis.set_major_formatter(_percent_formatter(t))
            ax.set_ylabel(t("Share of dossiers"))
        axes[-1].set_xlabel(t("Year"))
        axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
        handles += [
            Patch(color="#777777", alpha=0.25, lw=0, label=_band_label(t, 0.8)),
            Line2D([], [], color="#555555", marker="D", ls="", ms=4, label=t("target")),
        ]
        if readings is not None and not readings.empty:
            handles.append(observed)
        _legend_below(axes[-1], handles, ncols=3)
        return _finish(fig, t("Dossiers processed online"), footnote(ds, lang))


def _readings(ds: xr.Dataset, variable: str) -> pd.DataFrame:
    """Full-year observations of a yearly variable in the run's years, of the run's vintage."""
    as_of = str(ds.attrs.get("as_of", "all data"))
    obs = datasets.full_year(
        datasets.load_observations(None if as_of == "all data" else int(as_of))
    )
    picked = obs[obs["series"] == variable]
    return picked[picked["period_end"].dt.year.isin(ds["year"].values)]


def scorecard_heatmap(scorecard: pd.DataFrame, lang: Lang = "en") -> Figure:
    """Heatmap of P(target met), targets × scenarios, share 0–1 shown as percent.

    ``scorecard`` has columns ``scenario, target, description, probability`` (optionally
    ``description_vi`` for Vietnamese row labels). Provenance comes from ``scorecard.attrs``.
    """
    t = translator(lang)
    desc_col = "description_vi" if lang == "vi" and "description_vi" in scorecard else "description"
    targets = list(dict.fromkeys(scorecard["target"]))
    scenarios = list(dict.fromkeys(scorecard["scenario"]))
    table = scorecard.pivot_table(index="target", columns="scenario", values="probability")
    table = table.reindex(index=targets, columns=scenarios)
    if desc_col in scorecard:
        desc = scorecard.drop_duplicates("target").set_index("target")[desc_col].reindex(targets)
        rows = [
            d if isinstance(d, str) and d else k for k, d in zip(targets, desc.values, strict=True)
        ]
    else:
        rows = targets
    rows = ["\n".join(textwrap.wrap(r, 36)) for r in rows]
    # Each row is as tall as its wrapped label (6 pt text, 0.12 in a line) plus padding.
    row_heights = [max(0.3, 0.12 * (r.count("\n") + 1) + 0.12) for r in rows]
    values = table.to_numpy(dtype=float)
    annot = np.vectorize(lambda v: "" if np.isnan(v) else t.percent(v))(values)
    with briefing_style():
        # Title, rotated scenario names and footnote take about 1.8 in.
        fig = _new_figure(1.8 + sum(row_heights))
        ax = fig.add_subplot()
        _probability_heatmap(
            ax, values, annot, t, "RdYlGn", scenarios, rows, font=_BASE_FONT - 0.5, lw=0.6
        )
        ax.tick_params(axis="y", rotation=0, labelsize=_BASE_FONT - 1)
        ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
        ax.set_xticks(ax.get_xticks(), scenarios, rotation=35, ha="left", rotation_mode="anchor")
        ax.xaxis.set_label_position("top")
        ax.set_xlabel(t("Scenario"))
        ax.set_ylabel("")
        title = t("Probability of meeting each target")
        return _finish(fig, title, _footnote_table(scorecard.attrs, t))


def scenario_comparison(
    datasets: Mapping[str, xr.Dataset],
    variable: str,
    lang: Lang = "en",
    country: str = "VNM",
    level: str = "ministry_province",
) -> Figure:
    """Median and 80 % band of one variable for several scenarios, by year or by edition.

    ``country`` and ``level`` select along those dimensions when the variable has them. Rank
    variables are drawn with rank 1 at the top; shares as percent.
    """
    t = translator(lang)
    if not datasets:
        raise ValueError("no datasets to compare")
    taken: list[str] = []
    with briefing_style():
        fig = _new_figure(3.0)
        ax = fig.add_subplot()
        handles = []
        for name, ds in datasets.items():
            da = ds[variable]
            if "country" in da.dims:
                da = da.sel(country=country)
            if "level" in da.dims:
                da = da.sel(level=level)
            xdim = "year" if "year" in da.dims else "edition"
            colour = scenario_colour(name, taken)
            taken.append(colour)
            _fan(ax, da[xdim].values, da, colour, t, bands=((0.80, 0.22),))
            handles.append(Line2D([], [], color=colour, label=name))
        handles.append(Patch(color="#777777", alpha=0.22, lw=0, label=_band_label(t, 0.8)))
        ax.set_xlabel(t("Year") if xdim == "year" else t("UN survey edition"))
        name, unit = _variable_label(variable, t)
        where = [t.country(country)] if "country" in ds[variable].dims else []
        if "level" in ds[variable].dims:
            where.append(t(SERIES_LABELS[level]) if level in SERIES_LABELS else level)
        ylabel = f"{name} ({unit})" if unit else name
        ax.set_ylabel("\n".join(_wrap(ylabel, _BASE_FONT, 0.75 * 72 * fig.get_figheight())))
        if xdim == "edition":
            ax.set_xticks(da[xdim].values, [str(e) for e in da[xdim].values])
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if variable in _SHARE_VARIABLES:
            ax.yaxis.set_major_formatter(_percent_formatter(t))
        elif variable in _RANK_VARIABLES:
            ax.invert_yaxis()
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            ax.yaxis.set_major_formatter(
                FuncFormatter(lambda v, _p: t.number(v, 2 if v < 10 else 0))
            )
        ax.set_title(
            "; ".join(
                [*where, t("lines: median; bands: {share} interval").format(share=t.percent(0.8))]
            ),
            fontsize=_BASE_FONT - 1,
            fontweight="normal",
            color="#555555",
        )
        _legend_below(ax, handles, ncols=min(4, len(handles)))
        title = t("{variable}: scenarios compared").format(variable=name)
        return _finish(fig, title, _footnote_runs(datasets, t))


def sensitivity_bars(indices: pd.DataFrame, lang: Lang = "en", output: str | None = None) -> Figure:
    """Sobol first-order (S1) and total (ST) indices with 95 % confidence intervals, per input.

    ``indices`` has columns ``input, S1, S1_conf, ST, ST_conf`` and optionally ``output``; with
    several outputs, ``output`` picks one (default: the first). Inputs are sorted by ST.
    """
    t = translator(lang)
    keys = {"S1": t("First order S1"), "ST": t("Total ST")}
    table = indices
    if "output" in indices:
        output = output if output is not None else str(indices["output"].iloc[0])
        table = indices[indices["output"] == output]
        if table.empty:
            raise ValueError(f"no sensitivity indices for output {output!r}")
    table = table.sort_values("ST", ascending=True)
    y = np.arange(len(table))
    palette = sns.color_palette("colorblind", 2).as_hex()
    with briefing_style():
        fig = _new_figure(1.5 + 0.3 * len(table))
        ax = fig.add_subplot()
        for offset, key, c in ((0.19, "ST", palette[0]), (-0.19, "S1", palette[1])):
            ax.barh(
                y + offset,
                table[key],
                height=0.36,
                xerr=table[f"{key}_conf"],
                color=c,
                error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "#333333"},
                label=keys[key],
            )
        ax.set_yticks(y, list(table["input"]))
        ax.axvline(0, color="#333333", lw=0.6)
        ax.set_xlabel(t("Sobol index (share of variance)"))
        ax.set_ylabel(t("Uncertain input"))
        ax.grid(axis="y", visible=False)
        handles, _ = ax.get_legend_handles_labels()
        _legend_below(ax, handles[::-1], ncols=2)
        # Outputs are named "<variable> <selection> [unit]"; show the variable's own label.
        variable, _, rest = (output or "market_size").partition(" ")
        name = _variable_label(variable, t)[0]
        title = t("Sobol sensitivity: {output}").format(output=f"{name} {rest}".strip())
        return _finish(fig, title, _footnote_table(indices.attrs, t))


#: Pooled backtest scores drawn by :func:`plot_backtest`, one panel each (world rank, and the
#: CRPS of the EGDI value).
BACKTEST_METRICS = ("rank_crps", "rank_mae", "rank_cov80", "rank_cov95", "value_crps")
#: Nominal coverage of the coverage panels (the dashed line).
_NOMINAL = {"rank_cov80": 0.8, "rank_cov95": 0.95}


class _NumberFormatter(Formatter):
    """Tick labels in the language, with as many decimals as the tick spacing needs."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        self.digits = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        step = float(np.min(np.diff(locs))) if len(locs) > 1 else 1.0
        # spacing 0.02 needs 2 decimals, 0.5 one, 2 none (the spacing's own last digit)
        self.digits = max(0, -int(np.floor(np.log10(step) + 1e-9))) if step > 0 else 0

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.t.number(x, self.digits)


def plot_backtest(result: BacktestResult, lang: Lang = "en") -> Figure:
    """Bar charts of the pooled backtest scores by method and horizon, one panel per score.

    ``result`` is a :class:`vnsim.analysis.backtest.BacktestResult`. Laid out at A4 width
    (180 mm), two panels a row; the dashed lines on the coverage panels mark the nominal 80 %
    and 95 %.
    """
    t = translator(lang)
    pooled = result.pooled()
    with briefing_style():
        fig = _new_figure(5.4, width=2 * HALF_WIDTH)
        mosaic = fig.subplot_mosaic([[0, 1], [2, 3], [4, "."]])
        axes = [mosaic[i] for i in range(len(BACKTEST_METRICS))]
        _draw_scores(axes, pooled, t)
        handles, labels = axes[0].get_legend_handles_labels()
        # In the empty sixth cell: below panel 4, level with panel 5. A figure legend, so the
        # layout does not widen the left column to make room for it.
        cell = blended_transform_factory(axes[3].transAxes, axes[4].transAxes)
        fig.legend(handles, labels, loc="center", bbox_to_anchor=(0.5, 0.5), bbox_transform=cell)
        title = t("EGDI world rank hindcasts, pooled over origins")
        return _finish(fig, title, _footnote_backtest(result, t))


def _footnote_backtest(result: BacktestResult, t: Translator) -> str:
    origins = result.origins or tuple(sorted(int(o) for o in result.scores["origin"].unique()))
    sentence = t.ngettext(
        "Source: vnsim {version} rolling-origin backtest from the UN E-Government Surveys "
        "of {origins}, {draws} draw, seed {seed}.",
        "Source: vnsim {version} rolling-origin backtest from the UN E-Government Surveys "
        "of {origins}, {draws} draws, seed {seed}.",
        result.draws,
    )
    return sentence.format(
        version=__version__,
        origins=format_list([str(o) for o in origins], locale=t.lang),
        draws=t.number(result.draws, 0),
        seed=result.seed,
    )


def _draw_scores(axes: Sequence, pooled: pd.DataFrame, t: Translator) -> None:
    """One grouped bar panel per metric: methods side by side, horizons along x."""
    methods = list(pooled.index.get_level_values(0).unique())
    horizons = sorted(pooled.index.get_level_values(1).unique())
    width = 0.8 / len(methods)
    palette = sns.color_palette("colorblind", len(methods)).as_hex()
    for ax, metric in zip(axes, BACKTEST_METRICS, strict=True):
        for j, m in enumerate(methods):
            vals = [
                pooled.loc[(m, h), metric] if (m, h) in pooled.index else np.nan for h in horizons
            ]
            label = t(METHOD_LABELS[m]) if m in METHOD_LABELS else m
            x = np.arange(len(horizons)) + j * width
            ax.bar(x, vals, width, label=label, color=palette[j])
        if metric in _NOMINAL:
            ax.axhline(_NOMINAL[metric], color="#333333", lw=0.8, ls="--")
            ax.set_ylim(0, 1)
            ax.yaxis.set_major_formatter(_percent_formatter(t))
        else:
            ax.yaxis.set_major_formatter(_NumberFormatter(t))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.set_xticks(
            np.arange(len(horizons)) + width * (len(methods) - 1) / 2, [str(h) for h in horizons]
        )
        ax.set_xlabel(t("Editions ahead"))
        ax.grid(axis="x", visible=False)
        title = t(SCORE_LABELS[metric]).format(share=t.percent(_NOMINAL.get(metric, 0.8)))
        ax.set_title("\n".join(_wrap(title, _BASE_FONT, 0.42 * 72 * 2 * HALF_WIDTH, "bold")))


def save(
    fig: Figure,
    path_stem: str | Path,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 200,
) -> list[Path]:
    """Write ``fig`` to ``<path_stem>.<format>`` for each format; return the paths written.

    Metadata dates are left out and the layout is fixed at the first save, so the same chart
    gives byte-stable SVG/PDF files.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    no_date = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}
    with briefing_style():
        # Lay the figure out once and keep that layout (the figure's layout engine is switched
        # off): constrained layout is not idempotent — ticks chosen for one axes width change
        # the margins of the next pass — so every save would move things a fraction of a point
        # and change SVG clip ids. All formats, and later saves, share this one layout.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            fig.savefig(path, format=fmt, dpi=dpi, metadata=no_date.get(fmt), facecolor="white")
            paths.append(path)
    return paths


#: Single-run charts and the variables each needs.
_RUN_CHARTS = {
    "market_fan": (market_fan, ("market_size",)),
    "rank_distribution": (rank_distribution, ("egdi_rank",)),
    "asean_position": (asean_position, ("asean_position",)),
    "components": (components, ("osi", "tii", "hci", "egdi_rank")),
    "dossier_shares": (dossier_shares, ("dossiers_online", "admin_fully_online")),
}


def render_all(
    ds: xr.Dataset,
    outdir: str | Path,
    lang: Lang = "en",
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 200,
) -> list[Path]:
    """Write every single-run chart whose variables are in ``ds`` to ``outdir/<chart>_<lang>.*``."""
    outdir = Path(outdir)
    paths: list[Path] = []
    for name, (chart, needs) in _RUN_CHARTS.items():
        present = [v for v in needs if v in ds]
        # dossier_shares draws whichever of its two variables exist; the others need all.
        if not present or (name != "dossier_shares" and len(present) < len(needs)):
            continue
        fig = chart(ds, lang)
        paths += save(fig, outdir / f"{name}_{lang}", formats, dpi)
    return paths
