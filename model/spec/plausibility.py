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
from vnsim.errors import Message, Num
from vnsim.spec.documents import Lines, Loc, Problem, dotted
from vnsim.spec.levers import PLAUSIBLE_INTENSITY, Lever, lagged, planned_intensity

#: How far outside its plausible range a number is refused rather than warned about.
IMPOSSIBLE_FACTOR = 100.0

#: Units people write as percentages by mistake (3 for 0.03).
PERCENT_UNITS = frozenset({"share", "share/yr"})

#: What a number in each unit means, in words.
MEANINGS: dict[str, Callable[[float], Message | Num]] = {
    "share/yr": lambda v: Message(
        "{percent} growth a year", percent=Num(100 * v, "+g", percent=True)
    ),
    "share": lambda v: Num(100 * v, "g", percent=True),
    "1/yr": lambda v: Message("{value} to the log-odds of adoption each year", value=Num(v, "+g")),
    "index points/yr": lambda v: Message(
        "{value} on a 0-1 index each year ({percent} of its scale)",
        value=Num(v, "+g"),
        percent=Num(100 * v, "+g", percent=True),
    ),
    "index points": lambda v: Message("{value} on a 0-1 index", value=Num(v)),
    "per 100/yr": lambda v: Message(
        "{value} points (per 100 inhabitants) a year", value=Num(v, "+g")
    ),
    "USD bn": lambda v: Message("{value} billion US dollars", value=Num(v)),
    "intensity": lambda v: Message("{value} times the plan", value=Num(v)),
}


def meaning(value: float, unit: str) -> Message:
    """``3 share/yr = +300 % growth a year``: a number with its unit, in words."""
    words = MEANINGS.get(unit)
    # units are written as in scenario files, in every language
    if unit == "intensity":
        written = Message("intensity {value}", value=Num(value))
    else:
        written = Message.join([Num(value), unit], " ")
    return Message.join([written, words(value)], " = ") if words else written


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
        What the range is per, e.g. ``" per unit of intensity"`` (a message).
    """
    low, high = plausible
    if low <= value <= high:
        return None
    bound = max(abs(low), abs(high))
    impossible = abs(value) > IMPOSSIBLE_FACTOR * bound
    hint: str = ""
    if unit in PERCENT_UNITS and low <= value / 100 <= high:
        # what to write is YAML, with a decimal point in every language
        share = format(value / 100, "g")
        # TRANSLATORS: put after a message; {share} is the number to write in the file
        hint = Message(
            "; did you mean {share}? ({percent} is written {share})",
            share=share,
            percent=Num(value, "g", percent=True),
        )
    params = {
        "value": meaning(value, unit),
        "low": Num(low),
        "high": Num(high),
        "unit": unit,
        "per": per,
        "hint": hint,
    }
    if impossible:
        message = Message(
            "{value} is impossible; the plausible range is {low} to {high} {unit}{per}{hint}",
            **params,
        )
    else:
        message = Message(
            "{value} is implausible; the plausible range is {low} to {high} {unit}{per}{hint}",
            **params,
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
                used = Message(
                    "reaches {value}, used by {field}: {problem}",
                    value=Num(x),
                    field=dotted(loc),
                    problem=message,
                )
                yield lines.problem(("uncertain", value), used, severity)  # type: ignore[arg-type]
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
        # TRANSLATORS: put after a range of intensities; keep the space before the parenthesis
        planned = Message(" (1 = as planned)")
        if found := judge(level, "intensity", PLAUSIBLE_INTENSITY, planned):
            yield lines.problem((*loc, year), found[1], "warning")
    late = sorted(y for y in lever.schedule if y > end_year)
    early = sorted(y for y in lever.schedule if y < base_year)
    off = ""
    if len(late) == len(lever.schedule):
        off = Message("; the lever is off for the whole run")
    for year in late:
        message = Message(
            "{year} is after the horizon's end_year ({end}): this intensity is never in effect"
            "{more}",
            year=year,
            end=end_year,
            more=off,
        )
        yield lines.problem((*loc, year), message, "warning")
    for year in early[:-1]:
        message = Message(
            "{year} is before base_year ({base}) and replaced by {later} before the run starts: "
            "it has no effect",
            year=year,
            base=base_year,
            later=early[-1],
        )
        yield lines.problem((*loc, year), message, "warning")
    for key, year in (("start", lever.start), ("end", lever.end)):
        if year is not None and not base_year <= year <= end_year:
            message = Message(
                "{year} is outside the horizon ({base}-{end})",
                year=year,
                base=base_year,
                end=end_year,
            )
            yield lines.problem(("levers", name, key), message, "warning")


def _after_end(scenario: Any, lines: Lines) -> Iterator[Problem]:
    """Triggers watching, and effects acting on, a part of the model only after it has ended."""
    h = scenario.horizon
    years = np.arange(h.base_year, h.end_year + 1)
    ended = {name: e for e in endings(scenario) for name in e.names}
    for name, lever in scenario.levers.items():
        t = lever.trigger
        if t is not None and t.variable in ended and t.year > ended[t.variable].last_year:
            e = ended[t.variable]
            message = Message(
                "{variable} has no value after {last}: {reason}, so a trigger checked in {year} "
                "never fires; check it in {last} or earlier, or watch another variable",
                variable=t.variable,
                last=e.last_year,
                reason=e.reason,
                year=t.year,
            )
            yield lines.problem(("levers", name, "trigger", "year"), message, "error")
        for i, eff in enumerate(lever.effects):
            e = ended.get(eff.target)
            if e is None:
                continue
            # years the effect is non-zero as planned (triggers only ever switch levers off)
            acting = years[lagged(planned_intensity(lever, years), eff.lag) > 0]
            if acting.size and acting.min() > e.last_year:
                message = Message(
                    "{target} acts only from {first}, after {last}: {reason}, so this effect "
                    "changes nothing",
                    target=eff.target,
                    first=int(acting.min()),
                    last=e.last_year,
                    reason=e.reason,
                )
                yield lines.problem(("levers", name, "effects", i, "target"), message, "warning")


def plausibility_problems(scenario: Any, lines: Lines) -> list[Problem]:
    """Every number of a validated scenario outside its plausible range, every schedule date
    outside its horizon, and every trigger or effect on a part of the model after its end, as
    located problems (warnings, or errors for the impossible)."""
    h = scenario.horizon
    out: list[Problem] = []
    for block in BLOCKS:
        out += _settings(getattr(scenario, block.name), (block.name,), scenario, lines)
    # TRANSLATORS: put after a range with its unit; keep the space at the start
    per = Message(" per unit of intensity")
    for name, lever in scenario.levers.items():
        for i, eff in enumerate(lever.effects):
            if eff.plausible is not None:
                loc = ("levers", name, "effects", i, "size")
                out += _check(eff.size, eff.unit, eff.plausible, loc, scenario, lines, per)
        out += _schedule(name, lever, h.base_year, h.end_year, lines)
    out += _after_end(scenario, lines)
    return out
