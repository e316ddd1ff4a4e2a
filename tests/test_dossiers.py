"""Tests for the online-dossiers adoption block."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydantic import ValidationError
from scipy.special import expit, logit
from vnsim.blocks import dossiers as d

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
