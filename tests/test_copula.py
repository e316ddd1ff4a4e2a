"""Shape-preserving maps of an index table: edition shocks, normal scores and re-ordering."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from vnsim.fit import copula


def test_quantile_map_keeps_ends_and_order():
    x = np.array([[0.0, 0.2, 0.5, 0.9, 1.0]])
    y = copula.quantile_map(x, np.array([0.4]), np.array([-0.3]))
    assert y[0, 0] == 0 and y[0, -1] == 1
    assert np.all(np.diff(y[0]) > 0)
    np.testing.assert_allclose(copula.quantile_map(x, np.zeros(1), np.zeros(1)), x, atol=1e-6)


def test_fit_quantile_map_recovers_a_known_map():
    base = np.random.default_rng(3).beta(2, 2, 500)
    target = copula.quantile_map(base[None], np.array([0.3]), np.array([0.2]))[0]
    np.testing.assert_allclose(copula.fit_quantile_map(base, target), [0.3, 0.2], atol=0.02)


def test_composed_shocks_equal_the_shocks_applied_in_turn():
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0.01, 0.99, (4, 30)), axis=1)
    first, then = rng.normal(0, 0.3, (4, 2)), rng.normal(0, 0.3, (4, 2))
    twice = copula.quantile_map(copula.quantile_map(x, *first.T), *then.T)
    once = copula.quantile_map(x, *copula.compose(first, then).T)
    np.testing.assert_allclose(once, twice, atol=1e-5)


def test_normal_scores_keep_the_marginal_whatever_the_input():
    rng = np.random.default_rng(0)
    a = copula.normal_scores(rng.standard_t(2, (3, 50)))
    b = copula.normal_scores(rng.uniform(size=(3, 50)))
    np.testing.assert_allclose(np.sort(a, -1), np.sort(b, -1))
    np.testing.assert_allclose(np.sort(a[0]), copula.score_table(50))


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 40)), elements=st.floats(0, 1)),
    st.integers(0, 2**32 - 1),
)
def test_reorder_carries_the_values_and_takes_the_order(level, seed):
    order = np.random.default_rng(seed).permutation(level.shape[1]) * np.ones_like(level)
    out = copula.reorder(level, order)
    np.testing.assert_array_equal(np.sort(out, -1), np.sort(level, -1))
    ranks = copula.ranks_of(order)
    np.testing.assert_array_equal(out, np.take_along_axis(np.sort(level, -1), ranks, -1))
