"""Distributions of uncertain inputs, experimental designs and chunk-invariant streams."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from vnsim.spec.scenario import DISTRIBUTIONS, UncertainInput
from vnsim.uncertainty import STREAM_BLOCK, Streams, design, frozen, transform

# midpoints of n equal strata: a quadrature of E[X] = integral of ppf(u) du
N = 20_000
U = (np.arange(N) + 0.5) / N

finite = {"allow_nan": False, "allow_infinity": False}
locs = st.floats(-100, 100, **finite)
scales = st.floats(0.01, 50, **finite)


def check_mean_and_bounds(dist, params, mean, low=-np.inf, high=np.inf, rel=1e-3):
    x = transform(dist, params, U)
    assert np.all(np.isfinite(x))
    assert np.all(x >= low) and np.all(x <= high)
    assert np.all(np.diff(x) >= 0), "a ppf is non-decreasing"
    assert x.mean() == pytest.approx(mean, rel=rel, abs=1e-6 * (1 + abs(mean)))
    edges = transform(dist, params, np.array([0.0, 1.0]))
    assert np.all(np.isfinite(edges)), "design points on 0/1 must not give infinities"
    assert low <= edges[0] <= edges[1] <= high


@settings(max_examples=40, deadline=None)
@given(low=locs, width=scales)
def test_uniform(low, width):
    p = {"low": low, "high": low + width}
    check_mean_and_bounds("uniform", p, low + width / 2, low, low + width)


@settings(max_examples=40, deadline=None)
@given(low=locs, width=scales, c=st.floats(0, 1))
def test_triangular(low, width, c):
    p = {"low": low, "mode": low + c * width, "high": low + width}
    check_mean_and_bounds("triangular", p, (3 * low + c * width + width) / 3, low, low + width)
    # the mode is where the density peaks
    pdf = frozen("triangular", p).pdf
    assert pdf(p["mode"]) >= max(pdf(low + 0.01 * width), pdf(low + 0.99 * width)) - 1e-12


@settings(max_examples=40, deadline=None)
@given(mean=locs, sd=scales)
def test_normal(mean, sd):
    p = {"mean": mean, "sd": sd}
    check_mean_and_bounds("normal", p, mean, rel=1e-3)
    x = transform("normal", p, np.array([stats.norm.cdf(1.0)]))
    assert x[0] == pytest.approx(mean + sd, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(mean=locs, sd=scales, a=st.floats(-3, 2), width=st.floats(0.2, 4))
def test_truncated_normal(mean, sd, a, width):
    low, high = mean + a * sd, mean + (a + width) * sd
    p = {"mean": mean, "sd": sd, "low": low, "high": high}
    # mean of a truncated normal (standard formula)
    alpha, beta = a, a + width
    z = stats.norm.cdf(beta) - stats.norm.cdf(alpha)
    expected = mean + sd * (stats.norm.pdf(alpha) - stats.norm.pdf(beta)) / z
    check_mean_and_bounds("truncated_normal", p, expected, low, high)


@settings(max_examples=40, deadline=None)
@given(median=st.floats(0.01, 100), sigma=st.floats(0.01, 1.0))
def test_lognormal_is_parameterised_by_median_and_log_sd(median, sigma):
    p = {"median": median, "sigma": sigma}
    check_mean_and_bounds("lognormal", p, median * math.exp(sigma**2 / 2), 0.0, rel=5e-3)
    x = transform("lognormal", p, np.array([0.5, stats.norm.cdf(1.0)]))
    assert x[0] == pytest.approx(median, rel=1e-9)
    assert math.log(x[1] / x[0]) == pytest.approx(sigma, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(a=st.floats(0.5, 20), b=st.floats(0.5, 20), low=st.one_of(st.none(), locs), width=scales)
def test_beta(a, b, low, width):
    p = {"alpha": a, "beta": b}
    lo, hi = 0.0, 1.0
    if low is not None:
        p.update(low=low, high=low + width)
        lo, hi = low, low + width
    check_mean_and_bounds("beta", p, lo + (hi - lo) * a / (a + b), lo, hi, rel=2e-3)


@settings(max_examples=40, deadline=None)
@given(df=st.floats(1.0, 100), loc=locs, scale=scales)
def test_student_t(df, loc, scale):
    p = {"df": df, "loc": loc, "scale": scale}
    q = np.array([0.5, 0.975])
    x = transform("student_t", p, q)
    assert x[0] == pytest.approx(loc, abs=1e-9 * (1 + abs(loc)))
    assert x[1] == pytest.approx(loc + scale * stats.t.ppf(0.975, df), rel=1e-9)
    assert np.all(np.isfinite(transform("student_t", p, np.array([0.0, 1.0]))))


def test_fixed_is_constant():
    np.testing.assert_array_equal(transform("fixed", {"value": 2.5}, U[:10]), 2.5)
    assert frozen("fixed", {"value": 2.5}) is None


def test_every_schema_distribution_has_a_transform():
    examples = {
        "fixed": {"value": 1.0},
        "uniform": {"low": 0, "high": 1},
        "triangular": {"low": 0, "mode": 0.2, "high": 1},
        "normal": {"mean": 0, "sd": 1},
        "truncated_normal": {"mean": 0, "sd": 1, "low": -1, "high": 2},
        "lognormal": {"median": 1, "sigma": 0.3},
        "beta": {"alpha": 2, "beta": 3},
        "student_t": {"df": 4, "loc": 0, "scale": 1},
    }
    assert set(examples) == set(DISTRIBUTIONS)
    for dist, p in examples.items():
        spec = UncertainInput(dist=dist, unit="1", source="test", **p)
        assert spec.params() == {k: float(v) for k, v in p.items()}
        x = transform(dist, spec.params(), U[::100])
        lo, hi = spec.support()
        assert np.all((x >= lo) & (x <= hi))
    with pytest.raises(ValueError, match="unknown distribution"):
        frozen("cauchy", {})


# --- designs -------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 300), d=st.integers(1, 6), seed=st.integers(0, 2**32))
def test_lhs_hits_each_stratum_once_per_dimension(n, d, seed):
    u = design("lhs", n, d, seed)
    assert u.shape == (n, d)
    assert np.all((u >= 0) & (u < 1))
    strata = np.floor(u * n).astype(int)
    for j in range(d):
        np.testing.assert_array_equal(np.sort(strata[:, j]), np.arange(n))


@settings(max_examples=20, deadline=None)
@given(m=st.integers(3, 10), d=st.integers(1, 5), seed=st.integers(0, 2**32))
def test_sobol_is_balanced_for_powers_of_two(m, d, seed):
    n = 2**m
    u = design("sobol", n, d, seed)
    assert u.shape == (n, d)
    # one-dimensional projections of a scrambled (0, m, d)-net: one point per 1/n stratum
    strata = np.floor(u * n).astype(int)
    for j in range(d):
        np.testing.assert_array_equal(np.sort(strata[:, j]), np.arange(n))
    if d >= 2:
        # two-dimensional balance: every quarter of the unit square holds n/4 points
        quad = (u[:, 0] >= 0.5).astype(int) * 2 + (u[:, 1] >= 0.5)
        np.testing.assert_array_equal(np.bincount(quad, minlength=4), n // 4)


def test_monte_carlo_design_is_uniform_and_independent_of_lhs():
    u = design("monte_carlo", 5000, 3, 1)
    assert u.shape == (5000, 3) and np.all((u >= 0) & (u < 1))
    assert stats.kstest(u[:, 0], "uniform").pvalue > 1e-3
    # not stratified (an LHS would be exactly balanced)
    strata = np.floor(u[:, 0] * 5000).astype(int)
    assert len(np.unique(strata)) < 5000


@pytest.mark.parametrize("sampler", ["monte_carlo", "lhs", "sobol"])
def test_design_depends_on_seed_only(sampler):
    a, b, c = design(sampler, 64, 3, 7), design(sampler, 64, 3, 7), design(sampler, 64, 3, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_design_without_inputs_and_unknown_sampler():
    assert design("lhs", 10, 0, 1).shape == (10, 0)
    with pytest.raises(ValueError, match="unknown sampler"):
        design("halton", 10, 2, 1)


# --- streams -------------------------------------------------------------------------------

cuts = st.lists(st.integers(1, 3 * STREAM_BLOCK + 40), max_size=6, unique=True)


@settings(max_examples=40, deadline=None)
@given(
    cuts=cuts,
    seed=st.integers(0, 2**63 - 1),
    kind=st.sampled_from(["normal", "uniform", "student_t", "integers"]),
)
def test_streams_are_invariant_to_chunking(cuts, seed, kind):
    n = 3 * STREAM_BLOCK + 41
    bounds = [0, *sorted(cuts), n]

    def draw(s: Streams) -> np.ndarray:
        if kind == "student_t":
            return s.student_t("x", 4.0, (3,))
        if kind == "integers":
            return s.integers("x", 100, (3,))
        return getattr(s, kind)("x", (3,))

    whole = draw(Streams(seed, 0, n))
    parts = [draw(Streams(seed, a, b)) for a, b in itertools.pairwise(bounds)]
    assert whole.shape == (n, 3)
    np.testing.assert_array_equal(np.concatenate(parts), whole)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32), start=st.integers(0, 600), length=st.integers(1, 300))
def test_any_slice_equals_the_whole(seed, start, length):
    whole = Streams(seed, 0, start + length).normal("y", (2, 2))
    part = Streams(seed, start, start + length).normal("y", (2, 2))
    np.testing.assert_array_equal(part, whole[start:])


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**63 - 1),
    start=st.integers(0, 3 * STREAM_BLOCK),
    length=st.integers(0, 2 * STREAM_BLOCK + 3),
    shape=st.sampled_from([(), (3,), (2, 5)]),
)
def test_normal_and_uniform_are_the_generators_numbers_per_block(seed, start, length, shape):
    """Generated in place (``out=``), they are exactly what ``sample`` gives with the
    generator's own ``standard_normal(size)`` and ``random(size)``."""
    s = Streams(seed, start, start + length)
    pairs = [
        (s.normal("n", shape), s.sample("n", shape, lambda rng, size: rng.standard_normal(size))),
        (s.uniform("u", shape), s.sample("u", shape, lambda rng, size: rng.random(size))),
    ]
    for got, want in pairs:
        assert got.dtype == want.dtype == np.float64 and got.shape == want.shape
        assert np.array_equal(got.view(np.uint64), want.view(np.uint64))


