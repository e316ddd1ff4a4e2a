"""Shape-preserving maps of a cross-country index table: normal scores, re-ordering, edition shocks.

A published EGDI component is a table over the member states with minimum 0 and maximum 1. The
functions here change a table's *order* or its *level and spread* without letting its shape drift:

* :func:`normal_scores` and :func:`reorder` separate the order of the countries from the values
  (a copula): the order can move while the distribution of values is carried exactly;
* :func:`quantile_map` is an **edition shock** ``expit(a + exp(β) · logit(x))``: it moves the level
  (``a``) and the spread (``β``) of the whole table but keeps 0, 1 and every country's order;
  :func:`fit_quantile_map` estimates ``(a, β)`` between two tables and :func:`compose` chains
  shocks over editions.

All functions work on arrays whose last axis is the country, with any leading axes (draws).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import special, stats


def logit_scaled(x: np.ndarray, ceiling: float, eps: float = 1e-3) -> np.ndarray:
    """``logit(x / ceiling)`` with the share clipped to ``[eps, 1 − eps]``."""
    return special.logit(np.clip(np.asarray(x) / ceiling, eps, 1.0 - eps))


def ranks_of(x: np.ndarray) -> np.ndarray:
    """0-based ascending ranks across the last axis (ties by position), with one sort."""
    order = np.argsort(x, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    seq = np.broadcast_to(np.arange(x.shape[-1]), x.shape)
    np.put_along_axis(ranks, order, seq, axis=-1)
    return ranks


@functools.lru_cache(maxsize=8)
def score_table(n: int) -> np.ndarray:
    """The ``n`` normal scores ``Φ⁻¹((rank + ½) / n)`` in ascending order, float32 (read-only:
    computed once per ``n`` and shared)."""
    table = stats.norm.ppf((np.arange(n) + 0.5) / n).astype(np.float32)
    table.flags.writeable = False
    return table


def normal_scores(x: np.ndarray) -> np.ndarray:
    """Normal scores of ``x`` across the last axis: its order, with a standard normal marginal."""
    return score_table(x.shape[-1])[ranks_of(x)]


def reorder(level: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The values of ``level`` re-assigned to the countries in the order of ``order``.

    The result has exactly the cross-country distribution of ``level`` (its shape, its 0 and 1)
    and the ranks of ``order``: a copula of the two.
    """
    out = np.empty_like(level)
    np.put_along_axis(out, np.argsort(order, axis=-1), np.sort(level, axis=-1), axis=-1)
    return out


def quantile_map(index: np.ndarray, a: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Edition shock ``expit(a + exp(β) · logit(index))``: 0 and 1 stay put, order is kept.

    Parameters
    ----------
    index
        Table in [0, 1], shape ``(draw, country)``.
    a, beta
        Shift and log-spread on the logit scale, shape ``(draw,)``.
    """
    with np.errstate(divide="ignore"):
        y = special.logit(index)
    a32, b32 = np.asarray(a, np.float32)[:, None], np.exp(np.asarray(beta, np.float32))[:, None]
    return special.expit(a32 + b32 * y).astype(np.float32, copy=False)


def fit_quantile_map(base: np.ndarray, published: np.ndarray) -> np.ndarray:
    """``(a, β)`` mapping the quantiles of ``base`` onto those of ``published`` (OLS, logit scale).

    Uses the 5 %–95 % quantiles, which the min–max end points do not pin. NaN are ignored.
    """
    p = np.linspace(0.05, 0.95, 19)
    qb = logit_scaled(np.nanquantile(base, p), 1.0, 0.005)
    qp = logit_scaled(np.nanquantile(published, p), 1.0, 0.005)
    slope, intercept = np.polyfit(qb, qp, 1)
    return np.array([intercept, np.log(max(slope, 1e-3))])


def compose(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """The shock ``then`` applied after ``first``; both ``(draw, 2)`` as ``(a, β)``."""
    return np.column_stack(
        [then[:, 0] + np.exp(then[:, 1]) * first[:, 0], first[:, 1] + then[:, 1]]
    )
