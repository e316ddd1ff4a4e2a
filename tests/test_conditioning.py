"""Tests of vnsim.core.conditioning: weights, ESS, systematic resampling, refusals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from vnsim.core import conditioning as cond
from vnsim.errors import InputError

finite_logs = hnp.arrays(
    float, st.integers(1, 60), elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False)
)


def conjugate(m0: float, s0: float, y: float, s: float) -> tuple[float, float]:
    """Posterior mean and sd of x ~ N(m0, s0), y | x ~ N(x, s)."""
    precision = 1 / s0**2 + 1 / s**2
    return (m0 / s0**2 + y / s**2) / precision, precision**-0.5


# --- a case with a known answer --------------------------------------------------------------


def test_normal_prior_and_likelihood_give_the_conjugate_posterior():
    m0, s0, y, s = 0.30, 0.08, 0.458, 0.05
    x = np.random.default_rng(1).normal(m0, s0, 40_000)
    out = cond.condition({"share": x}, [cond.Observation("share", y, s)], seed=7)
    mean, sd = conjugate(m0, s0, y, s)
    # Monte Carlo error of a weighted mean is about sd / sqrt(ESS); allow 4 of them
    se = sd / np.sqrt(out.ess)
    assert np.sum(out.weights * x) == pytest.approx(mean, abs=4 * se)
    weighted_sd = np.sqrt(np.sum(out.weights * (x - mean) ** 2))
    assert weighted_sd == pytest.approx(sd, rel=0.03)
    kept = x[out.indices]
    assert kept.mean() == pytest.approx(mean, abs=5 * se)
    assert kept.std() == pytest.approx(sd, rel=0.04)
    # ESS / n = E[l]^2 / E[l^2] for the Gaussian likelihood l under the prior, in closed form
    r, d2 = s0**2 / s**2, (m0 - y) ** 2
    share = np.sqrt(1 + 2 * r) / (1 + r) * np.exp(d2 / (s**2 + 2 * s0**2) - d2 / (s**2 + s0**2))
    assert out.ess == pytest.approx(len(x) * share, rel=0.05)


def test_two_observations_in_sequence_equal_their_combined_precision():
    m0, s0 = 0.0, 1.0
    x = np.random.default_rng(2).normal(m0, s0, 50_000)
    obs = [cond.Observation("a", 0.8, 0.7), cond.Observation("b", 0.4, 0.9)]
    out = cond.condition({"a": x, "b": x}, obs, seed=1)
    # two readings of the same quantity: precision-weighted combination, then conjugate update
    s = (0.7**-2 + 0.9**-2) ** -0.5
    y = (0.8 / 0.7**2 + 0.4 / 0.9**2) * s**2
    mean, sd = conjugate(m0, s0, y, s)
    assert np.sum(out.weights * x) == pytest.approx(mean, abs=4 * sd / np.sqrt(out.ess))
    assert list(out.ess_by_step) == ["a", "b"]
    assert out.ess_by_step["b"] < out.ess_by_step["a"]  # each observation sharpens


def test_student_t_likelihood_is_robust_to_an_outlying_reading():
    x = np.random.default_rng(3).normal(0.0, 1.0, 20_000)
    far = 6.0
    obs, t_obs = cond.Observation("q", far, 0.5), cond.Observation("q", far, 0.5, df=3)
    gauss = cond.condition({"q": x}, [obs], seed=0, floor=1, min_tail=0)
    heavy = cond.condition({"q": x}, [t_obs], seed=0, floor=1, min_tail=0)
    # a t likelihood lets the prior keep more weight: posterior mean closer to the prior's 0
    assert np.sum(heavy.weights * x) < np.sum(gauss.weights * x)
    assert heavy.ess > gauss.ess


# --- determinism and invariance --------------------------------------------------------------


def test_result_does_not_depend_on_the_order_of_draws():
    rng = np.random.default_rng(4)
    x = rng.normal(0.3, 0.1, 5_000)
    labels = np.arange(x.size)
    perm = rng.permutation(x.size)
    obs = [cond.Observation("q", 0.35, 0.05)]
    a = cond.condition({"q": x}, obs, seed=11, labels=labels)
    b = cond.condition({"q": x[perm]}, obs, seed=11, labels=labels[perm])
    np.testing.assert_allclose(b.weights, a.weights[perm], rtol=1e-12)
    assert b.ess == pytest.approx(a.ess, rel=1e-12)
    # the same draws (by label) are kept, as many times each
    np.testing.assert_array_equal(np.sort(labels[perm][b.indices]), np.sort(labels[a.indices]))


def test_resampling_is_deterministic_from_the_seed():
    w = cond.normalised_weights(np.random.default_rng(5).normal(size=300))
    one = cond.systematic_resample(w, 42)
    assert np.array_equal(one, cond.systematic_resample(w, 42))
    assert np.array_equal(one, cond.systematic_resample(w, np.random.SeedSequence(42)))
    others = [cond.systematic_resample(w, s) for s in range(5)]
    assert any(not np.array_equal(one, o) for o in others)


def test_systematic_counts_are_floor_or_ceiling_of_expected():
    w = cond.normalised_weights(np.random.default_rng(6).normal(0, 2, 500))
    counts = np.bincount(cond.systematic_resample(w, 3), minlength=w.size)
    expected = w * w.size
    assert counts.sum() == w.size
    assert np.all(counts >= np.floor(expected)) and np.all(counts <= np.ceil(expected))


def test_duplicate_labels_are_refused():
    with pytest.raises(ValueError, match="unique"):
        cond.systematic_resample(np.full(3, 1 / 3), 0, labels=np.array([1, 1, 2]))


# --- refusals --------------------------------------------------------------------------------


def test_refusal_names_the_observation_and_the_inputs_to_widen():
    rng = np.random.default_rng(7)
    rate, ceiling, noise = (
        rng.uniform(0.1, 0.3, 2_000),
        rng.uniform(0.8, 0.9, 2_000),
        rng.random(2_000),
    )
    share = 0.05 + rate * (ceiling - 0.05)  # at most about 0.3: cannot reach 0.458
    inputs = {"noise": noise, "dossier_rate": rate, "fixed": np.full(2_000, 1.0)}
    obs = [cond.Observation("admin_fully_online_2024", 0.458, 0.02)]
    with pytest.raises(cond.ConditioningError) as err:
        cond.condition({"admin_fully_online_2024": share}, obs, seed=0, inputs=inputs)
    text = str(err.value)
    assert "'admin_fully_online_2024'" in text and "0.458" in text
    assert "tail of probability" in text  # the prior predictive puts 0.458 far out
    assert "dossier_rate" in text and "fixed" not in text
    assert "noise" not in text  # unrelated to the fit: not worth widening
    assert isinstance(err.value, InputError)  # a user problem: exit status 2, no traceback


def test_a_prior_whose_draws_all_miss_alike_is_refused_although_its_ess_is_full():
    obs = cond.Observation("q", 0.458, 0.02)
    with pytest.raises(cond.ConditioningError, match="tail of probability"):
        cond.condition({"q": np.full(500, 0.229)}, [obs], seed=0)  # weights equal: ESS 500
    assert cond.condition({"q": np.full(500, 0.45)}, [obs], seed=0).ess == pytest.approx(500)
    assert cond.predictive_tail(np.full(10, 0.458), obs) == pytest.approx(0.5)


def test_a_low_ess_is_refused_when_the_tail_is_not_extreme():
    x = np.random.default_rng(2).normal(0.0, 1.0, 2_000)  # 3 sd out: tail ~1e-3 is allowed
    with pytest.raises(cond.ConditioningError, match="below the floor of 100"):
        cond.condition({"q": x}, [cond.Observation("q", 3.2, 0.05)], seed=0, min_tail=1e-6)


def test_influential_inputs_are_ordered_by_association():
    rng = np.random.default_rng(9)
    a, b, noise = rng.random(3_000), rng.random(3_000), rng.random(3_000)
    log_lik = -(3 * a + b)  # depends mostly on a, less on b, not on noise
    assert cond.influential_inputs({"noise": noise, "b": b, "a": a}, log_lik) == ["a", "b"]
    assert cond.influential_inputs({"a": a, "b": b}, log_lik, top=1) == ["a"]


def test_refusal_when_every_draw_has_zero_likelihood():
    x = np.full(50, np.nan)
    with pytest.raises(cond.ConditioningError, match="'q'"):
        cond.condition({"q": x}, [cond.Observation("q", 1.0, 0.1)], seed=0)


def test_check_ess_passes_at_the_floor_and_refuses_below():
    obs, x = cond.Observation("q", 0.5, 0.1), np.linspace(0, 1, 50)
    cond.check_ess(20.0, 20.0, obs, x, np.zeros(50))  # no error
    with pytest.raises(cond.ConditioningError, match=r"effective sample size 19\.9 draws"):
        cond.check_ess(19.9, 20.0, obs, x, np.zeros(50))
    with pytest.raises(cond.ConditioningError, match="'q'"):  # zero likelihood, even floor 0
        cond.condition({"q": np.full(5, np.nan)}, [obs], seed=0, floor=0)


def test_prior_that_agrees_passes_the_floor():
    x = np.random.default_rng(8).normal(0.45, 0.05, 2_000)
    out = cond.condition({"q": x}, [cond.Observation("q", 0.458, 0.02)], seed=0)
    assert out.ess >= out.floor == cond.ess_floor(2_000) == 100
    assert out.indices.shape == (2_000,)


@pytest.mark.parametrize(
    ("value", "sd", "df"), [(np.nan, 0.1, None), (0.5, 0.0, None), (0.5, 0.1, 0)]
)
def test_bad_observations_are_refused(value, sd, df):
    with pytest.raises(InputError, match="'q'"):
        cond.Observation("q", value, sd, df)


def test_floor_defaults():
    assert cond.ess_floor(2_000) == 100
    assert cond.ess_floor(100) == 5
    assert cond.ess_floor(10) == 1  # never above what any weights reach
    assert cond.ess_floor(2_000, 0.2) == 400


# --- properties of the weights ---------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(finite_logs, st.floats(-100, 100))
def test_weights_are_a_distribution_invariant_to_a_shift(lw, shift):
    w = cond.normalised_weights(lw)
    assert np.all(w >= 0) and np.sum(w) == pytest.approx(1.0)
    np.testing.assert_allclose(cond.normalised_weights(lw + shift), w, rtol=1e-9, atol=1e-300)
    ess = cond.effective_sample_size(w)
    assert 1 - 1e-9 <= ess <= lw.size + 1e-9
    # the largest log weight has the largest weight
    assert w[np.argmax(lw)] == pytest.approx(w.max())


@settings(max_examples=40, deadline=None)
@given(finite_logs, st.randoms(use_true_random=False))
def test_weights_follow_a_permutation_of_draws(lw, rnd):
    perm = np.array(rnd.sample(range(lw.size), lw.size))
    np.testing.assert_allclose(cond.normalised_weights(lw[perm]), cond.normalised_weights(lw)[perm])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 500))
def test_equal_weights_have_full_ess_and_resample_every_draw_once(n):
    w = cond.normalised_weights(np.zeros(n))
    assert cond.effective_sample_size(w) == pytest.approx(n)
    assert np.array_equal(cond.systematic_resample(w, n), np.arange(n))


@settings(max_examples=40, deadline=None)
@given(finite_logs, st.integers(0, 2**32 - 1))
def test_resampled_indices_are_valid_and_favour_no_zero_weight(lw, seed):
    lw = lw.copy()
    lw[0] = -np.inf  # a draw the observation rules out
    if lw.size == 1:
        return
    w = cond.normalised_weights(lw)
    idx = cond.systematic_resample(w, seed)
    assert idx.shape == (lw.size,) and np.all(np.diff(idx) >= 0)
    assert idx.min() >= 0 and idx.max() < lw.size
    assert 0 not in idx
