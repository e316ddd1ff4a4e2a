"""Which terms the e-government model keeps: a rolling-origin, out-of-sample choice.

Each **variant** is a set of terms of :data:`vnsim.fit.egov.TERMS`. For every origin edition the
variant is refitted on the data published by the end of the origin's year (the vintage of
:func:`vnsim.analysis.backtest.vintage`) and forecasts the next edition; its world ranks and EGDI
values are scored against the published ones (fair CRPS, 80 % coverage), among the countries
assessed in both editions. Every variant uses the same random streams (common random numbers), so
differences between variants are not noise of the draws.

Two readings of the same runs (:func:`nested_choice`):

* **pooled**: the mean over all origins for each variant. Choosing the variant with the best
  pooled score and reporting that score flatters it: the choice has seen the scores.
* **nested**: at each origin the variant that scored best at the origins *before* it (the
  minimal variant where there is no record yet). Its pooled score is what the procedure of
  choosing terms by backtest would have achieved in real time.

Noisy persistence, the strongest naive baseline of :mod:`vnsim.analysis.backtest`, is scored on
the same origins for reference (:data:`BASELINE`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from vnsim.analysis import backtest
from vnsim.fit.egov import DEFAULT_TERMS

#: The variants of the study: the chosen set, the minimal one, and one term removed or added.
VARIANTS: dict[str, frozenset[str]] = {
    "default": DEFAULT_TERMS,
    "minimal (tii_inputs only)": frozenset({"tii_inputs"}),
    **{f"- {t}": DEFAULT_TERMS - {t} for t in sorted(DEFAULT_TERMS)},
    "HCI from hci_inputs instead of hci_order": DEFAULT_TERMS - {"hci_order"} | {"hci_inputs"},
    "HCI from hci_inputs, residual_decay_hci": DEFAULT_TERMS - {"hci_order"}
    | {"hci_inputs", "residual_decay_hci"},
    "+ osi_level_noise": DEFAULT_TERMS | {"osi_level_noise"},
    "+ residual_noise": DEFAULT_TERMS | {"residual_noise"},
    "+ recent_pairs": DEFAULT_TERMS | {"recent_pairs"},
}
MINIMAL = "minimal (tii_inputs only)"
#: The strongest naive baseline of the backtest, scored in the same study for reference.
BASELINE = "noisy persistence (baseline)"


def _means(scores: pd.DataFrame, method: str) -> dict[str, float]:
    """Mean CRPS and 80 % coverage of one method's world rank and EGDI value."""
    rows = scores[scores["method"] == method].groupby("quantity")[["crps", "cov80"]].mean()
    return {f"{q}_{k}": float(rows.loc[q, k]) for q in ("rank", "value") for k in ("crps", "cov80")}


def term_study(
    surveys: pd.DataFrame,
    origins: Sequence[int],
    variants: Mapping[str, frozenset[str]] = VARIANTS,
    draws: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Scores of every variant at every origin, one edition ahead, as the backtest scores them.

    Each origin's forecast file (:func:`vnsim.analysis.backtest.forecast_origin`, with the
    observed target) is made once; each variant replaces its model variables, and
    :func:`~vnsim.analysis.backtest.score_origin` scores it.

    Returns
    -------
    Rows (variant, origin, target) with ``rank_crps, rank_cov80, value_crps, value_cov80``;
    the rows of :data:`BASELINE` score noisy persistence on the same origins.
    """
    editions = sorted(int(e) for e in surveys["survey_year"].unique())
    rows = []
    for origin in origins:
        later = [e for e in editions if e > origin]
        if origin not in editions or not later:
            raise ValueError(f"{origin} is not a survey edition with a later one to score")
        target = later[0]
        cut = backtest.vintage(surveys, origin)
        base = backtest.forecast_origin(cut, origin, [target], draws, seed)
        base = backtest.with_observed(base, surveys)
        where = {"origin": origin, "target": target}
        for name, terms in variants.items():
            _, model = backtest.model_forecast(cut, origin, [target], draws, seed, terms)
            ds = base.assign({v: (base[v].dims, a) for v, a in model.items()})
            rows.append(
                {"variant": name, **where, **_means(backtest.score_origin(ds, (1,)), "model")}
            )
        baseline = _means(backtest.score_origin(base, (1,)), "noisy_persistence")
        rows.append({"variant": BASELINE, **where, **baseline})
    return pd.DataFrame(rows)


def nested_choice(study: pd.DataFrame, first: str = MINIMAL) -> pd.DataFrame:
    """The variant each origin would have chosen from the origins before it, and its scores.

    At each origin: the variant with the lowest mean ``rank_crps`` over the earlier origins
    (``first`` at the first origin, which has no record).
    """
    rows = []
    study = study[study["variant"] != BASELINE]
    origins = sorted(study["origin"].unique())
    for i, origin in enumerate(origins):
        before = study[study["origin"].isin(origins[:i])]
        pick = first if before.empty else before.groupby("variant")["rank_crps"].mean().idxmin()
        row = study[(study["origin"] == origin) & (study["variant"] == pick)].iloc[0]
        rows.append(row.to_dict())
    return pd.DataFrame(rows)
