"""Fits of adoption curves to observed points (the priors of the dossier block)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from vnsim.fit import adoption as d

YEARS = np.arange(2012, 2024, dtype=float)
TRUE = {"offset": -2.0, "rate": 0.45, "ceiling": 0.88}


def _true_path(years=YEARS):
    return TRUE["ceiling"] * expit(TRUE["offset"] + TRUE["rate"] * (years - years[0]))


def test_fit_recovers_exact_parameters():
    fixed = d.fit_adoption(YEARS, _true_path(), ceiling=TRUE["ceiling"])
    assert fixed.offset == pytest.approx(TRUE["offset"], abs=1e-6)
    assert fixed.rate == pytest.approx(TRUE["rate"], abs=1e-6)
    free = d.fit_adoption(YEARS, _true_path())
    assert free.ceiling_fitted
    for key, value in TRUE.items():
        assert getattr(free, key) == pytest.approx(value, abs=1e-5)


def test_fit_with_noise_is_unbiased_and_its_intervals_cover():
    rng = np.random.default_rng(2024)
    sd, reps = 0.015, 150
    hits, rates = 0, []
    for _ in range(reps):
        y = _true_path() + rng.normal(0, sd, YEARS.size)
        fit = d.fit_adoption(YEARS, y)
        se = np.sqrt(fit.covariance[1, 1])
        hits += abs(fit.rate - TRUE["rate"]) <= 1.96 * se
        rates.append(fit.rate)
    # nominal 95 %: 150 replications give a binomial sd of about 1.8 points
    assert 0.88 <= hits / reps <= 0.995
    assert np.mean(rates) == pytest.approx(TRUE["rate"], abs=0.03)


def test_two_points_fit_exactly_and_need_share_sd_for_uncertainty():
    fit = d.fit_adoption([2019, 2020], [0.1076, 0.3085], ceiling=1.0)
    np.testing.assert_allclose(fit.predict([2019, 2020]), [0.1076, 0.3085], rtol=1e-8)
    assert np.isnan(fit.covariance).all()
    with pytest.raises(ValueError, match="covariance"):
        fit.sample(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="identify"):
        d.fit_adoption([2019, 2020], [0.1, 0.3])  # free ceiling: 3 parameters, 2 points
    fit_sd = d.fit_adoption([2019, 2020], [0.1076, 0.3085], ceiling=1.0, share_sd=0.01)
    assert np.all(np.isfinite(fit_sd.covariance))


def test_sample_is_centred_and_widened():
    rng = np.random.default_rng(3)
    y = _true_path() + rng.normal(0, 0.01, YEARS.size)
    fit = d.fit_adoption(YEARS, y)
    z = rng.standard_normal((20000, 3))
    one, two = fit.sample(z, widen=1.0), fit.sample(z, widen=2.0)
    se = np.sqrt(np.diag(fit.covariance))
    assert np.mean(one["rate"]) == pytest.approx(fit.rate, abs=4 * se[1] / np.sqrt(2e4))
    assert np.std(one["rate"]) == pytest.approx(se[1], rel=0.03)
    assert np.std(two["rate"]) == pytest.approx(2 * se[1], rel=0.03)
    assert np.all((two["ceiling"] > 0) & (two["ceiling"] < 1))


def test_linear_competitor_recovers_a_line():
    years = np.arange(2003, 2016, dtype=float)
    line = 0.05 + 0.04 * (years - 2003)
    fit = d.fit_linear(years, line)
    assert fit.level == pytest.approx(0.05) and fit.slope == pytest.approx(0.04)
    assert fit.predict([2100.0])[0] == 1.0  # clipped to a share
