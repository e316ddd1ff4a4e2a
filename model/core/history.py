"""The years already seen: observations of simulated series, and the draws conditioned on them.

The clock starts at the scenario's base year, where its stated values sit (the market's 2022
size, the dossiers' 2022 shares), and the observations published since say where those years
went. A plan is conditioned on them by sequential importance resampling
(:mod:`vnsim.core.conditioning`): every draw is simulated up to the last observed year, weighted
by the likelihood of the observations, and the inputs that drive the observed block are
resampled in proportion; the run then simulates the resampled draws from the base year. Since
this happens once per plan, chunks and executors see the same draws.

An observation (``model/data/observations.csv``, as published by the scenario's ``as_of``) is
used when

* its series is a yearly variable of a block without random noise, so that a draw's value is a
  function of its inputs and levers and resampling the inputs carries the weighted path;
* its year lies between the base year and the horizon (earlier ones inform the priors);
* it is the reading of its year covering the longest period: the full-year figure supersedes a
  mid-year one, which measures the same dossiers and would count the evidence twice.

Every other observation of the vintage is listed with the reason it was not used.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from vnsim import datasets
from vnsim.blocks import BLOCKS, VARIABLES, Block, block_of
from vnsim.core import engine
from vnsim.core.conditioning import (
    Conditioned,
    Conditioning,
    Observation,
    Reading,
    condition,
    ess_floor,
)

if TYPE_CHECKING:
    from vnsim.core.plan import Plan
    from vnsim.spec.scenario import Scenario

#: Draws simulated at once to find the observed values (the whole ensemble is not held).
HISTORY_CHUNK = 2_000
#: Spawn key of the resampling's random numbers, apart from every block stream.
RESAMPLE_KEY = 0x7265_7361  # "resa"


def _observed_blocks() -> dict[str, Block]:
    """Yearly variables without other dims, of blocks without noise: variable -> block."""
    return {v.name: b for b in BLOCKS if not b.noise for v in b.variables if v.dims == ("year",)}


def readings(
    scenario: Scenario, observations: pd.DataFrame | None = None
) -> tuple[list[Reading], list[tuple[str, str]]]:
    """The observations a scenario is conditioned on, and those it is not (with the reason).

    ``observations`` default: :func:`vnsim.datasets.load_observations` as of the scenario's
    ``as_of``. Readings are in chronological order (a particle filter's order).
    """
    if observations is None:
        observations = datasets.load_observations(as_of=scenario.as_of)
    h, usable = scenario.horizon, _observed_blocks()
    used: dict[tuple[str, int], tuple[pd.Timedelta, Reading]] = {}
    unused: list[tuple[str, str]] = []
    for row in observations.itertuples(index=False):
        year = int(row.period_end.year)
        name = f"{row.series} {year}"
        period = f"{row.period_start:%Y-%m-%d}/{row.period_end:%Y-%m-%d}"
        label = f"{name} ({period})"
        if row.series not in VARIABLES:
            unused.append((label, "not a simulated series (evidence for the priors)"))
        elif row.series not in usable:
            unused.append((label, "its block draws random noise: inputs cannot carry it"))
        elif year < h.base_year:
            unused.append((label, f"before the base year {h.base_year} (informs the priors)"))
        elif year > h.end_year:
            unused.append((label, f"after the horizon ({h.end_year})"))
        else:
            span = row.period_end - row.period_start
            obs = Observation(name, float(row.value), float(row.sd))
            reading = Reading(obs, row.series, year, str(row.source), period)
            key = (row.series, year)
            if key in used and used[key][0] >= span:
                unused.append((label, f"superseded by {used[key][1].period}"))
                continue
            if key in used:
                old = used[key][1]
                unused.append((f"{name} ({old.period})", f"superseded by {reading.period}"))
            used[key] = (span, reading)
    chosen = sorted((r for _, r in used.values()), key=lambda r: (r.year, r.variable))
    return chosen, unused


def simulated(plan: Plan, chosen: list[Reading]) -> dict[str, np.ndarray]:
    """Each reading's simulated value in every draw, ``{name: (draw,)}``, simulating the
    ensemble (in chunks) only up to the last year observed."""
    through = max(r.year for r in chosen)
    first = int(plan.years[0])
    # only the observed blocks, and those whose values a trigger reads, need simulating
    owner = _observed_blocks()
    blocks = {owner[r.variable].name for r in chosen} | {
        block_of(lever.trigger.variable).name
        for lever in plan.scenario.levers.values()
        if lever.trigger is not None
    }
    out: dict[str, list[np.ndarray]] = {r.observation.name: [] for r in chosen}
    for start in range(0, plan.draws, HISTORY_CHUNK):
        stop = min(start + HISTORY_CHUNK, plan.draws)
        arrays = engine.run_chunk(plan, start, stop, through=through, blocks=blocks)
        for r in chosen:
            out[r.observation.name].append(arrays[r.variable][:, r.year - first])
    return {k: np.concatenate(v) for k, v in out.items()}


def driving_inputs(scenario: Scenario, block: Block) -> set[str] | None:
    """The uncertain inputs a block's values depend on: those its settings and the lever
    effects on it name. None when a lever acting on it is triggered by another block's value
    (the dependence then runs through that block's noise)."""
    names = set(scenario.uncertain)
    found = _named(getattr(scenario, block.name).model_dump(), names)
    for lever in scenario.levers.values():
        acting = [e for e in lever.effects if block_of(e.target) is block]
        if not acting:
            continue
        trigger = lever.trigger
        if trigger is not None and block_of(trigger.variable) is not block:
            return None
        found |= {e.size for e in acting if isinstance(e.size, str)}
    return found & names


def _named(value: Any, names: set[str]) -> set[str]:
    if isinstance(value, str):
        return {value} & names
    if isinstance(value, dict):
        return set().union(*(_named(v, names) for v in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(_named(v, names) for v in value))
    return set()


def conditioned(plan: Plan, observations: pd.DataFrame | None = None) -> Plan:
    """The plan with its draws conditioned on the observations of its vintage.

    The inputs that drive the observed blocks (:func:`driving_inputs`) are resampled together
    by systematic resampling of the importance weights; the other inputs keep their prior
    design, which the weights do not depend on. Raises
    :class:`~vnsim.core.conditioning.ConditioningError` (naming the observation and the
    inputs to widen) when the effective sample size falls below the floor.
    """
    scenario = plan.scenario
    chosen, unused = readings(scenario, observations)
    floor = _floor(scenario, plan.draws)
    if not chosen:
        record = Conditioning((), tuple(unused), plan.draws, float(plan.draws), floor, ())
        return dataclasses.replace(plan, conditioning=record)
    values = simulated(plan, chosen)
    seed = np.random.SeedSequence(plan.seed, spawn_key=(RESAMPLE_KEY,))
    resampled = _resampled(scenario, chosen, plan)
    fit: Conditioned = condition(
        values,
        [r.observation for r in chosen],
        seed,
        inputs={k: plan.inputs[k] for k in resampled},  # only these can be widened to fit
        floor=floor,
    )
    idx = fit.indices
    inputs = {k: (v[idx] if k in resampled else v) for k, v in plan.inputs.items()}
    lever_scale = {k: (v[idx] if np.ndim(v) else v) for k, v in plan.lever_scale.items()}
    record = Conditioning(tuple(chosen), tuple(unused), plan.draws, fit.ess, floor, resampled)
    return dataclasses.replace(plan, inputs=inputs, lever_scale=lever_scale, conditioning=record)


def _floor(scenario: Scenario, draws: int) -> float:
    share = scenario.conditioning.min_ess_share
    return ess_floor(draws) if share is None else ess_floor(draws, share)


def _resampled(scenario: Scenario, chosen: list[Reading], plan: Plan) -> tuple[str, ...]:
    by_variable = _observed_blocks()
    found: set[str] = set()
    for block in {by_variable[r.variable] for r in chosen}:
        names = driving_inputs(scenario, block)
        if names is None:
            return tuple(plan.inputs)
        found |= names
    return tuple(k for k in plan.inputs if k in found)
