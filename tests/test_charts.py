"""Tests of the briefing charts: rendering, languages, provenance, data shown, and images.

Image comparisons run only with ``pytest --mpl`` (pytest-mpl); baselines live in
``tests/baseline_images`` and are regenerated with
``pytest tests/test_charts.py --mpl-generate-path=tests/baseline_images``.
"""

from __future__ import annotations

import io
import re
import warnings
import xml.etree.ElementTree as ET

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from babel.numbers import parse_decimal
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from synthetic import synthetic_run, synthetic_scorecard, synthetic_sensitivity
from vnsim.analysis import backtest
from vnsim.analysis.backtest import BacktestResult
from vnsim.present import charts
from vnsim.present.i18n import translator

LANGS = ("en", "vi")
VIETNAMESE_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


@pytest.fixture(scope="module")
def runs():
    return {s: synthetic_run(s) for s in ("baseline", "accelerated", "stalled")}


@pytest.fixture(scope="module")
def ds(runs):
    return runs["baseline"]


def synthetic_backtest(seed: int = 7) -> BacktestResult:
    """Per-country backtest scores of plausible size for every method, quantity, origin and
    horizon, summarised as the backtest does."""
    rng = np.random.default_rng(seed)
    n = 30
    frames = [
        pd.DataFrame(
            {
                "method": method,
                "quantity": quantity,
                "origin": origin,
                "target": origin + 2 * h,
                "horizon": h,
                "country": [f"C{i:02d}" for i in range(n)],
                "third": np.repeat(backtest.THIRDS, n // 3),
                "crps": scale * rng.uniform(0.3, 1, n),
                "abs_error": scale * rng.uniform(0.3, 1.4, n),
                "cov80": (rng.random(n) < 0.8).astype(float),
                "cov95": (rng.random(n) < 0.95).astype(float),
                "pit": rng.random(n),
            }
        )
        for method in backtest.METHODS
        for quantity, scale in (("rank", 10.0), ("value", 0.05))
        for origin in (2016, 2018, 2020)
        for h in (1, 2)
    ]
    scores = pd.concat(frames, ignore_index=True)
    return BacktestResult(
        scores, backtest.summarise(scores), draws=60, seed=seed, origins=(2016, 2018, 2020)
    )


@pytest.fixture(scope="module")
def inputs(runs):
    """What the chart builders draw from: the runs and the tables derived from them."""
    return {
        "runs": runs,
        "scorecard": synthetic_scorecard(runs),
        "sensitivity": synthetic_sensitivity(),
        "backtest": synthetic_backtest(),
    }


# name -> (builder(inputs, lang), a Vietnamese phrase the chart must show)
CHARTS = {
    "market_fan": (lambda i, lang: charts.market_fan(i["runs"]["baseline"], lang), "Thị trường"),
    "rank_distribution": (
        lambda i, lang: charts.rank_distribution(i["runs"]["baseline"], lang),
        "Thứ hạng",
    ),
    "asean_position": (
        lambda i, lang: charts.asean_position(i["runs"]["baseline"], lang),
        "Vị trí",
    ),
    "components": (
        lambda i, lang: charts.components(i["runs"]["baseline"], lang),
        "Chỉ số thành phần",
    ),
    "dossier_shares": (lambda i, lang: charts.dossier_shares(i["runs"]["baseline"], lang), "Hồ sơ"),
    "scorecard_heatmap": (
        lambda i, lang: charts.scorecard_heatmap(i["scorecard"], lang),
        "Xác suất",
    ),
    "scenario_comparison_market": (
        lambda i, lang: charts.scenario_comparison(i["runs"], "market_size", lang),
        "kịch bản",
    ),
    "scenario_comparison_rank": (
        lambda i, lang: charts.scenario_comparison(i["runs"], "egdi_rank", lang),
        "Thứ hạng",
    ),
    "sensitivity_bars": (
        lambda i, lang: charts.sensitivity_bars(i["sensitivity"], lang),
        "Độ nhạy",
    ),
    "backtest": (lambda i, lang: charts.plot_backtest(i["backtest"], lang), "Dự báo ngược"),
}
CASES = [(name, lang) for name in CHARTS for lang in LANGS]
IDS = [f"{name}-{lang}" for name, lang in CASES]


def _texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_chart_saves_png_svg_pdf(inputs, tmp_path, name, lang):
    fig = CHARTS[name][0](inputs, lang)
    paths = charts.save(fig, tmp_path / name, dpi=60)
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[2].read_bytes()[:5] == b"%PDF-"
    assert ET.parse(paths[1]).getroot().tag.endswith("svg")


@pytest.mark.parametrize("name", list(CHARTS))
def test_vietnamese_labels_render_without_missing_glyphs(inputs, name):
    build, phrase = CHARTS[name]
    fig = build(inputs, "vi")
    vi, en = _texts(fig), _texts(build(inputs, "en"))
    assert phrase in vi
    assert phrase not in en
    assert VIETNAMESE_LETTERS & set(vi.lower())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=60)
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_missing_glyph_check_can_fail():
    # A CJK character is not in DejaVu Sans: the check above would see this warning.
    fig = Figure()
    fig.text(0.5, 0.5, "漢")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=30)
    assert any("missing from font" in str(w.message) for w in caught)


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_charts_show_country_names_never_codes(inputs, name, lang):
    fig = CHARTS[name][0](inputs, lang)
    words = set(re.findall(r"[A-Z]{3}", _texts(fig)))
    codes = set(inputs["runs"]["baseline"]["country"].values)
    assert words & codes == set()


