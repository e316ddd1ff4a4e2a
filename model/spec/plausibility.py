"""Plausibility of a scenario's numbers: ranges with units, and warnings a planner can act on.

Every effect size, rate and intensity has a range a planner can defend, declared where the
field is declared: ``LeverTarget.plausible`` for lever effects, ``json_schema_extra["plausible"]``
on block settings, :data:`~vnsim.spec.levers.PLAUSIBLE_INTENSITY` for schedules. A number outside
its range is a *warning* (the scenario can still run); one far outside it
(:data:`IMPOSSIBLE_FACTOR` times the range's largest magnitude) is an *error*. Schedule dates
outside the horizon are warned about too: they are silently never in effect.

Parts of the model that end within the run (:meth:`~vnsim.blocks.block.Block.endings`, e.g. the
district level abolished in 2025) are checked too: a trigger that watches one after its end is an
error (it has no value to watch); an effect that acts on one only after its end is a warning (it
changes nothing).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from pydantic import BaseModel
from vnsim.blocks import BLOCKS, endings
from vnsim.spec.documents import Lines, Loc, Problem, dotted
from vnsim.spec.levers import PLAUSIBLE_INTENSITY, Lever, lagged, planned_intensity

#: How far outside its plausible range a number is refused rather than warned about.
IMPOSSIBLE_FACTOR = 100.0

#: Units people write as percentages by mistake (3 for 0.03).
PERCENT_UNITS = frozenset({"share", "share/yr"})

#: What a number in each unit means, in words.
MEANINGS: dict[str, Callable[[float], str]] = {
    "share/yr": lambda v: f"{100 * v:+g} % growth a year",
    "share": lambda v: f"{100 * v:g} %",
    "1/yr": lambda v: f"{v:+g} to the log-odds of adoption each year",
    "index points/yr": lambda v: f"{v:+g} on a 0-1 index each year ({100 * v:+g} % of its scale)",
    "index points": lambda v: f"{v:g} on a 0-1 index",
    "per 100/yr": lambda v: f"{v:+g} points (per 100 inhabitants) a year",
    "USD bn": lambda v: f"{v:g} billion US dollars",
    "intensity": lambda v: f"{v:g} times the plan",
}


def meaning(value: float, unit: str) -> str:
    """``3 share/yr = +300 % growth a year``: a number with its unit, in words."""
    words = MEANINGS.get(unit)
    written = f"intensity {value:g}" if unit == "intensity" else f"{value:g} {unit}"
    return written + (f" = {words(value)}" if words else "")


def judge(
    value: float, unit: str, plausible: tuple[float, float], per: str = ""
) -> tuple[str, str] | None:
    """``(severity, message)`` for a number outside its plausible range, None inside it.

    Parameters
    ----------
    value
        The number as written.
    unit
        Its unit.
    plausible
        The range ``(low, high)`` in ``unit``.
    per
        What the range is per, e.g. ``" per unit of intensity"``.
    """
    low, high = plausible
    if low <= value <= high:
        return None
    bound = max(abs(low), abs(high))
    impossible = abs(value) > IMPOSSIBLE_FACTOR * bound
    hint = ""
    if unit in PERCENT_UNITS and low <= value / 100 <= high:
        hint = f"; did you mean {value / 100:g}? ({value:g} % is written {value / 100:g})"
    said = "impossible" if impossible else "implausible"
    message = (
        f"{meaning(value, unit)} is {said}; the plausible range is {low:g} to {high:g} "
        f"{unit}{per}{hint}"
    )
    return ("error" if impossible else "warning"), message


def _reach(spec: Any) -> list[float]:
    """The values an uncertain input can take that are worth checking: its finite bounds, or
    its centre when it is unbounded."""
    low, high = spec.support()
    points = [x for x in (low, high) if math.isfinite(x)]
    if len(points) < 2:
        p = spec.params()
        centre = next((p[k] for k in ("value", "mode", "mean", "median", "loc") if k in p), None)
        points += [] if centre is None else [centre]
    return points


def _check(
    value: float | str,
    unit: str,
    plausible: tuple[float, float],
    loc: Loc,
    scenario: Any,
    lines: Lines,
    per: str = "",
) -> Iterator[Problem]:
    """Problems of one quantity, a number or the name of an uncertain input."""
    if isinstance(value, str):
        spec = scenario.uncertain.get(value)
        for x in [] if spec is None else _reach(spec):
            if found := judge(x, unit, plausible, per):
                severity, message = found
                used = f"reaches {x:g}, used by {dotted(loc)}: "
                yield lines.problem(("uncertain", value), used + message, severity)  # type: ignore[arg-type]
                return
        return
    if found := judge(float(value), unit, plausible, per):
        yield lines.problem(loc, found[1], found[0])  # type: ignore[arg-type]


def _settings(model: BaseModel, loc: Loc, scenario: Any, lines: Lines) -> Iterator[Problem]:
    """Problems of a block's settings, nested sections included."""
    for name, f in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _settings(value, (*loc, name), scenario, lines)
            continue
        extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
        plausible, unit = extra.get("plausible"), extra.get("unit")
        if plausible and unit and isinstance(value, float | int | str):
            yield from _check(value, str(unit), tuple(plausible), (*loc, name), scenario, lines)  # type: ignore[arg-type]


