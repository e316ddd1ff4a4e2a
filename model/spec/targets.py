"""Target sets (government targets as data files) and the scorecard of attainment probabilities.

A target set is a YAML file in ``scenarios/targets/`` (a copy ships in ``model/data/targets/``)
naming, for each target, a results variable of the run Dataset (see the results contract), the
selection that makes it one number per draw (``country: VNM``, ``level: commune``), the year or
UN survey edition, a comparison and a threshold. The probability that a target is met is the share
of draws whose value passes the comparison; the scorecard tabulates it for every scenario and
target, with the median and the 80 % interval of the value.

Files are read with :func:`vnsim.spec.documents.read_yaml` and checked against
:class:`TargetSet`, so
every mistake is reported at once with its file and line (and "did you mean" for misspelt keys).
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from vnsim.datasets import shipped_scenarios
from vnsim.spec.documents import read_yaml, suggest, validate

#: Probability covered by the scorecard's ``low``–``high`` interval.
INTERVAL = 0.8

#: Target sets shipped with vnsim; the first is the default (QĐ 942 supersedes QĐ 749 for 2025).
TARGET_SETS = ("decision_942_2025", "decision_749_2025", "targets_2030")

LEVELS = ("ministry_province", "district", "commune")

Comparison = Literal[">=", "<=", ">", "<"]

COMPARE: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Indicator:
    """How a results variable is turned into one value per draw.

    ``when`` is the time coordinate (``"year"`` or ``"edition"``), ``select`` the coordinate a
    target must pick one value of (or None), ``unit`` the unit a target file must state and
    ``bounds`` the range a threshold may take (catches 90 written for a 0.9 share).
    """

    when: Literal["year", "edition"]
    select: Literal["country", "level"] | None
    unit: str
    bounds: tuple[float, float]


#: Results variables a target can measure (names, dimensions and units from the results contract).
INDICATORS: dict[str, Indicator] = {
    "market_size": Indicator("year", None, "USD bn", (0.0, math.inf)),
    "market_growth": Indicator("year", None, "share/yr", (-1.0, math.inf)),
    "osi": Indicator("edition", "country", "index 0-1", (0.0, 1.0)),
    "tii": Indicator("edition", "country", "index 0-1", (0.0, 1.0)),
    "hci": Indicator("edition", "country", "index 0-1", (0.0, 1.0)),
    "egdi": Indicator("edition", "country", "index 0-1", (0.0, 1.0)),
    "egdi_rank": Indicator("edition", "country", "rank", (1.0, 193.0)),
    # ASEAN had 10 members when the targets were set; Timor-Leste joined as the 11th in 2025
    "asean_position": Indicator("edition", None, "position", (1.0, 11.0)),
    "dossiers_online": Indicator("year", "level", "share 0-1", (0.0, 1.0)),
    "admin_fully_online": Indicator("year", None, "share 0-1", (0.0, 1.0)),
}

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
ISO3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Year = Annotated[int, Field(ge=1990, le=2100)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Source(_Section):
    """Where a target comes from, and how sure we are that the decision says it."""

    decision: str = Field(min_length=1, description="Decision or document that sets the target")
    confidence: Literal["V", "R", "U"] = Field(
        description="V: seen in a retrieved copy or official summary; R: our reading of the "
        "decision text, not re-seen; U: not found or contradictory (vietnam_targets.md tags)"
    )
    evidence: str = Field("", description="Copies or summaries the value was seen in")


class Target(_Section):
    """One quantified target: ``indicator`` [selection] at ``year``/``edition`` ``comparison``
    ``threshold``."""

    id: Id = Field(description="Short name, unique in the set (lower case, digits, _)")
    description: str = Field(min_length=1, description="The target in English")
    description_vi: str = Field(min_length=1, description="The target in Vietnamese")
    indicator: str = Field(description=f"Results variable: {', '.join(INDICATORS)}")
    country: ISO3 | None = Field(
        None, validate_default=True, description="ISO3 code, for per-country variables"
    )
    level: Literal["ministry_province", "district", "commune"] | None = Field(
        None, validate_default=True, description="Level of government, for dossiers_online"
    )
    comparison: Comparison = Field(description="How the value must compare with the threshold")
    threshold: float = Field(description="Threshold, in `unit`")
    unit: str = Field(description="Unit of the threshold (must be the indicator's unit)")
    year: Year | None = Field(
        None, validate_default=True, description="Calendar year, for yearly variables"
    )
    edition: Year | None = Field(
        None, validate_default=True, description="UN survey edition, for survey variables"
    )
    source: Source

    @field_validator("indicator")
    @classmethod
    def _known_indicator(cls, v: str) -> str:
        if v not in INDICATORS:
            hint = suggest(v, INDICATORS) or f" (known: {', '.join(INDICATORS)})"
            raise ValueError(f"unknown indicator {v!r}{hint}")
        return v

    @field_validator("unit")
    @classmethod
    def _indicator_unit(cls, v: str, info: ValidationInfo) -> str:
        ind = INDICATORS.get(info.data.get("indicator", ""))
        if ind is not None and v != ind.unit:
            raise ValueError(f"the unit of {info.data['indicator']} is {ind.unit!r}, not {v!r}")
        return v

    @field_validator("threshold")
    @classmethod
    def _threshold_in_range(cls, v: float, info: ValidationInfo) -> float:
        ind = INDICATORS.get(info.data.get("indicator", ""))
        if ind is not None and not ind.bounds[0] <= v <= ind.bounds[1]:
            lo, hi = ind.bounds
            raise ValueError(
                f"{info.data['indicator']} is in {ind.unit} and lies in [{lo:g}, {hi:g}]; "
                f"{v:g} is outside (a share is written 0.9, not 90)"
            )
        return v

    # Selection and time are checked field by field (validate_default: also when absent) so that
    # every mistake of a file is reported at once, at its own line.
    @field_validator("country", "level", mode="after")
    @classmethod
    def _selection(cls, v: str | None, info: ValidationInfo) -> str | None:
        ind = INDICATORS.get(info.data.get("indicator", ""))
        if ind is None:
            return v
        sel = info.field_name
        if sel == ind.select and v is None:
            raise ValueError(f"{info.data['indicator']} needs '{sel}'")
        if sel != ind.select and v is not None:
            raise ValueError(f"{info.data['indicator']} has no '{sel}'; remove it")
        return v

    @field_validator("year", "edition", mode="after")
    @classmethod
    def _time(cls, v: int | None, info: ValidationInfo) -> int | None:
        ind = INDICATORS.get(info.data.get("indicator", ""))
        if ind is None:
            return v
        name = info.data["indicator"]
        if info.field_name == ind.when and v is None:
            raise ValueError(f"{name} is measured by {ind.when}: give '{ind.when}'")
        if info.field_name != ind.when and v is not None:
            raise ValueError(f"{name} is measured by {ind.when}, not {info.field_name}: remove it")
        return v

    @property
    def when(self) -> int:
        """The year or edition the target is checked at."""
        return int(self.year if self.year is not None else self.edition)  # type: ignore[arg-type]

    @property
    def when_label(self) -> str:
        """``"2025"`` for a year, ``"edition 2026"`` for a UN survey edition."""
        return str(self.year) if self.year is not None else f"edition {self.edition}"


class TargetSet(_Section):
    """A named set of targets, e.g. the 2025 targets of Decision 942."""

    name: Id = Field(description="Short name of the set")
    title: str = Field(min_length=1, description="Title in English")
    title_vi: str = Field(min_length=1, description="Title in Vietnamese")
    targets: list[Target] = Field(min_length=1, description="The targets")

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [t.id for t in self.targets]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"target ids must be unique; repeated: {', '.join(dup)}")
        return self

    def __getitem__(self, target_id: str) -> Target:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"no target {target_id!r} in {self.name}{suggest(target_id, self.ids)}")

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.targets]


def targets_json_schema() -> dict[str, Any]:
    """JSON Schema of target files (for ``schema/targets.schema.json``)."""
    return TargetSet.model_json_schema()


# ---------------------------------------------------------------------------------------------
# Finding and loading target files


def _shipped(stem: str) -> Path | None:
    path = shipped_scenarios() / "targets" / f"{stem}.yaml"
    return path if path.is_file() else None


def target_file(name: str | Path | None = None) -> Path:
    """The file of a target set: a path to a YAML file, or the name of a shipped set.

    Names (``"decision_942_2025"``, with or without ``.yaml``) are looked up in the shipped
    ``scenarios/targets`` (:func:`vnsim.datasets.shipped_scenarios`). ``None`` gives the default
    set, ``TARGET_SETS[0]``. Paths are used as
    given (relative to the working directory).
    """
    name = TARGET_SETS[0] if name is None else name
    path = Path(name)
    if path.exists() or len(path.parts) > 1:
        return path
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    found = _shipped(stem)
    if found is None:
        raise FileNotFoundError(
            f"no target set {str(name)!r}{suggest(stem, TARGET_SETS)}; "
            f"shipped sets: {', '.join(TARGET_SETS)}, or give the path of a YAML file"
        )
    return found


#: The default target set's file (QĐ 942, 2025 targets).
DEFAULT_TARGETS: Path = shipped_scenarios() / "targets" / f"{TARGET_SETS[0]}.yaml"


def load_targets(path: str | Path | None = None) -> TargetSet:
    """Read and check a target file (a path or a shipped set's name; None = default).

    Raises :class:`vnsim.spec.documents.DocumentError` listing every problem with file and line.
    """
    file = target_file(path)
    data, lines, problems = read_yaml(file)
    # repeated ids are found on the raw data, so they are reported with the other mistakes
    seen: dict[Any, int] = {}
    items = data.get("targets")
    for i, item in enumerate(items if isinstance(items, list) else []):
        tid = item.get("id") if isinstance(item, dict) else None
        if tid is None:
            continue
        if tid in seen:
            first = lines.find(("targets", seen[tid], "id"))[1]
            problems.append(
                lines.problem(
                    ("targets", i, "id"),
                    f"id {tid!r} is already used (line {first}); ids must be unique",
                )
            )
        else:
            seen[tid] = i
    return validate(TargetSet, data, lines, problems)


# ---------------------------------------------------------------------------------------------
# Measuring targets on a run


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
]


def scorecard(runs: Mapping[str, xr.Dataset], targets: TargetSet) -> pd.DataFrame:
    """Attainment of every target in every run, one row per scenario × target.

    Columns: ``scenario, target, description, description_vi, indicator, comparison, threshold,
    unit, when`` (year, or ``"edition 2026"``), ``probability`` (P(met), 0–1), ``median, low,
    high`` (median and 80 % interval of the indicator, in ``unit``), ``draws`` (draws with a value)
    and ``reason`` (why a row has no probability, or how many draws lacked a value; else "").
    A target the run cannot measure gives NaN and a reason, never an error.
    """
    q = [0.5, (1 - INTERVAL) / 2, (1 + INTERVAL) / 2]
    rows = []
    for scenario, ds in runs.items():
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
                rows.append(row)
                continue
            ok = np.isfinite(values)
            row["draws"] = int(ok.sum())
            if not ok.any():
                row["reason"] = f"{t.indicator} is missing (NaN) in every draw"
            else:
                v = values[ok]
                row["probability"] = float(np.mean(COMPARE[t.comparison](v, t.threshold)))
                row["median"], row["low"], row["high"] = (float(x) for x in np.quantile(v, q))
                if not ok.all():
                    row["reason"] = f"{(~ok).sum()} of {ok.size} draws have no value; not counted"
            rows.append(row)
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


def write_scorecard(df: pd.DataFrame, folder: str | Path) -> list[Path]:
    """Write the scorecard as ``scorecard.csv`` (UTF-8) and ``scorecard.xlsx``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv, xlsx = folder / "scorecard.csv", folder / "scorecard.xlsx"
    df.to_csv(csv, index=False, encoding="utf-8")
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name="scorecard", index=False)
        sheet = writer.sheets["scorecard"]
        for i, col in enumerate(df.columns, start=1):
            width = max([len(str(col)), *(len(str(v)) for v in df[col])]) if len(df) else len(col)
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(width + 2, 60)
    return [csv, xlsx]


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


