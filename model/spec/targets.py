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

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from vnsim.blocks import BLOCKS, Variable
from vnsim.blocks.dossiers import LEVELS
from vnsim.datasets import shipped_scenarios
from vnsim.errors import Message, Num
from vnsim.spec.documents import read_yaml, suggest, validate

#: Target sets shipped with vnsim; the first is the default (QĐ 942 supersedes QĐ 749 for 2025).
TARGET_SETS = ("decision_942_2025", "decision_749_2025", "resolution_02_2026", "targets_2030")
#: The default scorecard: the 2025 targets (judged after the fact where observed), the 2026
#: edition's and 2030's (ahead).
DEFAULT_SETS = ("decision_942_2025", "resolution_02_2026", "targets_2030")

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

    @classmethod
    def of(cls, variable: Variable) -> Indicator:
        rest = [d for d in variable.dims if d != variable.time]
        low, high = variable.bounds
        return cls(
            when=variable.time,  # type: ignore[arg-type]
            select=rest[0] if rest else None,  # type: ignore[arg-type]
            unit=variable.unit,
            bounds=(-math.inf if low is None else low, math.inf if high is None else high),
        )


#: Results variables a target can measure: every block variable over time with at most one
#: selection (country or level), from the variable registry.
INDICATORS: dict[str, Indicator] = {
    name: Indicator.of(v)
    for b in BLOCKS
    for v in b.variables
    for name in [v.name]
    if v.time is not None and len(v.dims) <= 2
}


def _indicator_of(info: ValidationInfo) -> Indicator | None:
    """The indicator a target being validated names, if it is a known one."""
    return INDICATORS.get(info.data.get("indicator", ""))


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
    level: Literal[LEVELS] | None = Field(  # type: ignore[valid-type]
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
            known = Message(" (known: {names})", names=", ".join(INDICATORS))
            hint = suggest(v, INDICATORS) or known
            raise ValueError(Message("unknown indicator {name!r}{hint}", name=v, hint=hint))
        return v

    @field_validator("unit")
    @classmethod
    def _indicator_unit(cls, v: str, info: ValidationInfo) -> str:
        ind = _indicator_of(info)
        if ind is not None and v != ind.unit:
            raise ValueError(
                Message(
                    "the unit of {indicator} is {unit!r}, not {given!r}",
                    indicator=info.data["indicator"],
                    unit=ind.unit,
                    given=v,
                )
            )
        return v

    @field_validator("threshold")
    @classmethod
    def _threshold_in_range(cls, v: float, info: ValidationInfo) -> float:
        ind = _indicator_of(info)
        if ind is not None and not ind.bounds[0] <= v <= ind.bounds[1]:
            lo, hi = ind.bounds
            raise ValueError(
                Message(
                    "{indicator} is in {unit} and lies in [{low}, {high}]; {value} is outside "
                    "(a share is written 0.9, not 90)",
                    indicator=info.data["indicator"],
                    unit=ind.unit,
                    low=Num(lo),
                    high=Num(hi),
                    value=Num(v),
                )
            )
        return v

    # Selection and time are checked field by field (validate_default: also when absent) so that
    # every mistake of a file is reported at once, at its own line.
    @field_validator("country", "level", "year", "edition", mode="after")
    @classmethod
    def _selection_and_time(cls, v: str | int | None, info: ValidationInfo) -> str | int | None:
        ind = _indicator_of(info)
        if ind is None:
            return v
        name, field = info.data["indicator"], info.field_name
        time = field in ("year", "edition")
        wanted = ind.when if time else ind.select
        # the time axis (year, edition) and fields are named as in target files
        params = {"name": name, "when": ind.when, "field": field}
        if field == wanted and v is None:
            raise ValueError(
                Message("{name} is measured by {when}: give '{field}'", **params)
                if time
                else Message("{name} needs '{field}'", **params)
            )
        if field != wanted and v is not None:
            raise ValueError(
                Message("{name} is measured by {when}, not {field}: remove it", **params)
                if time
                else Message("{name} has no '{field}'; remove it", **params)
            )
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
            raise ValueError(
                Message("target ids must be unique; repeated: {ids}", ids=", ".join(dup))
            )
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
            Message(
                "no target set {name!r}{hint}; shipped sets: {sets}, or give the path of a "
                "YAML file",
                name=str(name),
                hint=suggest(stem, TARGET_SETS),
                sets=", ".join(TARGET_SETS),
            )
        )
    return found


#: The default target set's file (QĐ 942, 2025 targets).
DEFAULT_TARGETS: Path = shipped_scenarios() / "targets" / f"{TARGET_SETS[0]}.yaml"


def load_targets(path: str | Path | None = None) -> TargetSet:
    """Read and check a target file (a path or a shipped set's name), or, for None, the
    default scorecard: the sets of :data:`DEFAULT_SETS` as one.

    Raises :class:`vnsim.spec.documents.DocumentError` listing every problem with file and line.
    """
    if path is None:
        return combined([load_targets(name) for name in DEFAULT_SETS])
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
                    Message(
                        "id {id!r} is already used (line {first}); ids must be unique",
                        id=tid,
                        first=first,
                    ),
                )
            )
        else:
            seen[tid] = i
    return validate(TargetSet, data, lines, problems)


def combined(sets: list[TargetSet]) -> TargetSet:
    """Several target sets as one scorecard (their target ids must differ)."""
    if len(sets) == 1:
        return sets[0]
    return TargetSet(
        name="default_scorecard",
        title="; ".join(s.title for s in sets),
        title_vi="; ".join(s.title_vi for s in sets),
        targets=[t for s in sets for t in s.targets],
    )