def _schedule(
    name: str, lever: Lever, base_year: int, end_year: int, lines: Lines
) -> Iterator[Problem]:
    """Intensities far above plan and dates the run never sees."""
    loc: Loc = ("levers", name, "schedule")
    for year, level in lever.schedule.items():
        if found := judge(level, "intensity", PLAUSIBLE_INTENSITY, " (1 = as planned)"):
            yield lines.problem((*loc, year), found[1], "warning")
    late = sorted(y for y in lever.schedule if y > end_year)
    early = sorted(y for y in lever.schedule if y < base_year)
    for year in late:
        yield lines.problem(
            (*loc, year),
            f"{year} is after the horizon's end_year ({end_year}): this intensity is never "
            f"in effect"
            + ("; the lever is off for the whole run" if len(late) == len(lever.schedule) else ""),
            "warning",
        )
    for year in early[:-1]:
        yield lines.problem(
            (*loc, year),
            f"{year} is before base_year ({base_year}) and replaced by {early[-1]} before the run "
            "starts: it has no effect",
            "warning",
        )
    for key, year in (("start", lever.start), ("end", lever.end)):
        if year is not None and not base_year <= year <= end_year:
            yield lines.problem(
                ("levers", name, key),
                f"{year} is outside the horizon ({base_year}-{end_year})",
                "warning",
            )


def _after_end(scenario: Any, lines: Lines) -> Iterator[Problem]:
    """Triggers watching, and effects acting on, a part of the model only after it has ended."""
    h = scenario.horizon
    years = np.arange(h.base_year, h.end_year + 1)
    ended = {name: e for e in endings(scenario) for name in e.names}
    for name, lever in scenario.levers.items():
        t = lever.trigger
        if t is not None and t.variable in ended and t.year > ended[t.variable].last_year:
            e = ended[t.variable]
            yield lines.problem(
                ("levers", name, "trigger", "year"),
                f"{t.variable} has no value after {e.last_year}: {e.reason}, so a trigger "
                f"checked in {t.year} never fires; check it in {e.last_year} or earlier, or "
                "watch another variable",
                "error",
            )
        for i, eff in enumerate(lever.effects):
            e = ended.get(eff.target)
            if e is None:
                continue
            # years the effect is non-zero as planned (triggers only ever switch levers off)
            acting = years[lagged(planned_intensity(lever, years), eff.lag) > 0]
            if acting.size and acting.min() > e.last_year:
                yield lines.problem(
                    ("levers", name, "effects", i, "target"),
                    f"{eff.target} acts only from {acting.min()}, after {e.last_year}: "
                    f"{e.reason}, so this effect changes nothing",
                    "warning",
                )


def plausibility_problems(scenario: Any, lines: Lines) -> list[Problem]:
    """Every number of a validated scenario outside its plausible range, every schedule date
    outside its horizon, and every trigger or effect on a part of the model after its end, as
    located problems (warnings, or errors for the impossible)."""
    h = scenario.horizon
    out: list[Problem] = []
    for block in BLOCKS:
        out += _settings(getattr(scenario, block.name), (block.name,), scenario, lines)
    per = " per unit of intensity"
    for name, lever in scenario.levers.items():
        for i, eff in enumerate(lever.effects):
            if eff.plausible is not None:
                loc = ("levers", name, "effects", i, "size")
                out += _check(eff.size, eff.unit, eff.plausible, loc, scenario, lines, per)
        out += _schedule(name, lever, h.base_year, h.end_year, lines)
    out += _after_end(scenario, lines)
    return out
