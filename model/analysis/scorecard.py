"""Scorecards: how likely each target is met in each run, and how its indicator is spread.

A target names a results variable at a year or survey edition (and a country or level); this
module reads that value in every draw of a run (:func:`indicator_values`), counts the draws that
meet the target (:func:`attainment`) and tabulates every target of a set for every run
(:func:`scorecard`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from vnsim.analysis import hindsight
from vnsim.spec.targets import COMPARE, INDICATORS, Target, TargetSet

#: Probability covered by the scorecard's ``low``–``high`` interval.
INTERVAL = 0.8


class NotMeasured(LookupError):
    """A run lacks what a target needs (variable, year, edition, country or level)."""


def indicator_values(ds: xr.Dataset, target: Target) -> np.ndarray:
    """The target's indicator in every draw, shape ``(draw,)``, in the target's unit.

    Raises :class:`NotMeasured` (with the reason) if the run does not hold it.
    """
    var = target.indicator
    if var not in ds.data_vars:
        raise NotMeasured(f"the run has no variable {var!r}")
    da = ds[var]
    ind = INDICATORS[var]
    sel: dict[str, Any] = {ind.when: target.when}
    if ind.select is not None:
        sel[ind.select] = getattr(target, ind.select)
    for dim, value in sel.items():
        if dim not in da.dims:
            raise NotMeasured(f"{var} has no {dim} dimension")
        coord = da[dim].values
        if value not in coord:
            shown = (
                f"{coord.min()}–{coord.max()}"
                if np.issubdtype(coord.dtype, np.number) and coord.size
                else f"{coord.size} values"
            )
            raise NotMeasured(f"{dim} {value} is not in the run ({dim}s {shown})")
    picked = da.sel(sel)
    if picked.dims != ("draw",):
        raise NotMeasured(f"{var} at {sel} has dims {picked.dims}, expected ('draw',)")
    return np.asarray(picked.values, dtype=float)


def met(ds: xr.Dataset, target: Target) -> np.ndarray:
    """Whether each draw meets the target, shape ``(draw,)`` bool (a missing value is not met)."""
    values = indicator_values(ds, target)
    return np.asarray(COMPARE[target.comparison](values, target.threshold)) & np.isfinite(values)


def attainment(ds: xr.Dataset, target: Target) -> float:
    """Probability that the target is met: share of draws (with a value) that meet it, 0–1.

    Raises :class:`NotMeasured` if the run does not hold the target's indicator, and when no draw
    has a finite value.
    """
    values = indicator_values(ds, target)
    ok = np.isfinite(values)
    if not ok.any():
        raise NotMeasured(f"{target.indicator} is missing (NaN) in every draw")
    return float(np.mean(COMPARE[target.comparison](values[ok], target.threshold)))


SCORECARD_COLUMNS = [
    "scenario",
    "target",
    "description",
    "description_vi",
    "indicator",
    "comparison",
    "threshold",
    "unit",
    "when",
    "probability",
    "median",
    "low",
    "high",
    "draws",
    "reason",
    "status",
    "observed",
    "observed_source",
    "vintage_probability",
    "vintage_pit",
]


def scorecard(
    runs: Mapping[str, xr.Dataset],
    targets: TargetSet,
    vintages: Mapping[str, xr.Dataset] | None = None,
) -> pd.DataFrame:
    """Attainment of every target in every run, one row per scenario × target.

    Columns: ``scenario, target, description, description_vi, indicator, comparison, threshold,
    unit, when`` (year, or ``"edition 2026"``), ``probability`` (P(met), 0–1), ``median, low,
    high`` (median and 80 % interval of the indicator, in ``unit``), ``draws`` (draws with a value)
    and ``reason`` (why a row has no probability, or how many draws lacked a value; else "").
    A target the run cannot measure gives NaN and a reason, never an error. Then the target
    judged after the fact in the run's vintage (:func:`vnsim.analysis.hindsight.judged`):
    ``status, observed, observed_source``, and ``vintage_probability, vintage_pit`` from the
    run's entry in ``vintages`` (an earlier vintage's forecast), if given.
    """
    vintages = vintages or {}
    judged_by_vintage: dict[int | None, pd.DataFrame] = {}
    q = [0.5, (1 - INTERVAL) / 2, (1 + INTERVAL) / 2]
    rows = []
    for scenario, ds in runs.items():
        as_of = hindsight.run_as_of(ds)
        if as_of not in judged_by_vintage:  # runs of one vintage share the data's verdict
            judged_by_vintage[as_of] = hindsight.judged(targets, as_of)
        judged = judged_by_vintage[as_of].copy()
        for t in targets.targets:
            row: dict[str, Any] = {
                "scenario": scenario,
                "target": t.id,
                "description": t.description,
                "description_vi": t.description_vi,
                "indicator": t.indicator,
                "comparison": t.comparison,
                "threshold": t.threshold,
                "unit": t.unit,
                "when": t.when_label,
                "probability": np.nan,
                "median": np.nan,
                "low": np.nan,
                "high": np.nan,
                "draws": 0,
                "reason": "",
            }
            try:
                values = indicator_values(ds, t)
            except NotMeasured as exc:
                row["reason"] = str(exc)
                rows.append(row | _after_the_fact(judged.loc[t.id], t, vintages.get(scenario)))
                continue
            ok = np.isfinite(values)
            row["draws"] = int(ok.sum())
            if not ok.any():
                row["reason"] = (
                    ended_reason(ds, t) or f"{t.indicator} is missing (NaN) in every draw"
                )
                judged.loc[t.id, "status"] = hindsight.UNOBSERVED
            else:
                v = values[ok]
                row["probability"] = float(np.mean(COMPARE[t.comparison](v, t.threshold)))
                row["median"], row["low"], row["high"] = (float(x) for x in np.quantile(v, q))
                if not ok.all():
                    row["reason"] = f"{(~ok).sum()} of {ok.size} draws have no value; not counted"
            rows.append(row | _after_the_fact(judged.loc[t.id], t, vintages.get(scenario)))
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


def ended_reason(ds: xr.Dataset, target: Target) -> str:
    """Why a target's indicator has no value: a part of the model that ended before the
    target's date (the run's ``ended`` attribute, e.g. the district level after 2025), or ""."""
    for e in json.loads(str(ds.attrs.get("ended", "[]"))):
        picked = all(getattr(target, dim, None) == v for dim, v in e["select"].items())
        if e["variable"] == target.indicator and picked and target.when > e["last_year"]:
            return f"not observable after {e['last_year']}: {e['reason']}"
    return ""


def _after_the_fact(judged: pd.Series, target: Target, vintage: xr.Dataset | None) -> dict:
    """The judged columns of a row, with the vintage's P(met) and the outcome's PIT in it."""
    out = judged.to_dict() | {"vintage_probability": np.nan, "vintage_pit": np.nan}
    if vintage is None or judged["status"] not in (hindsight.MET, hindsight.MISSED):
        return out
    try:
        out["vintage_probability"] = attainment(vintage, target)
    except NotMeasured:
        return out
    out["vintage_pit"] = hindsight.pit(indicator_values(vintage, target), float(judged["observed"]))
    return out


def scorecard_to_json(df: pd.DataFrame) -> dict[str, Any]:
    """The scorecard as JSON-ready data: ``{"interval": 0.8, "rows": [{column: value}, …]}``.

    NaN becomes ``None``; numbers are plain Python floats/ints.
    """
    rows = []
    for rec in df.to_dict(orient="records"):
        out = {}
        for k, v in rec.items():
            if isinstance(v, float | np.floating):
                out[str(k)] = None if math.isnan(v) else float(v)
            elif isinstance(v, np.integer):
                out[str(k)] = int(v)
            else:
                out[str(k)] = v
        rows.append(out)
    doc = {"interval": INTERVAL, "columns": list(map(str, df.columns)), "rows": rows}
    json.dumps(doc)  # fail here, not in the caller, if something is not JSON-ready
    return doc
