"""Tests for the online-dossiers adoption block."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydantic import ValidationError
from scipy.special import expit, logit
from vnsim.analysis.summary import summarise
from vnsim.blocks import dossiers as d
from vnsim.blocks.block import Draws, Effects
from vnsim.errors import InputError
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import Scenario, load_scenario, read_scenario
from vnsim.uncertainty import Streams

N_SERIES = len(d.SERIES)


def _settings() -> d.Settings:
    """Settings whose every series reads its values from the uncertain inputs ``<name>_*``."""
    return d.Settings(
        **{
            name: d.Series(
                base_value=f"{name}_base",
                ceiling=f"{name}_ceiling",
                rate=f"{name}_rate",
                source="test",
            )
            for name in d.SERIES
        }
    )


def _inputs(base: np.ndarray, ceiling: np.ndarray, rate: np.ndarray) -> dict[str, np.ndarray]:
    """Inputs for :func:`_settings` from arrays of shape ``(draw, series)``."""
    out = {}
    for k, name in enumerate(d.SERIES):
        out[f"{name}_base"] = base[:, k]
        out[f"{name}_ceiling"] = ceiling[:, k]
        out[f"{name}_rate"] = rate[:, k]
    return out


def _run(base, ceiling, rate, shifts, jumps) -> np.ndarray:
    """Shares after each year, shape ``(year, draw, series)`` (year 0 = base)."""
    state = d.start(_settings(), _inputs(base, ceiling, rate), base.shape[0])
    out = [d.shares(state)]
    for shift, jump in zip(shifts, jumps, strict=True):
        state = d.advance(state, shift, jump)
        out.append(d.shares(state))
    return np.array(out)


unit = st.floats(0.0, 1.0)
ceilings = st.floats(0.0, 1.0, exclude_min=True)
finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def scenarios(draw):
    n_draws = draw(st.integers(1, 3))
    n_years = draw(st.integers(1, 40))
    shape = (n_draws, N_SERIES)
    ceiling = draw(hnp.arrays(float, shape, elements=ceilings))
    base = draw(hnp.arrays(float, shape, elements=unit)) * ceiling  # <= ceiling exactly
    rate = draw(hnp.arrays(float, shape, elements=st.floats(-1e6, 1e6)))
    shifts = draw(hnp.arrays(float, (n_years, *shape), elements=finite))
    jumps = draw(hnp.arrays(float, (n_years, *shape), elements=unit))
    return base, ceiling, rate, shifts, jumps


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_shares_stay_between_zero_and_ceiling(case):
    base, ceiling, rate, shifts, jumps = case
    path = _run(base, ceiling, rate, shifts, jumps)
    assert np.all(np.isfinite(path))
    assert np.all(path >= 0.0)
    assert np.all(path <= ceiling)


@settings(max_examples=100, deadline=None)
@given(
    base_u=st.floats(0.01, 0.99),
    ceiling=st.floats(0.05, 1.0),
    rate=st.floats(-2.0, 2.0),
    shift=st.floats(0.01, 3.0),
    jump=st.floats(0.01, 1.0),
)
def test_positive_shift_and_jump_raise_the_share(base_u, ceiling, rate, shift, jump):
    base = np.full((1, N_SERIES), base_u * ceiling)
    m = np.full((1, N_SERIES), ceiling)
    r = np.full((1, N_SERIES), rate)
    zeros = np.zeros((3, 1, N_SERIES))
    plain = _run(base, m, r, zeros, zeros)[-1]
    shifted = _run(base, m, r, zeros + shift, zeros)[-1]
    jumped = _run(base, m, r, zeros, zeros + jump)[-1]
    # strictly higher unless already at the ceiling within float precision
    assert np.all((shifted > plain) | np.isclose(plain, m, rtol=0, atol=1e-12))
    assert np.all((jumped > plain) | np.isclose(plain, m, rtol=0, atol=1e-12))
    assert np.all(jumped <= m) and np.all(shifted <= m)


def test_jump_of_one_reaches_the_ceiling_and_zero_jump_does_nothing():
    base = np.array([[0.1, 0.2, 0.3, 0.0]])
    m = np.array([[0.9, 0.95, 0.8, 0.7]])
    r = np.array([[0.3, -0.5, 0.0, 0.4]])
    zeros = np.zeros((1, 1, N_SERIES))
    assert np.array_equal(_run(base, m, r, zeros, zeros + 1.0)[-1], m)
    # a jump closes its fraction of the gap left after the year's logistic step
    stepped = _run(base, m, r, zeros, zeros)[-1]
    half = _run(base, m, r, zeros, zeros + 0.5)[-1]
    np.testing.assert_allclose(half, stepped + 0.5 * (m - stepped), rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    base_u=st.floats(0.0, 1.0),
    ceiling=st.floats(0.05, 1.0),
    rate=st.floats(-1.5, 1.5),
    years=st.integers(1, 30),
)
def test_no_shock_path_is_the_closed_form_logistic(base_u, ceiling, rate, years):
    base = np.full((1, N_SERIES), base_u * ceiling)
    m = np.full((1, N_SERIES), ceiling)
    r = np.full((1, N_SERIES), rate)
    zeros = np.zeros((years, 1, N_SERIES))
    path = _run(base, m, r, zeros, zeros)[:, 0, 0]
    t = np.arange(years + 1)
    expected = ceiling * expit(logit(base[0, 0] / ceiling) + rate * t)
    # the block keeps the share, not its logit: a share within ~1e-16 of its ceiling loses a
    # few 1e-9 to float round trips over the years (seen: 3.7e-9 after 13 years)
    np.testing.assert_allclose(path, expected, rtol=1e-9, atol=1e-8)
    np.testing.assert_array_equal(d.adoption_path(base[0, 0], ceiling, rate, t), expected)


def test_draws_are_independent():
    rng = np.random.default_rng(7)
    n, years = 6, 8
    m = rng.uniform(0.5, 1.0, (n, N_SERIES))
    base = rng.uniform(0, 1, (n, N_SERIES)) * m
    r = rng.normal(0.3, 0.2, (n, N_SERIES))
    shifts = rng.normal(0, 0.5, (years, n, N_SERIES))
    jumps = rng.uniform(0, 0.3, (years, n, N_SERIES))
    full = _run(base, m, r, shifts, jumps)
    # change every draw except draw 2; its path must not move by a single bit
    others = np.arange(n) != 2
    m2, base2, r2 = m.copy(), base.copy(), r.copy()
    m2[others] = 0.99
    base2[others] = 0.01
    r2[others] = -3.0
    shifts2, jumps2 = shifts.copy(), jumps.copy()
    shifts2[:, others] = 5.0
    jumps2[:, others] = 0.9
    changed = _run(base2, m2, r2, shifts2, jumps2)
    assert np.array_equal(full[:, 2], changed[:, 2])
    alone = _run(base[2:3], m[2:3], r[2:3], shifts[:, 2:3], jumps[:, 2:3])
    assert np.array_equal(full[:, 2], alone[:, 0])


def test_start_uses_settings_numbers_and_rejects_bad_draws():
    s = d.Settings()
    state = d.start(s, {}, 4)
    assert d.shares(state).shape == (4, N_SERIES)
    np.testing.assert_allclose(d.shares(state)[:, 0], s.admin_fully_online.base_value)
    bad = _settings()
    base = np.full((2, N_SERIES), 0.5)
    ceiling = np.array([[0.9] * N_SERIES, [0.4] * N_SERIES])  # second draw: base above ceiling
    with pytest.raises(ValueError, match="base_value"):
        d.start(bad, _inputs(base, ceiling, np.zeros_like(base)), 2)
    with pytest.raises(ValueError, match="jump"):
        d.advance(state, np.zeros((4, N_SERIES)), np.full((4, N_SERIES), 1.5))
    with pytest.raises(ValueError, match="shape"):
        d.advance(state, np.zeros((3, N_SERIES)), np.zeros((4, N_SERIES)))


def test_settings_schema_is_closed_and_checks_fixed_numbers():
    with pytest.raises(ValidationError):
        d.Series(base_value=0.5, ceiling=0.4, rate=0.3, source="x")
    with pytest.raises(ValidationError):
        d.Series(base_value=0.1, ceiling=1.2, rate=0.3, source="x")
    with pytest.raises(ValidationError):
        d.Settings.model_validate({"admin_fully_online": {"base_value": 0.1}, "typo": 1})
    schema = d.Settings.model_json_schema()
    assert schema["$defs"]["Series"]["properties"]["rate"]["unit"] == "1/yr"


# --- two-tier local government: the district level ends, the communes merge ---------------

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scenarios"


@st.composite
def merger_states(draw):
    """A state of a few draws (shares within their ceilings) and a merger weight per draw."""
    n = draw(st.integers(1, 4))
    shape = (n, N_SERIES)
    ceiling = draw(hnp.arrays(float, shape, elements=ceilings))
    progress = draw(hnp.arrays(float, shape, elements=unit))
    rate = draw(hnp.arrays(float, shape, elements=st.floats(-2.0, 2.0)))
    weight = draw(hnp.arrays(float, (n,), elements=unit))
    return d.DossierState(progress=progress, ceiling=ceiling, rate=rate), weight


@settings(max_examples=200, deadline=None)
@given(merger_states())
def test_merger_mixes_commune_and_district_shares_and_ceilings(case):
    state, w = case
    before = d.shares(state)
    merged = d.merge_communes(state, w)
    after = d.shares(merged)
    c, k = d.COMMUNE, d.DISTRICT
    expected = (1 - w) * before[:, c] + w * before[:, k]
    np.testing.assert_allclose(after[:, c], expected, rtol=1e-12, atol=1e-15)
    # (atol: a mean of subnormal ceilings may round to 0; the block keeps it positive)
    mixed = (1 - w) * state.ceiling[:, c] + w * state.ceiling[:, k]
    np.testing.assert_allclose(merged.ceiling[:, c], mixed, rtol=1e-15, atol=1e-300)
    assert np.all(merged.ceiling > 0)
    assert np.all((merged.progress >= 0) & (merged.progress <= 1))
    others = [i for i in range(N_SERIES) if i != c]
    assert np.array_equal(merged.progress[:, others], state.progress[:, others])
    assert np.array_equal(merged.ceiling[:, others], state.ceiling[:, others])
    assert np.array_equal(merged.rate, state.rate)
    # weight 0 leaves the communes as they were
    np.testing.assert_allclose(d.shares(d.merge_communes(state, w * 0))[:, c], before[:, c])


def test_merger_refuses_weights_outside_the_unit_interval():
    state = d.start(d.Settings(), {}, 2)
    with pytest.raises(ValueError, match="weight"):
        d.merge_communes(state, np.array([0.2, 1.5]))
    with pytest.raises(ValueError, match="shape"):
        d.merge_communes(state, np.array([0.2]))


def _block_path(settings: d.Settings, years: np.ndarray, n: int = 3) -> np.ndarray:
    """The block's observed shares by year with no lever, ``(year, draw, series)``."""
    draws = Draws(inputs={}, streams=Streams(0, 0, n), years=years)
    no_levers = Effects(years, (), np.zeros((n, len(years), 0)))
    state = d.BLOCK.start(settings, draws)
    out = [d.observed_shares(state, settings.two_tier.year)]
    for year in years[1:]:
        state = d.BLOCK.step(settings, state, int(year), no_levers, draws)
        out.append(d.observed_shares(state, settings.two_tier.year))
    return np.array(out)


