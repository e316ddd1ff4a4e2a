"""The engine: clock and phases, triggers, overrides, reproducibility and the results contract.

Scenarios come from ``tests/fixtures/scenarios`` or from the shipped baseline, with few draws,
so the whole file stays fast.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from vnsim import datasets
from vnsim.core.engine import PHASE
from vnsim.core.planning import plan
from vnsim.run.simulate import simulate
from vnsim.spec.levers import planned_intensity
from vnsim.spec.scenario import Scenario, load_scenario, read_scenario

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scenarios"
DRAWS = 128
SEED = 11


def raw(path: Path) -> dict:
    data, *_ = read_scenario(path)
    return copy.deepcopy(data)


def scenario(data: dict) -> Scenario:
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def engine_scenario() -> Scenario:
    return load_scenario(FIXTURES / "engine.yaml")


@pytest.fixture(scope="module")
def run(engine_scenario) -> xr.Dataset:
    return simulate(engine_scenario, DRAWS, SEED)


@pytest.fixture(scope="module")
def run_without_mandate() -> xr.Dataset:
    data = raw(FIXTURES / "engine.yaml")
    del data["levers"]["mandate"]  # its uncertain input stays, so the design is unchanged
    return simulate(scenario(data), DRAWS, SEED)


def without_attr(ds: xr.Dataset, *names: str) -> xr.Dataset:
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k not in names}
    return out


# --- the clock ------------------------------------------------------------------------------


def test_yearly_clock_from_base_year_to_end_year(run, engine_scenario):
    h = engine_scenario.horizon
    np.testing.assert_array_equal(run.year, np.arange(h.base_year, h.end_year + 1))
    assert run.market_size.notnull().all()
    assert run.market_growth.sel(year=h.base_year).isnull().all()
    assert run.market_growth.sel(year=slice(h.base_year + 1, None)).notnull().all()
    assert run.admin_fully_online.notnull().all()
    # the district level ends with the two-tier reform (2025): NaN after it, and only there
    last = engine_scenario.dossiers.two_tier.year
    district = run.dossiers_online.sel(level="district")
    assert district.sel(year=slice(None, last)).notnull().all()
    assert district.sel(year=slice(last + 1, None)).isnull().all()
    assert run.dossiers_online.drop_sel(level="district").notnull().all()
    # growth is the year-on-year change of the size
    size = run.market_size.values
    np.testing.assert_allclose(run.market_growth.values[:, 1:], size[:, 1:] / size[:, :-1] - 1)


def test_editions_start_with_the_last_observed_survey(run, engine_scenario):
    surveys = datasets.load_surveys()
    origin = int(surveys.survey_year.max())
    end = engine_scenario.horizon.end_year
    assert list(run.edition.values) == [origin, *datasets.editions_after(origin, end)]
    observed = surveys[surveys.survey_year == origin].set_index("iso3")
    vnm = run.sel(country="VNM", edition=origin)
    for k in ("osi", "tii", "hci", "egdi"):
        np.testing.assert_allclose(vnm[k].values, observed.loc["VNM", k], atol=1e-6)
    assert (vnm.egdi_rank == observed.loc["VNM", "egdi_rank"]).all()


def test_phases_are_ordered_blocks_triggers_survey():
    assert PHASE["year"] < PHASE["trigger"] < PHASE["edition"] < 1


def test_trigger_sees_the_value_of_its_own_year(run, engine_scenario):
    trig = engine_scenario.levers["mandate"].trigger
    commune = run.dossiers_online.sel(level="commune")
    at_year = (commune.sel(year=trig.year) < trig.below).values
    before = (commune.sel(year=trig.year - 1) < trig.below).values
    fired = run.trigger_fired.sel(lever="mandate").values
    assert 0.1 < fired.mean() < 0.9, "the test needs draws on both sides of the threshold"
    assert np.any(at_year != before), "the test must tell this year's value from last year's"
    np.testing.assert_array_equal(fired, at_year)
    np.testing.assert_array_equal(
        run.trigger_year.sel(lever="mandate").values, np.where(fired, trig.year, -1)
    )
    assert run.trigger_year.dtype == np.int16


def test_intensity_is_zero_where_the_trigger_did_not_fire(run, engine_scenario):
    fired = run.trigger_fired.sel(lever="mandate").values
    planned = planned_intensity(engine_scenario.levers["mandate"], run.year.values)
    got = run.lever_intensity.sel(lever="mandate").values
    np.testing.assert_array_equal(got[fired], np.broadcast_to(planned, got[fired].shape))
    np.testing.assert_array_equal(got[~fired], 0.0)
    # untriggered levers: always fired, never a trigger year
    assert run.trigger_fired.sel(lever="skills").all()
    assert (run.trigger_year.sel(lever="skills") == -1).all()


def test_draws_where_trigger_did_not_fire_equal_a_run_without_the_lever(run, run_without_mandate):
    """Issue 4 "Done when": a conditional lever changes nothing in draws where it did not fire."""
    fired = run.trigger_fired.sel(lever="mandate").values
    quiet, loud = ~fired, fired
    for name in ("dossiers_online", "admin_fully_online", "market_size", "egdi", "egdi_rank"):
        a, b = run[name].values, run_without_mandate[name].values
        np.testing.assert_array_equal(a[quiet], b[quiet], err_msg=name)
    np.testing.assert_array_equal(run.inputs.values, run_without_mandate.inputs.values)
    # where it fired, the mandate raised the commune share from its start year on
    ca = run.dossiers_online.sel(level="commune")
    cb = run_without_mandate.dossiers_online.sel(level="commune")
    assert (ca.sel(year=slice(None, 2024))[loud] == cb.sel(year=slice(None, 2024))[loud]).all()
    assert (ca.sel(year=2025)[loud] > cb.sel(year=2025)[loud]).all()


def test_baseline_commune_mandate_changes_only_the_draws_where_it_fired():
    """The same check on the shipped baseline."""
    data = raw(ROOT / "scenarios" / "baseline.yaml")
    name = "commune_mandate"
    assert data["levers"][name]["trigger"]["variable"] == "dossiers.commune"
    with_lever = simulate(scenario(data), 96, 5)
    del data["levers"][name]
    without = simulate(scenario(data), 96, 5)
    fired = with_lever.trigger_fired.sel(lever=name).values
    year = with_lever.trigger_year.sel(lever=name).values
    trig = with_lever.dossiers_online.sel(level="commune", year=2023).values
    assert 0 < fired.mean() < 1, "the test needs draws where it fired and where it did not"
    np.testing.assert_array_equal(fired, trig < 0.45)
    np.testing.assert_array_equal(year[fired], 2023)
    for var in ("dossiers_online", "admin_fully_online", "market_size", "egdi_rank"):
        np.testing.assert_array_equal(with_lever[var].values[~fired], without[var].values[~fired])


# --- overrides ------------------------------------------------------------------------------


def test_lever_scale_changes_only_that_lever(engine_scenario, run):
    scaled = simulate(engine_scenario, DRAWS, SEED, lever_scale={"skills": 2.0})
    np.testing.assert_allclose(
        scaled.lever_intensity.sel(lever="skills"), 2.0 * run.lever_intensity.sel(lever="skills")
    )
    np.testing.assert_array_equal(
        scaled.lever_intensity.sel(lever="mandate"), run.lever_intensity.sel(lever="mandate")
    )
    # skills acts on market growth (+0.01 per unit, lag 1): only the market moves
    xr.testing.assert_equal(scaled.dossiers_online, run.dossiers_online)
    ratio = (scaled.market_size / run.market_size).sel(year=2030)
    np.testing.assert_allclose(
        ratio,
        np.exp(0.01 * run.lever_intensity.sel(lever="skills", year=slice(2022, 2029)).sum("year")),
        rtol=1e-10,
    )


def test_lever_scale_zero_is_the_same_as_no_lever(engine_scenario):
    zero = simulate(engine_scenario, 64, SEED, lever_scale={"skills": 0.0})
    data = raw(FIXTURES / "engine.yaml")
    del data["levers"]["skills"]
    none = simulate(scenario(data), 64, SEED)
    xr.testing.assert_equal(zero.market_size, none.market_size)
    xr.testing.assert_equal(zero.dossiers_online, none.dossiers_online)


def test_lever_start_moves_the_lever(engine_scenario, run):
    moved = simulate(engine_scenario, DRAWS, SEED, lever_start={"skills": 2026})
    got = moved.lever_intensity.sel(lever="skills")
    assert (got.sel(year=slice(None, 2025)) == 0).all()
    assert (got.sel(year=2026) == 0.5).all() and (got.sel(year=2028) == 1.0).all()
    # effect lag 1: the first year with lever growth was 2024 and is now 2027
    for year in (2022, 2023):
        xr.testing.assert_equal(moved.market_size.sel(year=year), run.market_size.sel(year=year))
    assert (moved.market_size.sel(year=2024) < run.market_size.sel(year=2024)).all()
    xr.testing.assert_equal(moved.dossiers_online, run.dossiers_online)


def test_inputs_override_is_used(engine_scenario):
    n = 32
    override = {"market_base": np.linspace(10.0, 20.0, n)}
    ds = simulate(engine_scenario, n, SEED, inputs=override)
    np.testing.assert_array_equal(ds.market_size.sel(year=2022), override["market_base"])
    np.testing.assert_array_equal(ds.inputs.sel(input="market_base"), override["market_base"])
    plain = simulate(engine_scenario, n, SEED)
    # other inputs keep their sampled values
    xr.testing.assert_equal(
        ds.inputs.sel(input="market_growth"), plain.inputs.sel(input="market_growth")
    )


def test_bad_overrides_are_refused(engine_scenario):
    with pytest.raises(KeyError, match="no lever"):
        plan(engine_scenario, 8, 1, lever_scale={"skils": 2.0})
    with pytest.raises(KeyError, match="no lever"):
        plan(engine_scenario, 8, 1, lever_start={"nope": 2025})
    with pytest.raises(KeyError, match="no uncertain input"):
        plan(engine_scenario, 8, 1, inputs={"nope": np.ones(8)})
    with pytest.raises(ValueError, match="shape"):
        plan(engine_scenario, 8, 1, inputs={"market_base": np.ones(9)})


# --- reproducibility ------------------------------------------------------------------------


def test_same_seed_gives_bit_identical_dataset(engine_scenario, run):
    again = simulate(engine_scenario, DRAWS, SEED)
    xr.testing.assert_identical(without_attr(again, "created"), without_attr(run, "created"))


def test_chunking_does_not_change_results(engine_scenario, run):
    chunked = simulate(engine_scenario, DRAWS, SEED, chunk_size=37)
    xr.testing.assert_identical(without_attr(chunked, "created"), without_attr(run, "created"))


def test_different_seed_gives_different_results(engine_scenario, run):
    other = simulate(engine_scenario, DRAWS, SEED + 1)
    for name in ("market_size", "dossiers_online", "egdi", "inputs"):
        assert not np.array_equal(other[name].values, run[name].values), name


def test_first_draws_do_not_depend_on_ensemble_size(engine_scenario):
    """Shocks are per draw; with fixed inputs a smaller ensemble is a prefix of a larger one."""
    data = raw(FIXTURES / "engine.yaml")
    for name, spec in data["uncertain"].items():
        value = spec["mean"] if "mean" in spec else (spec["low"] + spec["high"]) / 2
        data["uncertain"][name] = {
            "dist": "fixed",
            "value": value,
            "unit": spec["unit"],
            "source": spec["source"],
        }
    scn = scenario(data)
    small, large = simulate(scn, 40, SEED), simulate(scn, 300, SEED)
    for name in ("market_size", "dossiers_online", "egdi", "trigger_fired"):
        np.testing.assert_array_equal(small[name].values, large[name].values[:40], err_msg=name)


def test_scenario_seed_and_draws_are_the_defaults(engine_scenario):
    ds = simulate(engine_scenario)
    assert ds.sizes["draw"] == engine_scenario.ensemble.draws
    assert ds.attrs["seed"] == engine_scenario.ensemble.seed


# --- market closed form through the engine --------------------------------------------------


def test_market_through_the_engine_matches_the_closed_form():
    data = raw(FIXTURES / "base.yaml")
    data["uncertain"] = {}
    data["market"] = {"base_value": 12.0, "growth": 0.18, "shock_scale": 0.0}
    data["levers"] = {
        "push": {
            "source": "assumption: test",
            "effects": [{"target": "market.growth", "size": 0.02, "lag": 0}],
        }
    }
    ds = simulate(scenario(data), 8, 1)
    t = ds.year.values - ds.year.values[0]
    expected = 12.0 * (1.18 * np.exp(0.02)) ** t
    np.testing.assert_allclose(
        ds.market_size.values, np.broadcast_to(expected, (8, len(t))), rtol=1e-12
    )


# --- the results contract -------------------------------------------------------------------

CONTRACT = {
    "market_size": (("draw", "year"), np.float64, "USD bn"),
    "market_growth": (("draw", "year"), np.float64, "share/yr"),
    "osi": (("draw", "edition", "country"), np.float32, "index 0-1"),
    "tii": (("draw", "edition", "country"), np.float32, "index 0-1"),
    "hci": (("draw", "edition", "country"), np.float32, "index 0-1"),
    "egdi": (("draw", "edition", "country"), np.float32, "index 0-1"),
    "egdi_rank": (("draw", "edition", "country"), np.int16, "rank"),
    "asean_position": (("draw", "edition"), np.int16, None),
    "dossiers_online": (("draw", "year", "level"), np.float64, None),
    "admin_fully_online": (("draw", "year"), np.float64, None),
    "lever_intensity": (("draw", "year", "lever"), np.float64, "intensity"),
    "trigger_fired": (("draw", "lever"), np.bool_, None),
    "trigger_year": (("draw", "lever"), np.int16, None),
    "inputs": (("draw", "input"), np.float64, None),
}


def test_dataset_follows_the_contract(run, engine_scenario):
    for name, (dims, dtype, units) in CONTRACT.items():
        var = run[name]
        assert var.dims == dims, name
        assert var.dtype == dtype, name
        assert var.attrs.get("description"), name
        assert "units" in var.attrs, name
        if units is not None:
            assert var.attrs["units"] == units, name
    assert run.sizes["country"] == 193
    assert all(len(c) == 3 and c.isupper() for c in run.country.values)
    assert list(run.level.values) == ["ministry_province", "district", "commune"]
    assert list(run.lever.values) == list(engine_scenario.levers)
    assert list(run.input.values) == list(engine_scenario.uncertain)
    np.testing.assert_array_equal(run.draw, np.arange(DRAWS))
    for key in (
        "scenario",
        "scenario_hash",
        "seed",
        "draws",
        "sampler",
        "data_version",
        "data_editions",
        "package_version",
        "created",
    ):
        assert key in run.attrs, key
    assert run.attrs["scenario"] == engine_scenario.name
    assert run.attrs["scenario_hash"] == engine_scenario.content_hash()
    assert (run.attrs["seed"], run.attrs["draws"]) == (SEED, DRAWS)


def test_shares_and_indices_stay_in_range(run):
    for name in ("dossiers_online", "admin_fully_online", "osi", "tii", "hci", "egdi"):
        values = run[name]
        # NaN only where a series has ended (the district level): the clock test checks where
        assert ((values >= 0) & (values <= 1) | values.isnull()).all(), name
    assert (run.egdi_rank >= 1).all() and (run.egdi_rank <= 193).all()
    assert (run.asean_position >= 1).all() and (run.asean_position <= 10).all()


def test_dataset_attrs_name_the_scenario_file(run):
    assert "scenario_file" in run.attrs


def test_dossier_units_follow_the_contract_text(run):
    assert run.dossiers_online.attrs["units"] == "share 0-1"
    assert run.admin_fully_online.attrs["units"] == "share 0-1"


def test_lever_start_before_its_trigger_is_refused(engine_scenario):
    with pytest.raises(ValueError):
        plan(engine_scenario, 8, 1, lever_start={"mandate": 2023})


# --- TII effects given as a raw ITU indicator -------------------------------------------------


def test_indicator_effect_is_the_un_formula_times_the_change():
    """A lever raising internet users by x points a year moves VNM's TII by x times the UN
    formula's points per indicator point, exactly as a direct TII effect of that size would.
    The lever starts after the origin edition was assessed, so all of it is beyond the usual."""
    data = raw(FIXTURES / "base.yaml")
    data["levers"] = {
        "internet": {
            "source": "assumption: test lever",
            "schedule": {2022: 0.0, 2024: 1.0},
            "effects": [{"target": "egov.tii", "indicator": "internet_users", "size": 3.0}],
        }
    }
    by_indicator = simulate(scenario(data), 32, SEED)
    per_point = plan(scenario(data), 4, SEED).prepared["egov"].tii_points("internet_users_pct")
    assert 0 < per_point < 0.05
    data["levers"]["internet"]["effects"] = [{"target": "egov.tii", "size": 3.0 * per_point}]
    direct = simulate(scenario(data), 32, SEED)
    vnm = {"country": "VNM"}
    np.testing.assert_allclose(by_indicator.tii.sel(vnm), direct.tii.sel(vnm), atol=1e-6)
    data["levers"] = {}
    none = simulate(scenario(data), 32, SEED)
    later = {"country": "VNM", "edition": 2026}
    assert (by_indicator.tii.sel(later) > none.tii.sel(later)).all()


def test_indicator_effect_checks_its_unit_and_target(tmp_path):
    from vnsim.spec.documents import DocumentError

    text = (
        (FIXTURES / "base.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "      - {target: market.growth, size: 0.01, lag: 1}",
            "      - {target: egov.tii, indicator: fixed_broadband, size: market_growth}\n"
            "      - {target: market.growth, indicator: internet_users, size: 1.0}",
        )
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as err:
        load_scenario(path)
    report = err.value.report()
    assert "this field needs 'per 100/yr'" in report
    assert "applies to target egov.tii only" in report
    assert "indicator_sd" not in report  # every TII indicator is in the packaged data


def test_public_api_is_importable_from_the_package():
    import vnsim

    for name in vnsim.__all__:
        assert getattr(vnsim, name) is not None
    assert vnsim.simulate is simulate
    with pytest.raises(AttributeError):
        vnsim.no_such_name  # noqa: B018