_HEADERS = {
    "en": {
        "scenario": "Scenario",
        "target": "Target",
        "when": "When",
        "goal": "Goal",
        "probability": "P(met)",
        "median": "Median",
        "interval": "80 % interval",
        "edition": "edition",
        "notes": "Notes",
    },
    "vi": {
        "scenario": "Kịch bản",
        "target": "Mục tiêu",
        "when": "Thời điểm",
        "goal": "Chỉ tiêu",
        "probability": "Xác suất đạt",
        "median": "Trung vị",
        "interval": "Khoảng 80 %",
        "edition": "kỳ khảo sát",
        "notes": "Ghi chú",
    },
}


def _number(x: float, unit: str) -> str:
    if not np.isfinite(x):
        return "–"
    if unit in ("rank", "position"):
        return f"{x:.0f}"
    if unit.startswith("share"):
        return f"{100 * x:.0f} %"
    if unit == "USD bn":
        return f"{x:.1f}"
    return f"{x:.3g}"


def format_scorecard(df: pd.DataFrame, lang: Literal["en", "vi"] = "en") -> str:
    """The scorecard as a plain-text table for the terminal, in English or Vietnamese.

    One line per scenario × target: description, when, goal (comparison and threshold), P(met),
    median and 80 % interval. Rows without a probability show the reason.
    """
    if lang not in _HEADERS:
        raise ValueError(f"lang must be 'en' or 'vi', not {lang!r}")
    h = _HEADERS[lang]
    desc_col = "description_vi" if lang == "vi" else "description"
    cols = ["scenario", "target", "when", "goal", "probability", "median", "interval"]
    table: list[list[str]] = [[h[c] for c in cols]]
    notes = []
    for r in df.itertuples(index=False):
        unit = str(r.unit)
        when = str(r.when).replace("edition", h["edition"])
        goal = f"{r.comparison} {_number(r.threshold, unit)}"
        prob = "–" if not np.isfinite(r.probability) else f"{100 * r.probability:.0f} %"
        interval = (
            f"{_number(r.low, unit)} – {_number(r.high, unit)}" if np.isfinite(r.low) else "–"
        )
        table.append(
            [
                str(r.scenario),
                str(getattr(r, desc_col)),
                when,
                goal,
                prob,
                _number(r.median, unit),
                interval,
            ]
        )
        if r.reason:
            notes.append(f"  {r.scenario} / {r.target}: {r.reason}")
    widths = [min(max(len(row[i]) for row in table), 70) for i in range(len(cols))]
    right = {4, 5, 6}

    def fmt(row: list[str]) -> str:
        cells = []
        for i, cell in enumerate(row):
            cell = cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…"
            cells.append(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
        return "  ".join(cells).rstrip()

    lines = [fmt(table[0]), "  ".join("-" * w for w in widths), *(fmt(r) for r in table[1:])]
    if notes:
        lines += ["", f"{h['notes']}:", *notes]
    return "\n".join(lines)