@pytest.mark.parametrize("merger", [2025, 2027])
def test_commune_break_is_applied_once_in_the_merger_year(merger):
    years = np.arange(2022, 2031)
    w = 0.4
    s = d.Settings(two_tier=d.TwoTier(year=merger, district_task_share=w))
    path = _block_path(s, years)
    plain = _block_path(s.model_copy(update={"two_tier": d.TwoTier(year=2100)}), years)
    i = int(merger - years[0])
    c, k = d.COMMUNE, d.DISTRICT
    # before the merger the communes follow their own logistic path
    np.testing.assert_array_equal(path[:i, :, c], plain[:i, :, c])
    # in the merger year: the stated mix of the year's commune and district shares
    expected = (1 - w) * plain[i, :, c] + w * plain[i, :, k]
    np.testing.assert_allclose(path[i, :, c], expected, rtol=1e-12)
    # after it: the closed-form logistic from the merged share, toward the mixed ceiling, at the
    # commune's own rate; a second merger would move it off this path
    m = (1 - w) * s.commune.ceiling + w * s.district.ceiling
    t = years[i:] - merger
    closed = d.adoption_path(path[i, 0, c], m, s.commune.rate, t)
    np.testing.assert_allclose(path[i:, 0, c], closed, rtol=1e-10)
    # the district series ends with the merger year
    assert np.isfinite(path[: i + 1, :, k]).all()
    assert np.isnan(path[i + 1 :, :, k]).all()
    others = [j for j in range(N_SERIES) if j not in (c, k)]
    np.testing.assert_array_equal(path[:, :, others], plain[:, :, others])


