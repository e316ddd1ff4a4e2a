"""The run summary (``summary.csv``) and the headline numbers a run prints.

Both are built from the variable registry and a target set: every block variable over time gets
its quantiles (for the run's focus country where it has a ``country`` axis), and every target of
the set gets its probability of being met. Nothing here names a variable or a threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from vnsim.analysis.scorecard import NotMeasured, met, scorecard
from vnsim.blocks import VARIABLES
from vnsim.spec.targets import TargetSet, load_targets

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
COLUMNS = [
    "variable",
    "unit",
    "time_kind",
    "time",
    "country",
    "level",
    "mean",
    *(f"p{round(p * 100):02d}" for p in QUANTILES),
]


def focus_country(ds: xr.Dataset) -> str:
    """The country a run reports on (the scenario's ``egov.country``)."""
    return str(ds.attrs.get("focus_country", "VNM"))


def _quantile_rows(name: str, da: xr.DataArray, unit: str, labels: dict[str, str]) -> list[dict]:
    time_dim = "year" if "year" in da.dims else "edition"
    da = da.astype(float).dropna(time_dim, how="all")  # e.g. growth has no base-year value
    q = da.quantile(QUANTILES, dim="draw").transpose(time_dim, "quantile").values
    mean = da.mean("draw").values
    rows = []
    for i, t in enumerate(da[time_dim].values):
        row = {"variable": name, "unit": unit, "time": int(t), "time_kind": time_dim, **labels}
        row["mean"] = float(mean[i])
        row.update(
            {f"p{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q[i], strict=True)}
        )
        rows.append(row)
    return rows


def _variable_rows(ds: xr.Dataset) -> list[dict]:
    focus = focus_country(ds)
    rows: list[dict] = []
    for name, v in VARIABLES.items():
        if not v.summary or v.time is None or name not in ds:
            continue
        da = ds[name]
        if "country" in da.dims:
            if focus not in da.country:
                continue
            da = da.sel(country=focus)
        others = [d for d in da.dims if d not in ("draw", v.time)]
        if not others:
            labels = {"country": focus} if "country" in v.dims else {}
            rows += _quantile_rows(name, da, v.unit, labels)
        for dim in others:
            for label in da[dim].values:
                rows += _quantile_rows(name, da.sel({dim: label}), v.unit, {dim: str(label)})
    return rows


def _target_rows(ds: xr.Dataset, targets: TargetSet) -> list[dict]:
    rows = []
    for t in targets.targets:
        try:
            p = float(np.mean(met(ds, t)))
        except NotMeasured:
            continue
        rows.append(
            {
                "variable": f"P({t.id})",
                "unit": "probability",
                "time_kind": "year" if t.year is not None else "edition",
                "time": t.when,
                "country": t.country,
                "level": t.level,
                "mean": p,
            }
        )
    return rows


def summarise(ds: xr.Dataset, targets: TargetSet | None = None) -> pd.DataFrame:
    """Tidy summary: quantiles and mean of every variable by time, then P(met) of every target.

    Country variables are summarised for the run's focus country; a target's row is named
    ``P(<target id>)`` with unit ``probability`` (value in ``mean``). ``targets`` defaults to
    the default target set.
    """
    targets = load_targets() if targets is None else targets
    rows = _variable_rows(ds) + _target_rows(ds, targets)
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def headline(ds: xr.Dataset, targets: TargetSet | None = None) -> dict[str, Any]:
    """The numbers a briefing asks first: every target of the set with its probability, median
    and 80 % interval, and the focus country's world rank by edition."""
    targets = load_targets() if targets is None else targets
    card = scorecard({str(ds.attrs.get("scenario")): ds}, targets)
    out: dict[str, Any] = {
        "scenario": ds.attrs.get("scenario"),
        "draws": int(ds.sizes["draw"]),
        "seed": ds.attrs.get("seed"),
        "focus_country": focus_country(ds),
        "target_set": targets.name,
        "targets": [
            {
                "id": r.target,
                "description": r.description,
                "when": r.when,
                "unit": r.unit,
                "probability": None if np.isnan(r.probability) else r.probability,
                "median": None if np.isnan(r.median) else r.median,
                "low": None if np.isnan(r.low) else r.low,
                "high": None if np.isnan(r.high) else r.high,
                "status": r.status,
                "reason": r.reason,
                "observed": None if np.isnan(r.observed) else r.observed,
            }
            for r in card.itertuples(index=False)
            if not r.reason or np.isfinite(r.probability) or r.status == "not observable"
        ],
    }
    out["data"] = data_note(ds.attrs)
    if "egdi_rank" in ds and focus_country(ds) in ds.country:
        rank = ds.egdi_rank.sel(country=focus_country(ds)).astype(float)
        q = rank.quantile([0.1, 0.5, 0.9], dim="draw").values
        out["egdi_rank"] = [
            {"edition": int(e), "p10": float(lo), "median": float(mid), "p90": float(hi)}
            for e, lo, mid, hi in zip(ds.edition.values, *q, strict=True)
        ]
    return out


def data_note(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The run's vintage and what its draws were conditioned on, in words and numbers."""
    as_of = str(attrs.get("as_of", "all data"))
    vintage = "all data" if as_of == "all data" else f"data published by the end of {as_of}"
    note: dict[str, Any] = {"as_of": None if as_of == "all data" else int(as_of)}
    note["vintage"] = f"{vintage}, latest survey edition {_origin(attrs)}"
    ess = attrs.get("effective_sample_size")
    if ess is None:
        note["conditioning"] = "not conditioned on observations (the prior)"
        return note
    on = str(attrs.get("conditioned_on", ""))
    note.update(effective_sample_size=float(ess), ess_floor=float(attrs.get("ess_floor", 0)))
    note["conditioning"] = (
        f"conditioned on {on}; effective sample size {float(ess):.0f} draws "
        f"(floor {note['ess_floor']:.0f})"
        if not on.startswith("nothing")
        else "no observation of a simulated series in this vintage"
    )
    return note


def _origin(attrs: Mapping[str, Any]) -> str:
    editions = str(attrs.get("data_editions", ""))
    return editions.rsplit("–", 1)[-1] if editions else "unknown"
