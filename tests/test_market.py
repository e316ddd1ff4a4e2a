"""IT application market block: growth arithmetic against closed forms, shocks, the exchange-rate
term and definition factor, validation, and the baseline against the ICT sector's observed years."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy import stats
from vnsim import datasets
from vnsim.blocks import market
from vnsim.errors import InputError
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import Scenario, read_scenario
from vnsim.uncertainty import Streams

ROOT = Path(__file__).resolve().parent.parent


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


# --- exchange rate and definition ------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    size0=st.floats(0.1, 100.0),
    growth=st.floats(-0.5, 1.0),
    depreciation=st.floats(-0.5, 1.0),
)
def test_one_year_multiplies_size_by_vnd_growth_over_depreciation(size0, growth, depreciation):
    s = market.Settings(base_value=size0, growth=growth, vnd_depreciation=depreciation)
    sizes = run(s, 1, draws=2)
    expected = size0 * (1 + growth) / (1 + depreciation)
    np.testing.assert_allclose(sizes[:, 1], expected, rtol=1e-12)


def test_depreciation_compounds_and_vnd_growth_is_recovered():
    s = market.Settings(base_value=10.0, growth=0.15, vnd_depreciation=0.02)
    sizes = run(s, 6)[0]
    np.testing.assert_allclose(sizes, 10.0 * (1.15 / 1.02) ** np.arange(7), rtol=1e-12)
    usd = sizes[1:] / sizes[:-1] - 1
    # the baseline test below relies on: VND growth = (1 + USD growth)(1 + d) - 1
    np.testing.assert_allclose((1 + usd) * 1.02 - 1, 0.15, rtol=1e-12)


def test_defaults_leave_growth_in_usd_and_the_base_as_given():
    plain = market.Settings(base_value=10.0, growth=0.1, shock_scale=0.05)
    explicit = market.Settings(
        base_value=10.0, growth=0.1, shock_scale=0.05, vnd_depreciation=0.0, definition_factor=1
    )
    np.testing.assert_array_equal(run(plain, 5, draws=20), run(explicit, 5, draws=20))
    assert run(plain, 0)[0, 0] == 10.0


def test_depreciation_and_factor_are_read_per_draw():
    s = market.Settings(
        base_value=10.0, growth=0.2, vnd_depreciation="d", definition_factor="f", shock_scale=0.04
    )
    inputs = {"d": np.array([0.0, 0.05, -0.02]), "f": np.array([1.0, 1.3, 0.9])}
    sizes = run(s, 4, draws=3, inputs=inputs, seed=2)
    np.testing.assert_allclose(sizes[:, 0], [10.0, 13.0, 9.0])
    # the same shocks in every column of a draw, so the ratio to a plain run is closed-form
    plain = run(market.Settings(base_value=10.0, growth=0.2, shock_scale=0.04), 4, draws=3, seed=2)
    years = np.arange(5)
    ratio = inputs["f"][:, None] / (1 + inputs["d"][:, None]) ** years
    np.testing.assert_allclose(sizes / plain, ratio, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(factor=st.floats(0.01, 10.0), years=st.integers(1, 15))
def test_definition_factor_scales_the_whole_path_not_its_growth(factor, years):
    base = market.Settings(base_value=12.0, growth=0.16, shock_scale=0.06, persistence=0.3)
    scaled = base.model_copy(update={"definition_factor": factor})
    np.testing.assert_allclose(
        run(scaled, years, draws=4, seed=7), factor * run(base, years, draws=4, seed=7), rtol=1e-12
    )


@pytest.mark.parametrize("d", [-1.0, -2.0])
def test_depreciation_at_or_below_minus_one_is_refused(d):
    with pytest.raises(ValidationError, match="vnd_depreciation must be above -1"):
        market.Settings(base_value=10.0, growth=0.1, vnd_depreciation=d)
    s = market.Settings(base_value=10.0, growth=0.1, vnd_depreciation="d")
    with pytest.raises(InputError, match=r"vnd_depreciation must be above -1 .* in every draw"):
        market.start(s, {"d": np.array([0.02, d])}, 2)


@pytest.mark.parametrize("f", [0.0, -0.5])
def test_definition_factor_not_above_zero_is_refused(f):
    with pytest.raises(ValidationError, match="definition_factor must be above 0"):
        market.Settings(base_value=10.0, growth=0.1, definition_factor=f)
    s = market.Settings(base_value=10.0, growth=0.1, definition_factor="f")
    with pytest.raises(InputError, match="definition_factor must be above 0 in every draw"):
        market.start(s, {"f": np.array([1.0, f])}, 2)


@pytest.mark.parametrize("name", ["vnd_depreciation", "definition_factor", "growth"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_values_are_refused(name, bad):
    with pytest.raises(ValidationError, match="finite number"):
        market.Settings(**{"base_value": 10.0, "growth": 0.1, name: bad})
    s = market.Settings(**{"base_value": 10.0, "growth": 0.1, name: "x"})
    with pytest.raises(InputError, match=f"market {name} must be a finite number in every draw"):
        market.start(s, {"x": np.array([0.1, bad])}, 2)


def test_new_settings_carry_units_and_plausible_ranges():
    fields = market.Settings.model_json_schema()["properties"]
    assert fields["vnd_depreciation"]["unit"] == "share/yr"
    assert fields["definition_factor"]["unit"] == "1"
    low, high = fields["vnd_depreciation"]["plausible"]
    assert low < 0 < high  # a rising VND is possible, and 0 (the default) is plausible
    low, high = fields["definition_factor"]["plausible"]
    assert low < 1 < high


# --- the baseline against the ICT sector's observed years ------------------------------------


@pytest.fixture(scope="module")
def baseline_run() -> tuple[Scenario, xr.Dataset]:
    data, *_ = read_scenario(ROOT / "scenarios" / "baseline.yaml")
    data = copy.deepcopy(data)
    scenario = Scenario.model_validate(data)
    return scenario, simulate(scenario, 400)


@pytest.mark.parametrize("year", [2023, 2024])
def test_baseline_vnd_growth_contains_the_ict_sectors_observed_year(baseline_run, year):
    """The information-and-communications sector is broader than the IT application market, so
    its growth is evidence of how much a year can swing, not of the market's level: a baseline
    whose central 95 % excluded it would claim more certainty than the sector has shown."""
    scenario, ds = baseline_run
    obs = datasets.load_observations()
    row = obs[(obs.series == "ict_sector_revenue_growth") & (obs.period_end.dt.year == year)]
    assert len(row) == 1 and row.unit.item() == "share/yr"
    observed = float(row.value.item())
    # the observation is in VND: undo the exchange-rate term, draw by draw
    name = scenario.market.vnd_depreciation
    assert isinstance(name, str), "the baseline should state the depreciation as an input"
    usd = ds.market_growth.sel(year=year).values
    vnd = (1 + usd) * (1 + ds.inputs.sel(input=name).values) - 1
    low, high = np.quantile(vnd, [0.025, 0.975])
    assert low < observed < high, (year, observed, low, high)