def test_a_run_from_after_the_merger_has_no_break_and_no_district():
    years = np.arange(2026, 2031)
    s = d.Settings(two_tier=d.TwoTier(district_task_share=0.5))
    path = _block_path(s, years)
    assert np.isnan(path[:, :, d.DISTRICT]).all()
    closed = d.adoption_path(s.commune.base_value, s.commune.ceiling, s.commune.rate, years - 2026)
    np.testing.assert_allclose(path[:, 0, d.COMMUNE], closed, rtol=1e-10)


@pytest.fixture(scope="module")
def engine_run() -> xr.Dataset:
    return simulate(load_scenario(FIXTURES / "engine.yaml"), 64, 3)


def test_real_run_has_district_values_up_to_2025_and_none_after(engine_run):
    district = engine_run.dossiers_online.sel(level="district")
    assert district.sel(year=slice(None, 2025)).notnull().all()
    assert district.sel(year=slice(2026, None)).isnull().all()
    assert engine_run.dossiers_online.sel(level=["ministry_province", "commune"]).notnull().all()
    # the summary lists the district level up to 2025 only, with finite quantiles
    summary = summarise(engine_run)
    rows = summary[(summary.variable == "dossiers_online") & (summary.level == "district")]
    assert list(rows.time) == [2022, 2023, 2024, 2025]
    assert np.isfinite(rows[["mean", "p05", "p50", "p95"]].to_numpy()).all()


