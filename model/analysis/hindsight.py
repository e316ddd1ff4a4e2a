"""Targets judged after the fact: the observed outcome, and how an earlier vintage saw it.

A target whose indicator has been observed in the data of a run's vintage (a UN survey edition
for ranks, positions and indices; a full-year reading of ``observations.csv`` for the dossier
share) is met or missed *from the observation*, not from the draws. Beside it stands what an
earlier vintage forecast (by default the data published by the end of 2022, when the plan's
2025 targets were fresh): the probability it gave the target, and where the outcome fell in its
forecast, the PIT (probability integral transform: ``P(X < y) + P(X = y) / 2``, the mid-PIT for
ranks, which are whole numbers; 0.5 = the median, near 0 or 1 = a surprise).

Targets that no series measures say so (the IT application market has no official series);
targets still ahead keep the run's probability.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from vnsim import datasets
from vnsim.egdi import position_among
from vnsim.spec.scenario import Scenario
from vnsim.spec.targets import COMPARE, Target, TargetSet

#: The vintage the plan's 2025 targets are compared with: the data of the end of 2022.
VINTAGE = 2022

#: Indicators no published series measures, with the reason shown instead of an outcome.
UNOBSERVABLE = {
    "market_size": "no official series of the IT application market (vietnam_targets.md §3.3)",
    "market_growth": "no official series of the IT application market (vietnam_targets.md §3.3)",
}

#: Position indicators: the group counted (on the edition's publication date) and its name.
GROUP_POSITIONS = {
    "asean_position": ("asean", "ASEAN members"),
    "southeast_asia_position": ("south_eastern_asia", "countries of South-eastern Asia"),
}

#: Status of a target in a scorecard.
MET, MISSED, AHEAD, UNOBSERVED = "met", "missed", "forecast", "not observable"


@dataclass(frozen=True)
class Outcome:
    """An observed value of a target's indicator, in the target's unit, with its source."""

    value: float
    source: str


def _survey_value(target: Target, surveys: pd.DataFrame) -> Outcome | None:
    edition = surveys[surveys["survey_year"] == target.edition]
    if edition.empty:
        return None
    published = datasets.edition_date(int(target.edition))
    source = f"UN E-Government Survey {target.edition} (published {published:%d %b %Y})"
    if target.indicator in GROUP_POSITIONS:
        group, label = GROUP_POSITIONS[target.indicator]
        members = datasets.members(group, published)
        country = "VNM" if target.country is None else target.country
        ranks = edition.set_index("iso3")["egdi_rank"]
        countries = list(ranks.index)
        # from the published ranks, as the e-government block counts its observed origin
        position = position_among(
            -ranks.to_numpy(np.int32)[None, :],
            np.array([countries.index(c) for c in members]),
            countries.index(country),
        )[0]
        return Outcome(float(position), f"{source}, among {len(members)} {label}")
    row = edition[edition["iso3"] == target.country]
    if row.empty or target.indicator not in row:
        return None
    return Outcome(float(row[target.indicator].iloc[0]), source)


def _yearly_value(target: Target, observations: pd.DataFrame) -> Outcome | None:
    readings = datasets.full_year(observations)  # a year's outcome, not a mid-year reading
    rows = readings[
        (readings["series"] == target.indicator) & (readings["period_end"].dt.year == target.when)
    ]
    if rows.empty:
        return None
    row = rows.sort_values("published").iloc[-1]
    return Outcome(float(row["value"]), str(row["source"]))


def observed(
    target: Target, as_of: int | None = None, *, surveys=None, observations=None
) -> Outcome | str | None:
    """The target's indicator as observed in the data of vintage ``as_of`` (None = all).

    Returns the :class:`Outcome`, a reason string if no series can measure it, or None if it
    has not been observed (yet). ``surveys`` and ``observations`` default to the data layer's.
    """
    if target.indicator in UNOBSERVABLE:
        return UNOBSERVABLE[target.indicator]
    if target.edition is not None:
        surveys = datasets.load_surveys(as_of=as_of) if surveys is None else surveys
        return _survey_value(target, surveys)
    if target.level is not None:
        return None  # no series of work dossiers by level was located (vietnam_targets §4.4)
    observations = datasets.load_observations(as_of) if observations is None else observations
    return _yearly_value(target, observations)


def pit(values: np.ndarray, outcome: float) -> float:
    """Mid-PIT of an outcome in a forecast's draws ``(draw,)``: ``P(X < y) + P(X = y) / 2``."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan")
    return float(np.mean(v < outcome) + 0.5 * np.mean(v == outcome))


def judged(targets: TargetSet, as_of: int | None = None) -> pd.DataFrame:
    """Every target's status in the data of vintage ``as_of`` (None = all data).

    Columns ``status`` (:data:`MET`, :data:`MISSED`, :data:`AHEAD` or :data:`UNOBSERVED`),
    ``observed`` (value in the target's unit, NaN if none) and ``observed_source`` (or why no
    series measures it); index: target id.
    """
    surveys = datasets.load_surveys(as_of=as_of)
    observations = datasets.load_observations(as_of)
    rows = []
    for t in targets.targets:
        got = observed(t, as_of, surveys=surveys, observations=observations)
        row = {"target": t.id, "status": AHEAD, "observed": np.nan, "observed_source": ""}
        if isinstance(got, str):
            row |= {"status": UNOBSERVED, "observed_source": got}
        elif got is not None:
            hit = bool(COMPARE[t.comparison](np.float64(got.value), t.threshold))
            row |= {"status": MET if hit else MISSED, "observed": got.value}
            row["observed_source"] = got.source
        rows.append(row)
    return pd.DataFrame(rows).set_index("target")


def run_as_of(ds: xr.Dataset) -> int | None:
    """The vintage a run was made with (its ``as_of`` attribute; None = all data)."""
    value = str(ds.attrs.get("as_of", "all data"))
    return None if value == "all data" else int(value)


def vintage_forecast(
    scenario: Scenario, year: int = VINTAGE, draws: int | None = None, seed: int | None = None
) -> xr.Dataset:
    """The scenario run as of the end of ``year`` (with ``draws`` and ``seed``, default the
    scenario's): the forecast that vintage could have made, as a results Dataset."""
    from vnsim.run.simulate import simulate

    return simulate(scenario.model_copy(update={"as_of": year}), draws, seed)


def earlier_forecast(
    ds: xr.Dataset, scenario: Callable[[], Scenario], year: int
) -> xr.Dataset | None:
    """The forecast of a run's scenario as of the end of ``year``, with the run's draws and
    seed, or None when the run is itself of that vintage or older (nothing earlier to show).
    ``scenario`` gives the run's scenario; it is called only when a forecast is made."""
    as_of = run_as_of(ds)
    if as_of is not None and as_of <= year:
        return None
    return vintage_forecast(scenario(), year, int(ds.sizes["draw"]), int(ds.attrs["seed"]))
