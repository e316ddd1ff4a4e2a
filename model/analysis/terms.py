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

import numpy as np
import pandas as pd
from vnsim.analysis import backtest
from vnsim.egdi import rank_desc
from vnsim.fit.egov import DEFAULT_TERMS

#: The variants of the study: the chosen set, the minimal one, and one term removed or added.
VARIANTS: dict[str, frozenset[str]] = {
    "default": DEFAULT_TERMS,
    "minimal (tii_inputs only)": frozenset({"tii_inputs"}),
    **{f"- {t}": DEFAULT_TERMS - {t} for t in sorted(DEFAULT_TERMS)},
    "+ hci_inputs": DEFAULT_TERMS | {"hci_inputs"},
    "+ hci_inputs, residual_decay_hci": DEFAULT_TERMS | {"hci_inputs", "residual_decay_hci"},
    "+ osi_level_noise": DEFAULT_TERMS | {"osi_level_noise"},
    "+ residual_noise": DEFAULT_TERMS | {"residual_noise"},
}
MINIMAL = "minimal (tii_inputs only)"
#: The strongest naive baseline of the backtest, scored in the same study for reference.
BASELINE = "noisy persistence (baseline)"


def _scored(
    surveys: pd.DataFrame, origin: int, target: int, countries: Sequence[str], egdi: np.ndarray
) -> dict[str, float]:
    """Mean scores of an EGDI ensemble ``(draw, country)`` for ``target``: world rank and
    value, over the countries assessed in both editions."""
    published = {
        e: surveys[(surveys["survey_year"] == e) & (surveys["egdi"] > 0)].set_index("iso3")["egdi"]
        for e in (origin, target)
    }
    keep = [c for c in countries if c in published[origin].index and c in published[target].index]
    pos = np.array([list(countries).index(c) for c in keep])
    sim, obs = egdi[:, pos], published[target][keep].to_numpy(float)
    no_pit = np.zeros(len(keep))
    rank = backtest.score_forecast(rank_desc(sim), rank_desc(obs[None])[0], no_pit)
    value = backtest.score_forecast(sim, obs, no_pit)
    return {
        "rank_crps": float(rank["crps"].mean()),
        "rank_cov80": float(rank["cov80"].mean()),
        "value_crps": float(value["crps"].mean()),
        "value_cov80": float(value["cov80"].mean()),
    }


def score(
    surveys: pd.DataFrame,
    origin: int,
    target: int,
    terms: frozenset[str] | None,
    draws: int,
    seed: int,
) -> dict[str, float]:
    """Scores of one variant one edition ahead; ``terms`` None scores :data:`BASELINE`."""
    cut = backtest.vintage(surveys, origin)
    if terms is None:
        countries = tuple(cut.loc[cut["survey_year"] == origin, "iso3"])
        egdi, _ = backtest.noisy_persistence_forecast(cut, origin, countries, [target], draws, seed)
    else:
        countries, out = backtest.model_forecast(cut, origin, [target], draws, seed, terms)
        egdi = out["egdi"]
    return _scored(surveys, origin, target, countries, egdi[:, 0])


def term_study(
    surveys: pd.DataFrame,
    origins: Sequence[int],
    variants: Mapping[str, frozenset[str]] = VARIANTS,
    draws: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Scores of every variant at every origin, one edition ahead.

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
        for name, terms in {**variants, BASELINE: None}.items():
            scores = score(surveys, origin, target, terms, draws, seed)
            rows.append({"variant": name, "origin": origin, "target": target, **scores})
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