def test_abolition_year_is_read_from_the_scenario():
    data, *_ = read_scenario(FIXTURES / "engine.yaml")
    data.setdefault("dossiers", {})["two_tier"] = {"year": 2027, "district_task_share": 0.2}
    ds = simulate(Scenario.model_validate(data), 16, 3)
    district = ds.dossiers_online.sel(level="district")
    assert district.sel(year=slice(None, 2027)).notnull().all()
    assert district.sel(year=slice(2028, None)).isnull().all()


def test_results_check_accepts_nan_only_where_the_district_has_ended(engine_run):
    from vnsim.core.planning import plan
    from vnsim.run import executors

    scenario = load_scenario(FIXTURES / "engine.yaml")
    p = plan(scenario, 4, 3)
    arrays = {
        k: v.values[:4].copy() if "draw" in v.dims else v.values for k, v in engine_run.items()
    }
    executors.check_results(p, 0, arrays)
    arrays["dossiers_online"][1, 3, 1] = np.nan  # district in 2025: still exists
    with pytest.raises(InputError, match=r"dossiers_online is nan \(year 2025, level district\)"):
        executors.check_results(p, 0, arrays)


def _child(tmp_path: Path, body: str) -> Path:
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", tmp_path / "baseline.yaml")
    path = tmp_path / "child.yaml"
    path.write_text(f"extends: baseline.yaml\nname: child\n{body}", encoding="utf-8")
    return path


def _validate(path: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "vnsim.cli", "validate", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=path.parent)


def test_validate_refuses_a_district_trigger_after_abolition(tmp_path):
    path = _child(
        tmp_path,
        "levers:\n"
        "  district_push:\n"
        "    source: test\n"
        "    start: 2027\n"
        "    trigger: {variable: dossiers.district, year: 2026, below: 0.9}\n"
        "    effects:\n"
        "      - {target: dossiers.commune.rate, size: 0.1}\n",
    )
    done = _validate(path)
    assert done.returncode == 2, done.stderr
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "trigger:" in t)
    assert f"child.yaml:{line}: levers.district_push.trigger.year:" in done.stderr
    assert "dossiers.district has no value after 2025" in done.stderr
    assert "warning" not in done.stderr and "Traceback" not in done.stderr
    # the same trigger in 2025, the level's last year, is fine
    path.write_text(path.read_text().replace("year: 2026", "year: 2025"), encoding="utf-8")
    assert _validate(path).returncode == 0


def test_validate_warns_about_a_district_effect_only_after_abolition(tmp_path):
    body = (
        "levers:\n"
        "  late:\n"
        "    source: test\n"
        "    schedule: {2026: 1.0}\n"
        "    effects:\n"
        "      - {target: dossiers.district.rate, size: 0.1}\n"
        "      - {target: dossiers.commune.rate, size: 0.1}\n"
    )
    path = _child(tmp_path, body)
    done = _validate(path)
    assert done.returncode == 0 and "ok (1 warning)" in done.stdout
    assert "levers.late.effects[0].target: warning: dossiers.district.rate acts only" in done.stderr
    assert "effects[1]" not in done.stderr
    # an effect that also acts up to 2025 is not warned about, nor is a lag that moves it past
    path.write_text(path.read_text().replace("2026: 1.0", "2025: 1.0"), encoding="utf-8")
    assert load_scenario(path).warnings == ()
    lagged_body = body.replace("2026: 1.0", "2025: 1.0").replace(
        "size: 0.1}", "size: 0.1, lag: 1}", 1
    )
    path.write_text(f"extends: baseline.yaml\nname: child\n{lagged_body}", encoding="utf-8")
    assert [w.field for w in load_scenario(path).warnings] == ["levers.late.effects[0].target"]