def _drawn_texts(fig: Figure) -> list[Text]:
    """Every non-empty visible text the figure draws (tick labels only for ticks in view)."""
    ticks, shown = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                ticks |= {id(tick.label1), id(tick.label2)}
                if lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    shown += [x for x in (tick.label1, tick.label2) if x.get_visible()]
    shown += [x for x in fig.findobj(Text) if id(x) not in ticks and x.get_visible()]
    return [x for x in shown if x.get_text().strip()]


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_labels_and_legends_stay_inside_the_figure(inputs, name, lang):
    fig = CHARTS[name][0](inputs, lang)
    FigureCanvasAgg(fig)
    fig.set_dpi(100)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox.padded(1)  # one pixel of antialiasing
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    outside = [
        getattr(a, "get_text", lambda: "legend")()
        for a in [*_drawn_texts(fig), *legends]
        if not inside.contains(*a.get_window_extent(renderer).p0)
        or not inside.contains(*a.get_window_extent(renderer).p1)
    ]
    assert outside == []


@pytest.mark.parametrize("ncols", [1, 2, 3, 4])
def test_legend_width_estimate_matches_matplotlib(ncols):
    labels = ["Saint Vincent & Grenadines", "Chile", "Bosnia & Herzegovina", "Lào", "Việt Nam"]
    with charts.briefing_style():
        fig = Figure(figsize=(12, 2))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        handles = [Line2D([], [], label=x) for x in labels]
        legend = ax.legend(handles=handles, ncols=ncols, columnspacing=1.2, handlelength=1.6)
        fig.canvas.draw()
        drawn = legend.get_window_extent(fig.canvas.get_renderer()).width * 72 / fig.dpi
        size = mpl.rcParams["legend.fontsize"]
        estimate = charts._legend_width(labels, ncols, size)
    assert estimate == pytest.approx(drawn, rel=0.05)


def test_long_names_get_fewer_legend_columns():
    short, long = ["Chile", "Peru", "Cuba", "Mali"], ["Bosnia & Herzegovina"] * 4
    width = 0.88 * 72 * charts.HALF_WIDTH
    assert charts._columns_that_fit(short, 4, width, 6.5) == 4
    fewer = charts._columns_that_fit(long, 4, width, 6.5)
    assert 1 <= fewer < 4
    assert charts._legend_width(long, fewer, 6.5) <= width < charts._legend_width(long, 4, 6.5)


def test_peers_are_named_in_the_language(ds):
    peers = charts.peers_above(ds, "VNM", 5)
    for lang in LANGS:
        t = translator(lang)
        legend = [
            x.get_text() for x in charts.components(ds, lang).axes[-1].get_legend().get_texts()
        ]
        assert legend[2:] == [t.country(c) for c in peers]
        assert legend[0].startswith(t.country("VNM"))


def test_labels_come_from_the_catalogue(ds):
    t = translator("vi")
    texts = _texts(charts.dossier_shares(ds, "vi"))
    for msgid in [*charts.SERIES_LABELS.values(), "Dossiers processed online", "Year"]:
        assert t(msgid) in texts
        assert t(msgid) != msgid


def test_unknown_language_is_an_error(ds):
    with pytest.raises(ValueError, match="no translations for 'fr'"):
        charts.market_fan(ds, "fr")


@pytest.mark.parametrize("lang", LANGS)
def test_footnote_carries_provenance(ds, lang):
    text = _texts(charts.market_fan(ds, lang))
    for value in ("vnsim 0.1.0", "baseline", str(ds.attrs["seed"]), "2003–2022", "3f9a1c27"):
        assert value in text
    assert f"{ds.attrs['draws']} " in text


