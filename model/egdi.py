"""The UN's E-Government Development Index formula, defined once.

EGDI is the weighted mean of three components — the Online Service Index (OSI), the
Telecommunication Infrastructure Index (TII) and the Human Capital Index (HCI) — each a min–max
rescale of a composite across all member states of an edition (``egdi_methodology.md`` §1).
Ranks count on the unrounded EGDI (1 = best). Pure functions over arrays whose last axis is the
country.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

COMPONENTS: tuple[str, str, str] = ("osi", "tii", "hci")

#: The raw ITU indicators of the TII (from the 2020 edition; ``egdi_methodology.md`` §2).
TiiIndicator = Literal[
    "internet_users", "mobile_cellular", "active_mobile_broadband", "fixed_broadband"
]

#: EGDI group thresholds (egdi_methodology.md §7; a value exactly on a threshold goes up).
GROUPS: tuple[tuple[str, float], ...] = (("very high", 0.75), ("high", 0.5), ("middle", 0.25))


def egdi_weights(edition: int) -> np.ndarray:
    """Weights of (OSI, TII, HCI) in the EGDI of ``edition``, shape ``(3,)``.

    2008 and 2010 weighted OSI 0.34, TII and HCI 0.33 (data/SOURCES.md); all others 1/3 each.
    """
    if edition in (2008, 2010):
        return np.array([0.34, 0.33, 0.33])
    return np.full(3, 1.0 / 3.0)


def rescale01(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """UN min–max rescale across countries (along ``axis``): min -> 0, max -> 1."""
    lo = x.min(axis=axis, keepdims=True)
    hi = x.max(axis=axis, keepdims=True)
    return (x - lo) / (hi - lo)


def rank_desc(values: np.ndarray) -> np.ndarray:
    """Rank along the last axis, 1 = highest; ties share the best rank (1 + number strictly higher).

    ``values`` has shape ``(..., country)``; returns int16 of the same shape.
    """
    order = np.argsort(-values, axis=-1)  # ties are resolved below, not by sort order
    ordered = np.take_along_axis(values, order, axis=-1)
    pos = np.broadcast_to(np.arange(values.shape[-1]), values.shape)
    new = np.ones(values.shape, bool)
    new[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    rank_sorted = np.maximum.accumulate(np.where(new, pos, 0), axis=-1) + 1
    ranks = np.empty(values.shape, np.int16)
    np.put_along_axis(ranks, order, rank_sorted.astype(np.int16), axis=-1)
    return ranks


def position_among(values: np.ndarray, members: np.ndarray, country: int) -> np.ndarray:
    """Position of ``country`` among ``members`` by ``values`` (1 = best), ``(draw,)`` int16."""
    own = values[:, country][:, None]
    return (1 + (values[:, members] > own).sum(axis=1)).astype(np.int16)


def egdi_group(egdi: np.ndarray) -> np.ndarray:
    """EGDI group of each value: ``"very high"`` (>= 0.75), ``"high"`` (>= 0.5), ``"middle"``
    (>= 0.25) or ``"low"``; same shape as ``egdi``."""
    egdi = np.asarray(egdi)
    return np.select([egdi >= t for _, t in GROUPS], [g for g, _ in GROUPS], default="low")
