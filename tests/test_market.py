"""IT application market block: growth arithmetic against closed forms, shocks, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy import stats
from vnsim.blocks import market
from vnsim.uncertainty import Streams


def run(
    settings_: market.Settings,
    years: int,
    lever: float | np.ndarray = 0.0,
    draws: int = 1,
    seed: int = 0,
    inputs: dict | None = None,
) -> np.ndarray:
    """Sizes for years 0..years, shape ``(draw, years + 1)``, stepping the block by hand."""
    state = market.start(settings_, inputs or {}, draws)
    innovations = market.shocks(settings_, Streams(seed, 0, draws), years + 1)
    lever = np.broadcast_to(np.asarray(lever, float), (years + 1,))
    sizes = [state.size]
    for t in range(1, years + 1):
        state = market.advance(state, np.full(draws, lever[t]), innovations[:, t])
        sizes.append(state.size)
    return np.stack(sizes, axis=-1)


@settings(max_examples=60, deadline=None)
@given(
    size0=st.floats(0.1, 100.0),
    growth=st.floats(-0.5, 1.0),
    years=st.integers(1, 30),
)
def test_no_shocks_matches_compound_growth(size0, growth, years):
    s = market.Settings(base_value=size0, growth=growth)
    sizes = run(s, years, draws=3)
    expected = size0 * (1 + growth) ** np.arange(years + 1)
    np.testing.assert_allclose(sizes, np.broadcast_to(expected, sizes.shape), rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    size0=st.floats(0.1, 100.0),
    growth=st.floats(-0.5, 1.0),
    effect=st.floats(-0.2, 0.2),
    years=st.integers(1, 20),
)
def test_constant_lever_effect_multiplies_growth_factor(size0, growth, effect, years):
    s = market.Settings(base_value=size0, growth=growth)
    sizes = run(s, years, lever=effect, draws=2)
    expected = size0 * ((1 + growth) * np.exp(effect)) ** years
    np.testing.assert_allclose(sizes[:, -1], expected, rtol=1e-10)


def test_lever_effect_only_in_years_it_acts():
    s = market.Settings(base_value=10.0, growth=0.1)
    lever = np.array([0, 0, 0.05, 0.05, 0, 0])
    sizes = run(s, 5, lever=lever)[0]
    expected = 10.0 * 1.1**5 * np.exp(0.1)
    assert sizes[-1] == pytest.approx(expected, rel=1e-12)
    assert sizes[1] == pytest.approx(11.0, rel=1e-12)


def test_uncertain_inputs_are_used_per_draw():
    s = market.Settings(base_value="base", growth="growth")
    inputs = {"base": np.array([10.0, 20.0]), "growth": np.array([0.1, 0.3])}
    sizes = run(s, 3, draws=2, inputs=inputs)
    np.testing.assert_allclose(sizes[:, -1], [10.0 * 1.1**3, 20.0 * 1.3**3])


def test_shock_variance_matches_ar1_closed_form():
    """Var of the log size after T years: scale^2 var(eps) sum_j ((1 - phi^j) / (1 - phi))^2."""
    years, scale, df = 8, 0.05, 30.0
    draws = 20_000
    for phi in (0.0, 0.6):
        s = market.Settings(
            base_value=10.0, growth=0.15, shock_scale=scale, shock_df=df, persistence=phi
        )
        log_size = np.log(run(s, years, draws=draws, seed=3)[:, -1])
        j = np.arange(1, years + 1)
        expected = scale**2 * df / (df - 2) * np.sum(((1 - phi**j) / (1 - phi)) ** 2)
        assert log_size.var() == pytest.approx(expected, rel=0.05)
        # shocks are centred on the log scale: the median path is the closed form
        assert np.median(log_size) == pytest.approx(np.log(10.0 * 1.15**years), abs=0.01)


def test_persistence_widens_the_spread():
    draws, years = 4000, 8
    widths = []
    for phi in (0.0, 0.3, 0.6, 0.9):
        s = market.Settings(base_value=10.0, growth=0.15, shock_scale=0.05, persistence=phi)
        final = run(s, years, draws=draws, seed=11)[:, -1]
        q10, q90 = np.quantile(final, [0.1, 0.9])
        widths.append(q90 / q10)
    assert widths == sorted(widths) and widths[-1] > 1.5 * widths[0], widths


def test_student_t_shocks_have_heavier_tails_than_normal():
    streams = Streams(5, 0, 8000)
    heavy = market.shocks(market.Settings(base_value=1, growth=0.1, shock_df=4), streams, 9)
    light = market.shocks(market.Settings(base_value=1, growth=0.1, shock_df=1000), streams, 9)
    k_heavy = stats.kurtosis(heavy.ravel())
    k_light = stats.kurtosis(light.ravel())
    assert k_heavy > 1.5, k_heavy
    assert abs(k_light) < 0.2, k_light
    # and they are not the same numbers rescaled: the share beyond 4 sd differs
    sd = heavy.std()
    assert np.mean(np.abs(heavy) > 4 * sd) > 3 * np.mean(np.abs(light) > 4 * light.std())


def test_shocks_depend_only_on_seed_and_draw():
    s = market.Settings(base_value=1, growth=0.1)
    whole = market.shocks(s, Streams(9, 0, 300), 5)
    part = market.shocks(s, Streams(9, 250, 300), 5)
    np.testing.assert_array_equal(whole[250:], part)
    assert not np.array_equal(whole, market.shocks(s, Streams(10, 0, 300), 5))


def test_zero_shock_scale_gives_no_spread():
    s = market.Settings(base_value=10.0, growth=0.2, shock_scale=0.0, persistence=0.5)
    sizes = run(s, 6, draws=50, seed=1)
    assert np.ptp(sizes[:, -1]) == 0.0


@pytest.mark.parametrize("growth", [-1.0, -1.5])
def test_growth_at_or_below_minus_one_is_refused(growth):
    with pytest.raises(ValidationError, match="above -1"):
        market.Settings(base_value=10.0, growth=growth)


def test_growth_below_minus_one_in_some_draws_is_refused():
    s = market.Settings(base_value=10.0, growth="g")
    with pytest.raises(ValueError, match="every draw"):
        market.start(s, {"g": np.array([0.1, -1.2, 0.2])}, 3)


@pytest.mark.parametrize("phi", [-0.1, 1.0, 1.5])
def test_persistence_outside_unit_interval_is_refused(phi):
    with pytest.raises(ValidationError, match="persistence"):
        market.Settings(base_value=10.0, growth=0.1, persistence=phi)
    s = market.Settings(base_value=10.0, growth=0.1, persistence="phi")
    with pytest.raises(ValueError, match="persistence"):
        market.start(s, {"phi": np.array([0.5, phi])}, 2)


@pytest.mark.parametrize(
    "bad",
    [
        {"shock_df": 2.0},
        {"shock_df": 1.0},
        {"base_value": float("nan")},
        {"growth": float("inf")},
        {"grwoth": 0.1},
        {"shock_scale": -0.01},
    ],
)
def test_settings_refuse_bad_values(bad):
    with pytest.raises(ValidationError):
        market.Settings(**{"base_value": 10.0, "growth": 0.1, **bad})