def test_charts_leave_global_style_unchanged(inputs):
    before = dict(mpl.rcParams)
    for build, _ in CHARTS.values():
        build(inputs, "vi")
    after = dict(mpl.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


def test_fan_median_is_median_of_draws(ds):
    fig = charts.market_fan(ds, "en")
    ax = fig.axes[0]
    median_line = next(ln for ln in ax.get_lines() if len(ln.get_xdata()) == ds.sizes["year"])
    np.testing.assert_allclose(median_line.get_ydata(), ds["market_size"].median("draw").values)


def test_dossier_chart_stops_the_district_line_at_abolition(ds):
    ax = charts.dossier_shares(ds, "en").axes[0]
    colour = mpl.colors.to_rgba(charts._LEVEL_COLOURS["district"])
    district = [ln for ln in ax.get_lines() if mpl.colors.to_rgba(ln.get_color()) == colour]
    median = next(ln for ln in district if ln.get_linestyle() == "-")
    assert list(median.get_xdata()) == [2022, 2023, 2024, 2025]
    np.testing.assert_allclose(
        median.get_ydata(),
        ds.dossiers_online.sel(level="district", year=slice(None, 2025)).median("draw").values,
    )
    # its 2025 target (80 %, in two shipped sets) is marked; its 2030 one (90 %) is not
    marks = [ln for ln in district if ln.get_marker() == "D"]
    assert {(float(m.get_xdata()[0]), float(m.get_ydata()[0])) for m in marks} == {(2025, 0.8)}


def test_rank_axis_is_inverted_and_shows_targets(ds):
    ax = charts.rank_distribution(ds, "en").axes[0]
    bottom, top = ax.get_ylim()
    assert bottom > top
    assert top <= 1 and bottom >= 70
    target_lines = {ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--"}
    assert target_lines == {30, 50, 69, 70}  # 2030 (942, 57), 2026 (Res. 02), 2025 (749)


def test_simulated_editions_observed_since_are_marked(ds):
    """The synthetic run starts at 2022, so the 2024 edition it simulates has been published."""
    assert int(ds.edition[0]) == 2022 and 2024 in ds.edition
    ax = charts.rank_distribution(ds, "en").axes[0]
    crosses = [c for c in ax.collections if c.get_label() == "observed since"]
    assert len(crosses) == 1
    np.testing.assert_array_equal(crosses[0].get_offsets(), [[2024, 71]])
    later = ds.sel(edition=ds.edition[ds.edition >= 2024])  # a run starting at 2024
    ax = charts.rank_distribution(later, "en").axes[0]
    assert not [c for c in ax.collections if c.get_label() == "observed since"]


def test_the_dossier_chart_shows_the_readings_of_the_run_vintage(ds):
    ax = charts.dossier_shares(ds, "en").axes[-1]
    (points,) = [line for line in ax.get_lines() if line.get_marker() == "o"]
    np.testing.assert_allclose(np.c_[points.get_xdata(), points.get_ydata()], [[2024, 0.458]])
    as_2022 = ds.assign_attrs(as_of="2022")  # the full-year 2024 figure came out in 2025
    ax = charts.dossier_shares(as_2022, "en").axes[-1]
    assert not [line for line in ax.get_lines() if line.get_marker() == "o"]


def test_asean_probabilities_sum_to_one_per_edition(ds):
    ax = charts.asean_position(ds, "en").axes[0]
    # one row per position among the eleven members ASEAN has had since October 2025
    grid = np.asarray(ax.collections[0].get_array()).reshape(11, ds.sizes["edition"])
    np.testing.assert_allclose(grid.sum(axis=0), 1.0)
    first = ds["asean_position"].isel(edition=0).values
    assert grid[first[0] - 1, 0] == pytest.approx(np.mean(first == first[0]))


def test_peers_are_the_countries_just_above(ds):
    peers = charts.peers_above(ds, "VNM", 5)
    ranks = ds["egdi_rank"].isel(edition=0, draw=0)
    own = int(ranks.sel(country="VNM"))
    peer_ranks = [int(ranks.sel(country=c)) for c in peers]
    assert peer_ranks == sorted(peer_ranks, reverse=True)
    assert all(r < own for r in peer_ranks)
    others_between = [
        c
        for c in ds["country"].values
        if c not in peers and min(peer_ranks) < ranks.sel(country=c) < own
    ]
    assert others_between == []


def test_scenario_colours_are_fixed_and_distinct():
    assert charts.scenario_colour("baseline") == charts.SCENARIO_COLOURS["baseline"]
    assert charts.scenario_colour("my variant") == charts.scenario_colour("my variant")
    taken: list[str] = []
    for name in ("a", "b", "c", "d"):
        taken.append(charts.scenario_colour(name, taken))
    assert len(set(taken)) == 4


def test_scenario_comparison_uses_scenario_colours(runs):
    ax = charts.scenario_comparison(runs, "market_size", "en").axes[0]
    colours = {mpl.colors.to_hex(ln.get_color()) for ln in ax.get_lines()}
    assert {charts.SCENARIO_COLOURS[s] for s in runs} <= colours


def test_sensitivity_picks_output_and_rejects_unknown():
    indices = synthetic_sensitivity()
    fig = charts.sensitivity_bars(indices, "en", output="market_size")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == indices.sort_values("ST")["input"].iloc[-1]
    with pytest.raises(ValueError, match="no sensitivity"):
        charts.sensitivity_bars(indices, "en", output="egdi")


def test_backtest_bars_are_the_pooled_scores(inputs):
    result = inputs["backtest"]
    pooled = result.pooled()
    fig = charts.plot_backtest(result, "vi")
    t = translator("vi")
    axes = fig.axes[: len(charts.BACKTEST_METRICS)]
    for ax, metric in zip(axes, charts.BACKTEST_METRICS, strict=True):
        heights = [bar.get_height() for bar in ax.patches]
        # bars go method by method, horizons in order within each method
        np.testing.assert_allclose(heights, pooled[metric].to_numpy())
        share = t.percent(0.95 if metric == "rank_cov95" else 0.8)
        assert ax.get_title("left") == t(charts.SCORE_LABELS[metric]).format(share=share)
    legend = [x.get_text() for x in fig.legends[0].get_texts()]
    assert legend == [t(charts.METHOD_LABELS[m]) for m in backtest.METHODS]
    for metric, nominal in (("rank_cov80", 0.8), ("rank_cov95", 0.95)):
        coverage = axes[charts.BACKTEST_METRICS.index(metric)]
        assert [ln.get_ydata()[0] for ln in coverage.get_lines()] == [nominal]


def test_render_all_writes_every_applicable_chart(ds, tmp_path):
    paths = charts.render_all(ds, tmp_path, "vi", formats=("svg",))
    stems = {p.stem for p in paths}
    assert stems == {
        f"{n}_vi"
        for n in (
            "market_fan",
            "rank_distribution",
            "asean_position",
            "components",
            "dossier_shares",
        )
    }
    assert len(paths) == 5 and all(p.suffix == ".svg" for p in paths)


def test_render_all_skips_charts_without_their_variables(ds, tmp_path):
    partial = ds.drop_vars(["market_size", "asean_position", "dossiers_online"])
    stems = {p.stem for p in charts.render_all(partial, tmp_path, "en", formats=("png",), dpi=50)}
    assert stems == {"rank_distribution_en", "components_en", "dossier_shares_en"}


def test_saved_vector_files_are_byte_stable(ds, tmp_path):
    fig = charts.dossier_shares(ds, "en")
    first = charts.save(fig, tmp_path / "a", formats=("svg", "pdf"))
    second = charts.save(fig, tmp_path / "b", formats=("svg", "pdf"))
    for p, q in zip(first, second, strict=True):
        assert p.read_bytes() == q.read_bytes()


@settings(max_examples=8, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=6))
def test_scorecard_cells_show_the_probabilities(probs):
    frame = pd.DataFrame(
        {
            "scenario": ["s1"] * len(probs),
            "target": [f"t{i}" for i in range(len(probs))],
            "description": [f"target {i}" for i in range(len(probs))],
            "probability": probs,
        }
    )
    fig = charts.scorecard_heatmap(frame, "vi")
    cells = [t.get_text() for t in fig.axes[0].texts]
    # each cell reads back as its probability, rounded to a whole percent
    shown = [float(parse_decimal(c.rstrip("%"), locale="vi")) for c in cells]
    assert len(shown) == len(probs)
    for value, p in zip(shown, probs, strict=True):
        assert abs(value - 100 * p) <= 0.5 + 1e-9
        assert value == int(value)


MPL = {
    "baseline_dir": "baseline_images",
    "tolerance": 3,
    "style": "default",
    "savefig_kwargs": {"dpi": 100, "facecolor": "white"},
}


@pytest.mark.mpl_image_compare(**MPL)
@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_chart_image(inputs, name, lang, request):
    config = request.config
    if not (config.getoption("--mpl") or config.getoption("--mpl-generate-path")):
        pytest.skip("image comparison needs pytest --mpl")
    return CHARTS[name][0](inputs, lang)
