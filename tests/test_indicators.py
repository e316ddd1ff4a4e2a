"""Raw sub-indicator paths: the fitted logit drift, nowcasts, ceilings and exact steps."""

import numpy as np
import pandas as pd
import pytest
from vnsim.fit import indicators


def test_fit_drift_recovers_logistic_dynamics():
    rng = np.random.default_rng(5)
    n, y, rows = 300, rng.normal(-1.0, 1.5, 300), []
    for t in range(2010, 2021):
        rows.append(
            pd.DataFrame({"iso3": np.arange(n), "year": t, "value": 100 / (1 + np.exp(-y))})
        )
        y = y + 0.2 - 0.05 * y + 0.1 * rng.standard_normal(n)
    d = indicators.fit_drift(pd.concat(rows), 100.0, window=10)
    assert d.intercept == pytest.approx(0.2, abs=0.03)
    assert d.slope == pytest.approx(-0.05, abs=0.02)
    assert d.sigma == pytest.approx(0.1, abs=0.02)


def test_published_values_are_nowcast_and_ceilings_hold():
    inputs = indicators.InputState(("x",), np.array([[99.0, 50.0]]), np.array([[2024, 2022]]))
    drift = {"x": indicators.LogisticDrift(100.0, 2.0, 0.0, 0.5, 0.0)}
    y0 = indicators.start_inputs(inputs, drift, np.zeros((64, 1, 2)))
    eps = np.random.default_rng(1).standard_normal((64, 1, 2)).astype(np.float32)
    x = indicators.input_values(
        indicators.advance_inputs(y0, inputs, drift, 2022, 2024, eps), inputs, drift
    )
    np.testing.assert_allclose(x[:, 0, 0], 99.0, rtol=1e-5)  # published for 2024: not moved
    assert np.all(x[:, 0, 1] > 50.0) and np.all(x < 100.0)  # two years of strong gains, bounded


def test_a_multi_year_step_matches_yearly_steps_in_distribution():
    inputs = indicators.InputState(("x",), np.array([[20.0, 80.0]]), np.array([[2020, 2020]]))
    drift = {"x": indicators.LogisticDrift(100.0, 0.3, -0.1, 0.2, 0.0)}
    rng = np.random.default_rng(0)
    y0 = indicators.start_inputs(inputs, drift, np.zeros((40_000, 1, 2)))

    def eps():
        return rng.standard_normal(y0.shape).astype(np.float32)

    one = indicators.advance_inputs(y0, inputs, drift, 2020, 2023, eps())
    step = y0
    for t in range(2020, 2023):
        step = indicators.advance_inputs(step, inputs, drift, t, t + 1, eps())
    np.testing.assert_allclose(one.mean(0), step.mean(0), atol=0.01)
    np.testing.assert_allclose(one.std(0), step.std(0), rtol=0.03)
