"""The simulation calendar: a simpy environment that advances all draws of a chunk together.

simpy orders *events* — a block's update at its next time, a lever's trigger being checked —
never one draw at a time: every block updates arrays with a leading ``draw`` axis. Within a year
the phases are fixed (:data:`PHASE`): yearly blocks step, then triggers look at the year's
values, then blocks on the survey clock take an edition if one falls in that year.

A :class:`Simulation` is one chunk of draws of a :class:`~vnsim.core.plan.Plan`: its processes
(one per block, one per triggered lever) are its methods, over one state — the recorded
variables, the levers' intensities and the effect paths they imply. :func:`run_chunk` is what
executors call; its numbers depend only on the plan and the draw indices.
"""

from __future__ import annotations

from collections.abc import Collection, Generator

import numpy as np
import simpy
from vnsim.blocks import BLOCKS, ENGINE_VARIABLES, TRIGGER_SOURCES, Block, Variable, block_of
from vnsim.blocks.block import Draws, Effects
from vnsim.core.plan import Plan
from vnsim.quantity import resolve
from vnsim.spec.levers import effect_paths, fires, planned_intensity
from vnsim.uncertainty import Streams

#: Order of events within a year (fractions of a year added to the calendar year).
PHASE = {"year": 0.25, "trigger": 0.5, "edition": 0.75}


def _empty(variable: Variable, shape: tuple[int, ...]) -> np.ndarray:
    kind = np.dtype(variable.dtype).kind
    return np.full(shape, np.nan if kind == "f" else 0, dtype=variable.dtype)


class Simulation:
    """Draws ``start`` to ``stop - 1`` of a plan on one simpy calendar."""

    def __init__(self, plan: Plan, start: int, stop: int) -> None:
        self.plan = plan
        scenario, n, years = plan.scenario, stop - start, plan.years
        inputs = {k: v[start:stop] for k, v in plan.inputs.items()}
        self.draws = Draws(inputs=inputs, streams=Streams(plan.seed, start, stop), years=years)
        self.env = simpy.Environment(initial_time=int(years[0]))
        self.intensity = {
            name: self._scale(name, start, stop)
            * planned_intensity(lever, years, 1.0, plan.lever_start.get(name))
            for name, lever in scenario.levers.items()
        }
        self.sizes = {
            (name, i): resolve(eff.size, inputs, n) * _effect_scale(plan, eff)
            for name, lever in scenario.levers.items()
            for i, eff in enumerate(lever.effects)
        }
        self.fired = {name: np.ones(n, bool) for name in scenario.levers}
        self.fired_year = {name: np.full(n, -1, np.int16) for name in scenario.levers}
        self.coords = plan.coords()
        self.out = {
            v.name: _empty(v, (n, *(len(self._axis(d, b)) for d in v.dims)))
            for b in BLOCKS
            for v in b.variables
        }
        # effect paths per block, computed once and dropped when a trigger changes an intensity
        self._effects: dict[str, Effects] = {}

    def _scale(self, name: str, start: int, stop: int) -> np.ndarray:
        """A lever's intensity multiplier per draw, shape ``(draw, 1)``."""
        s = np.asarray(self.plan.lever_scale.get(name, 1.0), dtype=float)
        return (s[start:stop] if s.ndim else np.full(stop - start, float(s)))[:, None]

    def _axis(self, dim: str, block: Block) -> list | np.ndarray:
        return self.plan.times(block) if dim in ("year", "edition") else self.coords[dim]

    def effects(self, block: Block) -> Effects:
        """Lever effects on the block's targets, ``(draw, year, key)``."""
        if block.name not in self._effects:
            targets = {t.name: t for t in block.lever_targets}
            levers = self.plan.scenario.levers
            shape = (self.draws.n, len(self.draws.years))
            keys, paths = effect_paths(levers, self.intensity, self.sizes, targets, shape)
            self._effects[block.name] = Effects(self.draws.years, keys, paths)
        return self._effects[block.name]

    def block_process(self, block: Block) -> Generator[simpy.Event]:
        """Start the block, then step it at every time of its clock, recording what it shows."""
        prepared = self.plan.prepared[block.name]
        times = self.plan.times(block)
        state = block.start(prepared, self.draws)
        self._record(block.observe(prepared, state), 0)
        for i, time in enumerate(times[1:], start=1):
            yield self.env.timeout(time + PHASE[block.clock] - self.env.now)
            state = block.step(prepared, state, time, self.effects(block), self.draws)
            self._record(block.observe(prepared, state), i)

    def _record(self, values: dict[str, np.ndarray], i: int) -> None:
        for name, value in values.items():
            self.out[name][:, i] = value

    def trigger_process(self, name: str) -> Generator[simpy.Event]:
        """At the end of the trigger's year, switch the lever off in draws that do not fire."""
        trigger = self.plan.scenario.levers[name].trigger
        yield self.env.timeout(trigger.year + PHASE["trigger"] - self.env.now)
        source = TRIGGER_SOURCES[trigger.variable]
        value = self.out[source.variable][:, trigger.year - int(self.draws.years[0])]
        for dim, label in source.select.items():
            value = value[:, list(self.coords[dim]).index(label)]
        mask = fires(trigger, value)
        self.intensity[name][~mask] = 0.0
        self._effects.clear()
        self.fired[name] = mask
        self.fired_year[name] = np.where(mask, trigger.year, -1).astype(np.int16)

    def run(
        self, through: int | None = None, blocks: Collection[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Run the calendar to its end, or to the end of year ``through`` (values after it
        stay empty), with every block or only the ``blocks`` named (the others' variables stay
        empty); the chunk's variables, ``{name: (draw, ...)}``."""
        for block in BLOCKS:
            if blocks is None or block.name in blocks:
                self.env.process(self.block_process(block))
        for name, lever in self.plan.scenario.levers.items():
            if lever.trigger is not None:
                self.env.process(self.trigger_process(name))
        self.env.run(until=None if through is None else through + 1)
        return {**self.out, **self._engine_variables()}

    def _engine_variables(self) -> dict[str, np.ndarray]:
        n, levers = self.draws.n, list(self.plan.scenario.levers)
        by_lever = {
            "lever_intensity": (self.intensity, (n, len(self.draws.years), 0)),
            "trigger_fired": (self.fired, (n, 0)),
            "trigger_year": (self.fired_year, (n, 0)),
        }
        out = {}
        for v in ENGINE_VARIABLES:
            if v.name in by_lever:
                values, empty = by_lever[v.name]
                stacked = [values[k] for k in levers]
                out[v.name] = np.stack(stacked, -1) if levers else np.zeros(empty, v.dtype)
        names = list(self.plan.inputs)
        inputs = self.draws.inputs
        out["inputs"] = np.stack([inputs[k] for k in names], -1) if names else np.zeros((n, 0))
        return out


def _effect_scale(plan: Plan, effect) -> float:
    block = block_of(effect.target)
    return block.effect_scale(plan.prepared[block.name], effect)


def run_chunk(
    plan: Plan,
    start: int,
    stop: int,
    through: int | None = None,
    blocks: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """Simulate draws ``start`` to ``stop - 1`` of a plan (to the end of year ``through``; only
    the ``blocks`` named, if given).

    Returns arrays with a leading draw axis, named as the results variables
    (:data:`vnsim.blocks.VARIABLES`). The numbers depend only on the plan and the draw indices:
    a block's random streams and lever effects do not depend on which other blocks run.
    """
    return Simulation(plan, start, stop).run(through, blocks)
