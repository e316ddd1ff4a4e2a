"""Tests of vnsim.analysis.backtest: scores, no look-ahead, reproducibility."""

from __future__ import annotations

import json
from importlib import resources

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from vnsim.analysis import backtest
from vnsim.blocks import egov
from vnsim.present import charts


@pytest.fixture(scope="module")
def surveys() -> pd.DataFrame:
    with resources.files("vnsim").joinpath("data/un_egov_surveys.csv").open("rb") as f:
        return pd.read_csv(f)


@pytest.fixture(scope="module")
def result(surveys) -> backtest.BacktestResult:
    return backtest.run_backtest(
        surveys,
        origins=(2016, 2020),
        horizons=(1, 2),
        draws=60,
        seed=3,
        settings=egov.Settings(),
    )


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(1, 12), st.integers(1, 4)), elements=st.integers(1, 50)),
    st.integers(1, 50),
)
def test_crps_fair_matches_definition(x, y):
    obs = np.full(x.shape[1], y)
    m = x.shape[0]
    brute = np.abs(x - obs).mean(0)
    if m > 1:
        brute = brute - np.abs(x[:, None, :] - x[None, :, :]).sum((0, 1)) / (2 * m * (m - 1))
    np.testing.assert_allclose(backtest.crps_fair(x, obs), brute, atol=1e-9)


def test_scores_and_tables(result):
    s = result.scores
    assert set(s["method"]) == {"model", "bootstrap", "persistence"}
    assert set(zip(s["origin"], s["target_edition"], strict=True)) == {
        (2016, 2018),
        (2016, 2020),
        (2020, 2022),
        (2020, 2024),  # two editions ahead of 2020: the 2024 edition is in the data
    }
    wide = s.pivot_table(index=["method", "origin", "horizon"], columns="metric", values="value")
    assert np.all((wide["cov80"] >= 0) & (wide["cov80"] <= wide["cov95"]) & (wide["cov95"] <= 1))
    per = wide.loc["persistence"]
    np.testing.assert_allclose(per["rank_crps"], per["rank_mae"])
    assert np.all(per["width80"] == 0)
    # a probabilistic forecast spreads and so scores CRPS below its own median's MAE
    assert np.all(wide.loc["model", "rank_crps"] < wide.loc["model", "rank_mae"])
    assert np.all(wide["n"] == 193)
    pooled = result.pooled()
    assert list(pooled.index) == [(m, h) for m in backtest.METHODS for h in (1, 2)]
    json.dumps(result.to_dict())
    fig = charts.plot_backtest(result, lang="vi")
    assert len(fig.axes) == 5
    plt.close(fig)


def test_same_seed_same_scores(surveys, result):
    again = backtest.run_backtest(
        surveys,
        origins=(2016, 2020),
        horizons=(1, 2),
        draws=60,
        seed=3,
        settings=egov.Settings(),
    )
    pd.testing.assert_frame_equal(result.scores, again.scores)


def test_backtest_never_reads_after_origin(surveys, monkeypatch):
    """Forecasts from a history poisoned after the origin equal those from the clean history."""
    captured: list = []
    real = backtest.forecast_ranks

    def spy(cut, *args, **kwargs):
        out = real(cut, *args, **kwargs)
        captured.append(out)
        return out

    monkeypatch.setattr(backtest, "forecast_ranks", spy)
    origin = 2014
    poisoned = surveys.copy()
    late = poisoned["survey_year"] > origin
    rng = np.random.default_rng(1)
    for k in ("egdi", "osi", "tii", "hci"):
        poisoned.loc[late, k] = rng.random(late.sum())
    poisoned.loc[late, "egdi_rank"] = rng.integers(1, 194, late.sum())
    for frame in (surveys, poisoned):
        backtest.run_backtest(
            frame,
            origins=(origin,),
            horizons=(1, 2),
            draws=20,
            seed=0,
            settings=egov.Settings(),
        )
    (c1, f1), (c2, f2) = captured
    assert c1 == c2
    for method in f1:
        for t in f1[method]:
            np.testing.assert_array_equal(f1[method][t], f2[method][t])
    with pytest.raises(ValueError, match="cut"):
        backtest.forecast_ranks(surveys, origin, [2016], 10, 0)


def test_cli_table_says_which_way_is_better_and_gives_a_verdict(result):
    from vnsim.cli.backtest import readable, verdict

    pooled = result.pooled()
    text = readable(pooled)
    assert "rank CRPS" in text and "lower is better" in text
    assert "closer to 80 % is better" in text
    assert "model h1" in text and "bootstrap h2" in text
    line = verdict(pooled)
    assert line.startswith("Verdict (rank CRPS, lower is better): the model is")
    assert "than bootstrap" in line and "than persistence" in line and "\n" not in line


def test_verdict_follows_the_scores():
    import pandas as pd
    from vnsim.cli.backtest import verdict

    index = pd.MultiIndex.from_tuples(
        [("model", 1), ("bootstrap", 1), ("persistence", 1)], names=["method", "horizon"]
    )
    pooled = pd.DataFrame({"rank_crps": [5.0, 10.0, 5.1]}, index=index)
    assert verdict(pooled) == (
        "Verdict (rank CRPS, lower is better): the model is better than bootstrap (+50 %); "
        "no better than persistence (+2 %)."
    )


def test_each_origin_sees_the_data_of_its_vintage():
    """The backtest cuts by publication date, as `vnsim run --as-of` does."""
    from vnsim import datasets

    full = datasets.load_surveys()
    cut = backtest.vintage(full, 2022)
    assert sorted(cut["survey_year"].unique())[-1] == 2022  # the 2024 edition came in 2024
    assert (cut["published"] <= pd.Timestamp(2022, 12, 31)).all()
    same = datasets.load_surveys(as_of=2022)
    assert len(cut) == len(same) and set(cut["survey_year"]) == set(same["survey_year"])
    with pytest.raises(ValueError, match="not the latest edition"):
        backtest.vintage(full, 2023)  # no edition in 2023
    with pytest.raises(ValueError, match="not survey editions"):
        backtest.run_backtest(full, origins=(2023,), draws=5)


def test_the_default_origins_run_to_the_last_edition_with_a_later_one(surveys):
    editions = sorted(int(e) for e in surveys["survey_year"].unique())
    assert backtest.default_origins(editions) == (2012, 2014, 2016, 2018, 2020, 2022)
    assert backtest.default_origins([*editions, 2026])[-1] == 2024  # a user's 2026 edition