def test_different_names_and_seeds_give_different_numbers():
    s = Streams(1, 0, 500)
    a, b = s.normal("market.shock", (4,)), s.normal("egov.noise.2024", (4,))
    assert not np.array_equal(a, b)
    assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.1
    assert not np.array_equal(a, Streams(2, 0, 500).normal("market.shock", (4,)))
    np.testing.assert_array_equal(a, Streams(1, 0, 500).normal("market.shock", (4,)))


def test_different_blocks_are_not_repeats():
    x = Streams(3, 0, 2 * STREAM_BLOCK).normal("z")
    assert not np.array_equal(x[:STREAM_BLOCK], x[STREAM_BLOCK:])


def test_empty_chunk_and_bad_range():
    assert Streams(1, 5, 5).normal("x", (3,)).shape == (0, 3)
    with pytest.raises(ValueError):
        Streams(1, 5, 4)
    with pytest.raises(ValueError):
        Streams(1, -1, 4)


def test_stream_distributions():
    s = Streams(4, 0, 20_000)
    u = s.uniform("u")
    assert np.all((u >= 0) & (u < 1)) and stats.kstest(u, "uniform").pvalue > 1e-3
    z = s.normal("n")
    assert stats.kstest(z, "norm").pvalue > 1e-3
    t = s.student_t("t", 5.0)
    assert stats.kstest(t, stats.t(5).cdf).pvalue > 1e-3
    k = s.integers("i", 7)
    assert k.min() == 0 and k.max() == 6 and k.dtype.kind == "i"
