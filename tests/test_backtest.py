"""Tests of the rolling-origin backtest: scores, no look-ahead, files anyone can re-score,
reproducibility (vnsim.analysis.backtest and the ``vnsim backtest`` command)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scoringrules
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from vnsim import datasets
from vnsim.analysis import backtest
from vnsim.cli import backtest as command
from vnsim.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
ORIGINS = (2016, 2020)
DRAWS, SEED = 40, 3


@pytest.fixture(scope="module")
def surveys() -> pd.DataFrame:
    return datasets.load_surveys()


@pytest.fixture(scope="module")
def result(surveys) -> backtest.BacktestResult:
    return backtest.run_backtest(surveys, ORIGINS, draws=DRAWS, seed=SEED)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """One real ``vnsim backtest --out`` run, with the docs and a README copy rewritten."""
    out = tmp_path_factory.mktemp("backtest")
    readme = out / "README.md"
    readme.write_text(
        f"# title\n\n{command.README_BEGIN}\nSTALE NUMBERS\n{command.README_END}\n\nafter\n"
    )
    argv = ["backtest", "--origins", *map(str, ORIGINS), "--draws", str(DRAWS)]
    argv += ["--seed", str(SEED), "--out", str(out / "run"), "--docs", str(out / "docs.md")]
    assert main([*argv, "--readme", str(readme)]) == 0
    return out


# --- scores on known cases ----------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(1, 12), st.integers(1, 4)), elements=st.integers(1, 50)),
    st.integers(1, 50),
)
def test_scoringrules_crps_is_the_fair_crps_of_the_textbook(x, y):
    """Fair CRPS (Ferro 2014): mean |X - y| - sum |Xi - Xj| / (2 m (m - 1)); m = 1: |X - y|."""
    obs = np.full(x.shape[1], y)
    m = x.shape[0]
    brute = np.abs(x - obs).mean(0)
    if m > 1:
        brute = brute - np.abs(x[:, None, :] - x[None, :, :]).sum((0, 1)) / (2 * m * (m - 1))
        direct = scoringrules.crps_ensemble(
            obs.astype(float), x.astype(float), m_axis=0, estimator="pwm"
        )
        np.testing.assert_allclose(direct, brute, atol=1e-9)
    np.testing.assert_allclose(backtest.crps(x, obs), brute, atol=1e-9)


def test_a_point_forecast_has_zero_width_and_its_crps_is_its_absolute_error(result):
    x = np.array([[3.0, 5.0, 7.0]])
    s = backtest.score_forecast(x, np.array([3.0, 6.0, 9.0]), np.full(3, 0.5))
    np.testing.assert_array_equal(s["crps"], [0, 1, 2])
    np.testing.assert_array_equal(s["crps"], s["abs_error"])
    np.testing.assert_array_equal(s["cov80"], [1, 0, 0])  # only an exact hit is inside
    np.testing.assert_array_equal(s["pit"], [0.5, 1, 1])
    per = result.scores[result.scores["method"] == "persistence"]
    np.testing.assert_allclose(per["crps"], per["abs_error"])
    hit = (per["abs_error"] == 0).astype(float)
    np.testing.assert_array_equal(per["cov80"], hit)
    np.testing.assert_array_equal(per["cov95"], hit)


@pytest.mark.parametrize("integer", [False, True], ids=["values", "integer ranks"])
def test_a_calibrated_ensemble_has_a_flat_pit_and_nominal_coverage(integer):
    rng = np.random.default_rng(0)
    n, m = 6000, 200
    centre = rng.normal(0, 3, n)  # every column its own forecast distribution
    members = centre + rng.normal(0, 2, (m, n))
    obs = centre + rng.normal(0, 2, n)
    if integer:
        members, obs = np.round(members), np.round(obs)
    s = backtest.score_forecast(members, obs, rng.random(n))
    hist = np.histogram(s["pit"], bins=10, range=(0, 1))[0] / n
    np.testing.assert_allclose(hist, 0.1, atol=0.015)
    # an interval of integers holds a little more than its nominal share
    assert 0.78 <= s["cov80"].mean() <= (0.88 if integer else 0.82)
    assert 0.935 <= s["cov95"].mean() <= (0.975 if integer else 0.965)
    # an ensemble too narrow by half shows a U-shaped PIT and under-covers
    narrow = backtest.score_forecast(centre + rng.normal(0, 1, (m, n)), obs, rng.random(n))
    assert narrow["cov80"].mean() < 0.6
    hist = np.histogram(narrow["pit"], bins=10, range=(0, 1))[0] / n
    assert hist[0] > 0.15 and hist[-1] > 0.15 and hist[4:6].max() < 0.08


def test_thirds_split_the_table_evenly_by_origin_rank(result):
    labels = backtest.thirds(np.arange(1, 194))
    counts = pd.Series(labels).value_counts()
    assert counts.max() - counts.min() <= 1
    assert list(labels[:3]) == ["top"] * 3 and labels[-1] == "bottom"
    s = result.scores
    for _, rows in s.groupby(["method", "quantity", "origin", "target"]):
        counts = rows["third"].value_counts()
        assert set(counts.index) == set(backtest.THIRDS) and counts.max() - counts.min() <= 1
    # the cut is on the origin rank: the top third are the countries ranked best at the origin
    ds = result.forecasts[2016]
    rank = pd.Series(ds["origin_egdi_rank"].values, index=ds["country"].values)
    rows = s[(s["method"] == "model") & (s["origin"] == 2016) & (s["horizon"] == 1)]
    top = rows.loc[rows["third"] == "top", "country"]
    assert rank.loc[top].max() < rank.drop(top).min()


def test_summary_pools_over_origins_per_origin_and_per_third(result):
    s = result.summary
    assert set(s["group"]) == {"pooled", "origin", "third"}
    assert set(s["method"]) == set(backtest.METHODS) and set(s["quantity"]) == {"rank", "value"}
    pit = s[[f"pit_{k}" for k in range(10)]].sum(axis=1)
    np.testing.assert_allclose(pit, 1.0)
    pooled = s[(s["group"] == "pooled") & (s["horizon"] == 1)]
    assert (pooled["n"] == 193 * len(ORIGINS)).all()
    origin = s[s["group"] == "origin"]
    assert set(zip(origin["origin"], origin["horizon"], origin["target"], strict=True)) == {
        (2016, 1, 2018),
        (2016, 2, 2020),
        (2020, 1, 2022),
        (2020, 2, 2024),
    }
    rows = result.scores[
        (result.scores["method"] == "model") & (result.scores["quantity"] == "rank")
    ]
    first = pooled[(pooled["method"] == "model") & (pooled["quantity"] == "rank")].iloc[0]
    h1 = rows[rows["horizon"] == 1]
    assert first["crps"] == pytest.approx(h1["crps"].mean())
    assert first["median_ae"] == pytest.approx(h1["abs_error"].median())
    # a probabilistic forecast spreads and so scores CRPS below its own median's error
    model = s[s["method"] == "model"]
    assert (model["crps"] < model["mae"]).all()


# --- the baselines and the model see only the vintage -------------------------------------------


def _poisoned(surveys: pd.DataFrame, origin: int) -> pd.DataFrame:
    """``surveys`` with every row after ``origin`` replaced by noise."""
    poisoned = surveys.copy()
    late = poisoned["survey_year"] > origin
    rng = np.random.default_rng(1)
    for k in ("egdi", "osi", "tii", "hci"):
        poisoned.loc[late, k] = rng.random(late.sum())
    poisoned.loc[late, "egdi_rank"] = rng.integers(1, 194, late.sum())
    return poisoned


def test_noisy_persistence_sd_ignores_the_editions_after_the_origin(surveys):
    for horizon in (1, 2):
        sd = backtest.noisy_persistence_sd(surveys, 2016, horizon, seed=0)
        assert sd == backtest.noisy_persistence_sd(_poisoned(surveys, 2016), 2016, horizon, 0)
        assert backtest.SD_GRID[0] < sd < backtest.SD_GRID[-1]  # the optimum is on the grid
    # later pairs do change it: the sd is learned from the data, not fixed
    assert backtest.noisy_persistence_sd(surveys, 2022, 1, 0) != pytest.approx(
        backtest.noisy_persistence_sd(surveys, 2012, 1, 0)
    )


def test_backtest_never_reads_after_origin(surveys):
    """Forecasts from a history poisoned after the origin equal those from the clean history."""
    origin = 2014
    clean, poisoned = (
        backtest.run_backtest(frame, (origin,), draws=12, seed=0).forecasts[origin]
        for frame in (surveys, _poisoned(surveys, origin))
    )
    forecasts = [v for v in clean.data_vars if not v.startswith("observed_")]
    assert {"egdi", "egdi_rank", "egdi_noisy_persistence", "egdi_bootstrap"} <= set(forecasts)
    xr.testing.assert_identical(clean[forecasts], poisoned[forecasts])
    assert not clean["observed_egdi"].equals(poisoned["observed_egdi"])  # the targets differ
    for refuses in (backtest.model_forecast, backtest.forecast_origin):
        with pytest.raises(ValueError, match="cut"):
            refuses(surveys, origin, [2016], 10, 0)


def test_each_origin_sees_the_data_of_its_vintage(surveys):
    """The backtest cuts by publication date, as `vnsim run --as-of` does."""
    cut = backtest.vintage(surveys, 2022)
    assert sorted(cut["survey_year"].unique())[-1] == 2022  # the 2024 edition came in 2024
    assert (cut["published"] <= pd.Timestamp(2022, 12, 31)).all()
    same = datasets.load_surveys(as_of=2022)
    assert len(cut) == len(same) and set(cut["survey_year"]) == set(same["survey_year"])
    with pytest.raises(ValueError, match="not the latest edition"):
        backtest.vintage(surveys, 2023)  # no edition in 2023
    with pytest.raises(ValueError, match="not survey editions"):
        backtest.run_backtest(surveys, origins=(2024,), draws=5)  # nothing later to score


def test_the_default_origins_are_the_issues_five():
    assert backtest.DEFAULT_ORIGINS == command.DEFAULT_ORIGINS == (2014, 2016, 2018, 2020, 2022)
    args = build_parser().parse_args(["backtest"])
    assert tuple(args.origins) == backtest.DEFAULT_ORIGINS


# --- the files of `vnsim backtest --out` --------------------------------------------------------


def test_out_writes_forecasts_scores_and_the_report(written):
    run = written / "run"
    for origin in ORIGINS:
        with xr.open_dataset(run / f"forecast_{origin}.nc", engine="h5netcdf") as ds:
            later = [e for e in (2016, 2018, 2020, 2022, 2024) if e > origin]
            assert list(ds["edition"].values) == later
            for v in ("osi", "tii", "hci", "egdi", "egdi_rank"):
                assert ds[v].dims == ("draw", "edition", "country")
                assert ds[v].dtype == (np.int16 if v == "egdi_rank" else np.float32)
            assert ds.sizes["draw"] == DRAWS and ds.sizes["country"] == 193
            assert float(ds["egdi"].min()) >= 0 and float(ds["egdi"].max()) <= 1
            for v in ("egdi_noisy_persistence", "egdi_bootstrap"):
                assert ds[v].dims == ("draw", "edition", "country")
            assert ds["egdi_persistence"].dims == ("edition", "country")
            assert ds["observed_egdi"].dims == ("edition", "country")
            assert (ds.attrs["origin"], ds.attrs["seed"], ds.attrs["draws"]) == (
                origin,
                SEED,
                DRAWS,
            )
            assert ds.attrs["vintage"] == f"survey rows published by {origin}-12-31"
            assert ds.attrs["vnsim_version"]
    scores = pd.read_csv(run / "backtest_scores.csv")
    assert list(scores.columns) == [
        *("method", "quantity", "origin", "target", "horizon", "country", "third"),
        *backtest.SCORE_COLUMNS,
    ]
    summary = pd.read_csv(run / "backtest_summary.csv")
    assert {"crps", "mae", "median_ae", "cov80", "cov95", "pit_0", "pit_9"} <= set(summary)
    report = (run / "backtest.md").read_text()
    assert (written / "docs.md").read_text() == report  # docs/backtest.md is the report, verbatim
    assert (
        report.startswith("# ") and "This file was written by `vnsim backtest --origins" in report
    )
    assert "lower is better" in report and ("(loss)" in report or "(win)" in report)
    assert report.count("Verdict, ") == 2
    assert (run / "backtest.png").stat().st_size > 0


def test_the_file_can_be_rescored_without_vnsim(written):
    """Anyone with xarray and scoringrules gets the scores of the CSV from the file alone."""
    scores = pd.read_csv(written / "run" / "backtest_scores.csv")
    with xr.open_dataset(written / "run" / "forecast_2020.nc", engine="h5netcdf") as ds:
        at = ds.sel(edition=2022)
        ok = ((at["origin_egdi"] > 0) & (at["observed_egdi"] > 0)).values
        crps = scoringrules.crps_ensemble(
            at["observed_egdi"].values[ok], at["egdi"].values[:, ok], m_axis=0, estimator="pwm"
        )
    rows = scores[
        (scores["method"] == "model") & (scores["quantity"] == "value") & (scores["origin"] == 2020)
    ]
    np.testing.assert_allclose(crps.mean(), rows[rows["horizon"] == 1]["crps"].mean(), rtol=1e-5)


def test_same_seed_gives_identical_forecast_files(written, result, surveys, tmp_path):
    """The command's files equal those of another run with the same seed (``result``), and
    another seed changes them."""
    result.write(tmp_path / "a")
    origin = ORIGINS[-1]
    backtest.run_backtest(surveys, (origin,), draws=DRAWS, seed=SEED + 1).write(tmp_path / "b")
    with (
        xr.open_dataset(written / "run" / f"forecast_{origin}.nc", engine="h5netcdf") as first,
        xr.open_dataset(tmp_path / "a" / f"forecast_{origin}.nc", engine="h5netcdf") as again,
        xr.open_dataset(tmp_path / "b" / f"forecast_{origin}.nc", engine="h5netcdf") as other,
    ):
        xr.testing.assert_identical(first, again)
        assert not np.array_equal(first["egdi"].values, other["egdi"].values)
    for name in ("backtest_scores.csv", "backtest_summary.csv"):
        assert (written / "run" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()


def test_the_readme_section_is_rewritten_between_its_markers(written):
    text = (written / "README.md").read_text()
    assert text.startswith("# title\n\n" + command.README_BEGIN) and text.endswith("\n\nafter\n")
    assert "STALE" not in text and text.count("Verdict, ") == 2
    assert "| method | editions ahead | rank CRPS |" in text
    # the project's README has the markers, so the one command can rewrite it
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(command.README_BEGIN) == 1 and readme.count(command.README_END) == 1
    assert main(["backtest", "--readme", str(written / "nothing.md")]) == 2


# --- what the command prints --------------------------------------------------------------------


def test_the_printed_table_says_which_way_is_better(result):
    text = command.readable(result.summary)
    assert "World rank (places), pooled over origins:" in text
    assert "EGDI value (EGDI points (0-1)), pooled over origins:" in text
    assert "noisy persistence" in text and "level-matched bootstrap" in text
    assert "Lower is better for the CRPS" in text and "80 % or 95 %" in text
    for quantity in ("rank", "value"):
        line = command.verdict(result.summary, quantity)
        assert line.startswith("Verdict, ") and "\n" not in line and "%" in line


def _summary(model: list[float], base: list[float], quantity: str, base_name: str):
    rows = [
        {"group": "pooled", "method": m, "quantity": quantity, "horizon": 1, "crps": np.mean(v)}
        for m, v in (("model", model), (base_name, base))
    ]
    rows += [
        {"group": "origin", "method": m, "quantity": quantity, "horizon": 1, "origin": o, "crps": c}
        for m, v in (("model", model), (base_name, base))
        for o, c in zip((2014, 2016, 2018), v, strict=True)
    ]
    return pd.DataFrame(rows)


def test_the_verdict_follows_the_scores():
    rank = _summary([5.0, 6.0, 4.0], [6.0, 5.0, 7.0], "rank", "noisy_persistence")
    assert command.verdict(rank, "rank") == (
        "Verdict, world rank one edition ahead (CRPS, lower is better): the model is better "
        "than noisy persistence: 5.00 vs 6.00 places, a change of -16.7 %; it loses at 1 of 3 "
        "origins (2016)."
    )
    value = _summary([0.031, 0.03, 0.029], [0.03, 0.03, 0.03], "value", "persistence")
    assert command.verdict(value, "value") == (
        "Verdict, EGDI value one edition ahead (CRPS, lower is better): the model is no better "
        "than persistence's absolute error: 0.0300 vs 0.0300 EGDI points (0-1), a change of "
        "+0.0 %; it loses at 1 of 3 origins (2014)."
    )
