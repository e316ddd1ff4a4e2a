"""Bounded, shape-preserving e-government dynamics (v2): maths, vintages, bounds and drift."""

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vnsim.fit import dynamics

SHARED = Path("/work/shared/data")
needs_data = pytest.mark.skipif(not SHARED.exists(), reason="shared research data not available")


@functools.cache
def _data():
    surveys = pd.read_csv(SHARED / "un_egov_surveys.csv")
    sub = SHARED / "subindicators"
    frames = {k: pd.read_csv(sub / f"{k}.csv") for k in dynamics.CEILINGS}
    return surveys, frames


def _rngs(seed=0):
    return {k: np.random.default_rng([seed, i]) for i, k in enumerate(dynamics.STREAMS)}


def test_quantile_map_keeps_ends_and_order():
    x = np.array([[0.0, 0.2, 0.5, 0.9, 1.0]])
    y = dynamics.quantile_map(x, np.array([0.4]), np.array([-0.3]))
    assert y[0, 0] == 0 and y[0, -1] == 1
    assert np.all(np.diff(y[0]) > 0)
    np.testing.assert_allclose(dynamics.quantile_map(x, np.zeros(1), np.zeros(1)), x, atol=1e-6)


def test_fit_quantile_map_recovers_a_known_map():
    rng = np.random.default_rng(3)
    base = rng.beta(2, 2, 500)
    target = dynamics.quantile_map(base[None], np.array([0.3]), np.array([0.2]))[0]
    np.testing.assert_allclose(dynamics.fit_quantile_map(base, target), [0.3, 0.2], atol=0.02)


def test_normal_scores_keep_the_marginal_whatever_the_input():
    rng = np.random.default_rng(0)
    a = dynamics.normal_scores(rng.standard_t(2, (3, 50)))
    b = dynamics.normal_scores(rng.uniform(size=(3, 50)))
    np.testing.assert_allclose(np.sort(a, -1), np.sort(b, -1))


def test_fit_drift_recovers_logistic_dynamics():
    rng = np.random.default_rng(5)
    n, years = 300, range(2010, 2021)
    y = rng.normal(-1.0, 1.5, n)
    rows = []
    for t in years:
        rows.append(
            pd.DataFrame({"iso3": np.arange(n), "year": t, "value": 100 / (1 + np.exp(-y))})
        )
        y = y + 0.2 - 0.05 * y + 0.1 * rng.standard_normal(n)
    d = dynamics.fit_drift(pd.concat(rows), 100.0, 2020, window=10)
    assert d.intercept == pytest.approx(0.2, abs=0.03)
    assert d.slope == pytest.approx(-0.05, abs=0.02)
    assert d.sigma == pytest.approx(0.1, abs=0.02)


def test_published_values_are_nowcast_and_ceilings_hold():
    state = dynamics.InputState(("x",), np.array([[99.0, 50.0]]), np.array([[2024, 2022]]))
    drift = {"x": dynamics.LogisticDrift(100.0, 2.0, 0.0, 0.5, 0.0)}
    y0 = dynamics.start_inputs(state, drift, 64, np.random.default_rng(0))
    y = dynamics.advance_inputs(y0, state, drift, 2022, 2024, np.random.default_rng(1))
    x = dynamics.input_values(y, state, drift)
    np.testing.assert_allclose(x[:, 0, 0], 99.0, rtol=1e-5)  # published for 2024: not moved
    assert np.all(x[:, 0, 1] > 50.0) and np.all(x < 100.0)  # two years of strong gains, bounded


@needs_data
def test_fit_sees_only_its_vintage():
    surveys, frames = _data()
    base = dynamics.fit(surveys, frames, 2018)
    later = surveys["survey_year"] > 2018
    scrambled = surveys.copy()
    scrambled.loc[later, ["osi", "tii", "hci"]] = 0.5
    frames2 = {
        k: f.assign(value=np.where(f["year"] >= 2018, 1.0, f["value"])) for k, f in frames.items()
    }
    other = dynamics.fit(scrambled, frames2, 2018)
    np.testing.assert_array_equal(base.residual, other.residual)
    for a, b in ((base.osi, other.osi), (base.shocks["tii"], other.shocks["tii"])):
        for name in a.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for k in dynamics.CEILINGS:
        assert base.drift[k] == other.drift[k]
    np.testing.assert_array_equal(base.inputs["tii"].value, other.inputs["tii"].value)


