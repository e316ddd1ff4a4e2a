"""Lever schedules, lags and triggers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from vnsim.spec.levers import Lever, Trigger, combine_jumps, fires, lagged, planned_intensity

YEARS = np.arange(2022, 2031)
EFFECT = [{"target": "market.growth", "size": 0.01}]


def lever(**kw) -> Lever:
    return Lever(source="assumption: test", effects=EFFECT, **kw)


def at(values: np.ndarray, year: int) -> float:
    return float(values[list(YEARS).index(year)])


def test_step_schedule_holds_each_value_until_the_next():
    got = planned_intensity(lever(schedule={2023: 0.5, 2026: 1.0}), YEARS)
    expected = [0, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1]
    np.testing.assert_allclose(got, expected)


def test_linear_schedule_interpolates_between_dates():
    got = planned_intensity(lever(schedule={2023: 0.2, 2027: 1.0}, interpolation="linear"), YEARS)
    expected = [0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0]
    np.testing.assert_allclose(got, expected)


def test_empty_schedule_is_one_from_the_base_year():
    np.testing.assert_allclose(planned_intensity(lever(), YEARS), np.ones(len(YEARS)))


def test_start_and_end():
    got = planned_intensity(lever(start=2024, end=2027), YEARS)
    np.testing.assert_allclose(got, [0, 0, 1, 1, 1, 1, 0, 0, 0])


def test_explicit_start_before_the_first_dated_value_is_zero_until_that_value():
    got = planned_intensity(lever(start=2023, schedule={2025: 0.8}), YEARS)
    np.testing.assert_allclose(got, [0, 0, 0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])


def test_ramp_reaches_full_intensity_after_ramp_years():
    got = planned_intensity(lever(start=2024, ramp=4), YEARS)
    np.testing.assert_allclose(got, [0, 0, 0.25, 0.5, 0.75, 1, 1, 1, 1])


def test_ramp_multiplies_the_schedule():
    got = planned_intensity(lever(schedule={2022: 0.5, 2024: 1.0}, ramp=2), YEARS)
    np.testing.assert_allclose(got, [0.25, 0.5, 1, 1, 1, 1, 1, 1, 1])


def test_scale_multiplies_everything():
    lv = lever(schedule={2023: 0.5, 2026: 1.0}, ramp=2)
    np.testing.assert_allclose(
        planned_intensity(lv, YEARS, scale=1.7), 1.7 * planned_intensity(lv, YEARS)
    )
    np.testing.assert_allclose(planned_intensity(lv, YEARS, scale=0.0), 0.0)


def test_start_override_shifts_schedule_and_end():
    lv = lever(schedule={2023: 0.5, 2025: 1.0}, end=2027)
    base = planned_intensity(lv, YEARS)
    later = planned_intensity(lv, YEARS, start=2025)
    np.testing.assert_allclose(later[2:], base[:-2])
    np.testing.assert_allclose(later[:2], 0.0)
    assert at(later, 2029) == 1.0 and at(later, 2030) == 0.0  # end moved from 2027 to 2029
    earlier = planned_intensity(lv, YEARS, start=2022)
    np.testing.assert_allclose(earlier[:-1], base[1:])


def test_start_override_on_lever_without_schedule():
    got = planned_intensity(lever(), YEARS, start=2026)
    np.testing.assert_allclose(got, [0, 0, 0, 0, 1, 1, 1, 1, 1])


def test_start_override_with_explicit_start():
    lv = lever(start=2024, ramp=2)
    np.testing.assert_allclose(
        planned_intensity(lv, YEARS, start=2027), [0, 0, 0, 0, 0, 0.5, 1, 1, 1]
    )


def test_lagged_shifts_along_the_last_axis():
    x = np.arange(1.0, 13.0).reshape(3, 4)
    np.testing.assert_array_equal(lagged(x, 0), x)
    np.testing.assert_array_equal(lagged(x, 1), [[0, 1, 2, 3], [0, 5, 6, 7], [0, 9, 10, 11]])
    np.testing.assert_array_equal(lagged(x, 3)[:, :3], 0.0)
    np.testing.assert_array_equal(lagged(x, 3)[:, 3], x[:, 0])
    assert lagged(x, 2).shape == x.shape


def test_lag_beyond_the_horizon_gives_zeros():
    np.testing.assert_array_equal(lagged(np.ones((2, 3)), 5), 0.0)


def test_fires_below_and_above():
    values = np.array([0.1, 0.4, 0.45, 0.9])
    below = Trigger(variable="dossiers.commune", year=2023, below=0.45)
    above = Trigger(variable="dossiers.commune", year=2023, above=0.4)
    np.testing.assert_array_equal(fires(below, values), [True, True, False, False])
    np.testing.assert_array_equal(fires(above, values), [False, False, True, True])


def test_trigger_needs_exactly_one_bound():
    with pytest.raises(ValidationError, match="exactly one"):
        Trigger(variable="dossiers.commune", year=2023)
    with pytest.raises(ValidationError, match="exactly one"):
        Trigger(variable="dossiers.commune", year=2023, below=0.4, above=0.2)


def test_trigger_must_come_before_the_lever_starts():
    trig = {"variable": "dossiers.commune", "year": 2024, "below": 0.4}
    with pytest.raises(ValidationError, match="must be before"):
        lever(start=2024, trigger=trig)
    with pytest.raises(ValidationError, match="needs a 'start'"):
        lever(trigger=trig)
    assert lever(start=2025, trigger=trig).first_year() == 2025


def test_end_before_start_is_refused():
    with pytest.raises(ValidationError, match="before the first year"):
        lever(start=2026, end=2025)


def test_lever_needs_an_effect_and_bounded_intensity():
    with pytest.raises(ValidationError):
        Lever(source="x", effects=[])
    with pytest.raises(ValidationError):
        lever(schedule={2022: -0.5})


schedules = st.dictionaries(
    st.integers(2015, 2035), st.floats(0.0, 10.0, allow_nan=False), max_size=5
)


@settings(max_examples=150, deadline=None)
@given(
    schedule=schedules,
    interpolation=st.sampled_from(["step", "linear"]),
    start=st.one_of(st.none(), st.integers(2015, 2035)),
    ramp=st.integers(0, 6),
    scale=st.floats(0.0, 5.0, allow_nan=False),
    start_override=st.one_of(st.none(), st.integers(2015, 2035)),
)
def test_intensity_is_non_negative_and_zero_before_the_first_year(
    schedule, interpolation, start, ramp, scale, start_override
):
    lv = lever(schedule=schedule, interpolation=interpolation, start=start, ramp=ramp)
    years = np.arange(2010, 2041)
    got = planned_intensity(lv, years, scale=scale, start=start_override)
    assert got.shape == years.shape
    assert np.all(np.isfinite(got)) and np.all(got >= 0)
    assert np.all(got <= scale * max([1.0, *schedule.values()]) + 1e-12)
    first = start_override if start_override is not None else lv.first_year()
    if first is None:
        first = int(years[0])
    assert np.all(got[years < first] == 0)
    if schedule and interpolation == "step" and ramp == 0 and scale > 0 and start is None:
        # from the first dated value on, a step schedule shows the dated values themselves
        shift = first - min(schedule)
        for year, value in schedule.items():
            if years[0] <= year + shift <= years[-1]:
                assert got[years == year + shift][0] == pytest.approx(scale * value)


def test_combine_jumps_is_order_free_and_bounded():
    a, b = np.array([0.2, 1.0, 0.0]), np.array([0.5, 0.3, 0.0])
    np.testing.assert_allclose(combine_jumps([a, b]), [0.6, 1.0, 0.0])
    np.testing.assert_array_equal(combine_jumps([a, b]), combine_jumps([b, a]))


# --- fitting ---------------------------------------------------------------------------------
