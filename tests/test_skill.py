"""Scores and baselines of the rolling-origin backtest."""

import numpy as np
import pandas as pd
import pytest
from vnsim.analysis import skill


def _brute_crps(x, y):
    m = len(x)
    return np.abs(x - y).mean() - np.abs(x[:, None] - x[None, :]).sum() / (2 * m * (m - 1))


def test_crps_is_the_fair_ensemble_estimator_and_the_absolute_error_for_one_member():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 3)), np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(skill.crps(x, y), [_brute_crps(x[:, i], y[i]) for i in range(3)])
    np.testing.assert_allclose(skill.crps(np.array([[1.0, 5.0]]), np.array([2.0, 2.0])), [1, 3])


def test_calibrated_ensemble_has_uniform_pit_and_nominal_coverage():
    rng = np.random.default_rng(1)
    mu = rng.normal(size=2000)
    sims = mu + rng.normal(size=(400, 2000))
    obs = mu + rng.normal(size=2000)
    p = skill.pit(sims, obs, rng)
    hist = np.histogram(p, np.linspace(0, 1, 6))[0] / len(p)
    assert np.all(np.abs(hist - 0.2) < 0.04)
    assert skill.interval_hits(sims, obs, 0.8).mean() == pytest.approx(0.8, abs=0.03)
    # an ensemble half as wide covers far less
    narrow = mu + 0.5 * (sims - mu)
    assert skill.interval_hits(narrow, obs, 0.8).mean() < 0.6


def test_pit_of_discrete_ranks_randomises_ties():
    sims = np.array([[1], [2], [2], [3]])
    p = skill.pit(sims, np.array([2]), np.random.default_rng(0))
    assert 0.25 <= p[0] <= 0.75


def test_thirds_split_the_table_evenly_by_origin_rank():
    t = skill.thirds(np.arange(1, 194))
    assert np.bincount(t).tolist() == [65, 64, 64] and t[0] == 0 and t[-1] == 2


def _history(n=60, seed=0):
    rng = np.random.default_rng(seed)
    level = rng.uniform(0.2, 0.9, n)
    rows = []
    for e in range(2008, 2024, 2):
        level = np.clip(level + 0.03 * rng.standard_normal(n), 0.01, 1)
        rows.append(
            pd.DataFrame({"survey_year": e, "iso3": [f"C{i}" for i in range(n)], "egdi": level})
        )
    return pd.concat(rows, ignore_index=True)


def test_noisy_persistence_sd_tracks_the_past_noise_and_ignores_later_editions():
    h = _history()
    sd = skill.noisy_persistence_sd(h, 2018)
    assert 0.015 <= sd <= 0.05  # the history moves by 0.03 per edition
    later = h.copy()
    later.loc[later["survey_year"] > 2018, "egdi"] = 0.5
    assert skill.noisy_persistence_sd(later, 2018) == sd


def test_bootstrap_keeps_the_origin_mean_and_spread():
    h = _history()
    countries = [f"C{i}" for i in range(60)]
    x = skill.bootstrap_egdi(h, 2016, countries, 200, np.random.default_rng(2))
    x1 = h[h["survey_year"] == 2016]["egdi"]
    assert x.shape == (200, 60)
    np.testing.assert_allclose(x.mean(1), x1.mean(), atol=1e-9)
    np.testing.assert_allclose(x.std(1), x1.std(ddof=0), rtol=1e-9)


def test_score_origin_gives_persistence_zero_coverage_width_and_its_absolute_error():
    h = _history()
    countries = [f"C{i}" for i in range(60)]
    x0 = h[h["survey_year"] == 2016].set_index("iso3")["egdi"].reindex(countries).to_numpy()
    s = skill.score_origin(h, countries, {"persistence": x0[None, :]}, 2016, 2018)
    v = s[s["quantity"] == "value"]
    x1 = h[h["survey_year"] == 2018].set_index("iso3")["egdi"].reindex(countries).to_numpy()
    np.testing.assert_allclose(v["crps"], np.abs(x0 - x1))
    assert set(s["third"]) == set(skill.THIRDS)
    summary = skill.summarise(s)
    assert summary.loc[("persistence", "value"), "cov80"] < 0.1