@needs_data
def test_unknown_terms_are_refused():
    surveys, frames = _data()
    with pytest.raises(ValueError, match="unknown terms"):
        dynamics.fit(surveys, frames, 2022, terms=frozenset({"cubic"}))


@needs_data
def test_simulation_is_bounded_normalised_and_reproducible():
    surveys, frames = _data()
    p = dynamics.fit(surveys, frames, 2022)
    out = dynamics.simulate(p, [2024, 2026], 50, _rngs())
    for k in dynamics.COMPONENTS:
        assert out[k].shape == (50, 2, len(p.countries)) and out[k].dtype == np.float32
        np.testing.assert_allclose(out[k].min(-1), 0, atol=1e-6)
        np.testing.assert_allclose(out[k].max(-1), 1, atol=1e-6)
    ranks = np.sort(out["egdi_rank"], -1)
    assert np.all(ranks == np.arange(1, len(p.countries) + 1))
    again = dynamics.simulate(p, [2024, 2026], 50, _rngs())
    np.testing.assert_array_equal(out["egdi"], again["egdi"])


@needs_data
def test_no_level_drift_across_simulated_editions():
    """From the observed 2024 edition to 2030, world-mean EGDI and the share 'very high'
    (EGDI ≥ 0.75) do not fall, and they rise from one simulated edition to the next."""
    surveys, frames = _data()
    p = dynamics.fit(surveys, frames, 2024, as_of=2026)
    out = dynamics.simulate(p, [2026, 2028, 2030], 400, _rngs(7))
    mean = out["egdi"].mean(axis=(0, 2))
    very_high = (out["egdi"] >= 0.75).mean(axis=(0, 2))
    observed = surveys.loc[surveys["survey_year"] == 2024, "egdi"]
    assert mean[-1] >= observed.mean() and very_high[-1] >= (observed >= 0.75).mean()
    assert np.all(np.diff(mean) > 0) and np.all(np.diff(very_high) >= 0)


def test_a_multi_year_step_matches_yearly_steps_in_distribution():
    state = dynamics.InputState(("x",), np.array([[20.0, 80.0]]), np.array([[2020, 2020]]))
    drift = {"x": dynamics.LogisticDrift(100.0, 0.3, -0.1, 0.2, 0.0)}
    y0 = dynamics.start_inputs(state, drift, 40_000, np.random.default_rng(0))
    one = dynamics.advance_inputs(y0, state, drift, 2020, 2023, np.random.default_rng(1))
    step = y0
    for t in range(2020, 2023):
        step = dynamics.advance_inputs(step, state, drift, t, t + 1, np.random.default_rng(t))
    np.testing.assert_allclose(one.mean(0), step.mean(0), atol=0.01)
    np.testing.assert_allclose(one.std(0), step.std(0), rtol=0.03)


@needs_data
def test_later_vintage_nowcasts_the_next_edition_more_sharply():
    """From the 2024 edition, the 2026 TII is sharper with ITU 2024 data in hand (as of 2026)
    than with data to 2023 only (as of 2024): published values replace projections."""
    surveys, frames = _data()
    early = dynamics.fit(surveys, frames, 2024, as_of=2024)
    late = dynamics.fit(surveys, frames, 2024, as_of=2026)
    assert (late.inputs["tii"].year >= 2024).sum() > (early.inputs["tii"].year >= 2024).sum()
    spread = []
    for p in (early, late):
        p = dataclasses.replace(
            p, shocks={k: dataclasses.replace(v, scale=0 * v.scale) for k, v in p.shocks.items()}
        )
        tii = dynamics.simulate(p, [2026], 400, _rngs(3))["tii"][:, 0]
        spread.append(np.median(tii.std(0)))
    assert spread[1] < spread[0]
