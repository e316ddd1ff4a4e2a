"""Making the plan of an ensemble: sample the design, prepare the blocks, condition the draws.

:func:`plan` samples the design of uncertain inputs for every draw (Latin hypercube and Sobol
points are not independent per draw, so the design spans the whole ensemble), prepares every
block (fits, observed starting points) on the data of the scenario's vintage, checks the
overrides that searches and sensitivity designs pass, and conditions the draws on the
observations of the years already seen (:mod:`vnsim.core.history`). Chunks then share it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from vnsim import datasets
from vnsim.blocks import BLOCKS
from vnsim.blocks.block import DataSources
from vnsim.core import history
from vnsim.core.plan import LeverScale, Plan
from vnsim.spec.scenario import Scenario
from vnsim.uncertainty import design, transform


def sample_inputs(scenario: Scenario, draws: int, seed: int) -> dict[str, np.ndarray]:
    """Values of every uncertain input for every draw, ``{name: (draw,)}``."""
    names = list(scenario.uncertain)
    unit = design(scenario.ensemble.sampler, draws, len(names), seed)
    return {
        name: transform(spec.dist, spec.params(), unit[:, i])
        for i, (name, spec) in enumerate(scenario.uncertain.items())
    }


def _check_levers(
    scenario: Scenario, lever_scale: Mapping[str, LeverScale], lever_start: Mapping[str, int]
) -> None:
    for name in [*lever_scale, *lever_start]:
        if name not in scenario.levers:
            raise KeyError(f"no lever named {name!r}; levers: {', '.join(scenario.levers)}")
    for name, year in lever_start.items():
        trigger = scenario.levers[name].trigger
        if trigger is not None and year <= trigger.year:
            raise ValueError(
                f"lever {name!r} cannot start in {year}: its trigger is checked at the end of "
                f"{trigger.year}, so it can start in {trigger.year + 1} at the earliest"
            )


def plan(
    scenario: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    lever_scale: Mapping[str, LeverScale] | None = None,
    lever_start: Mapping[str, int] | None = None,
    inputs: Mapping[str, np.ndarray] | None = None,
    surveys: pd.DataFrame | None = None,
    condition: bool | None = None,
    observations: pd.DataFrame | None = None,
) -> Plan:
    """Prepare an ensemble: sample the design, prepare every block, check overrides, and
    condition the draws on the observations of the scenario's vintage.

    Parameters
    ----------
    draws, seed
        Override the scenario's ``ensemble`` section.
    lever_scale, lever_start
        Multiply a lever's intensity (a number, or one per draw with shape ``(draw,)`` for
        sensitivity designs), or move its start year (what-it-takes searches).
    inputs
        Replace sampled uncertain inputs, each shape ``(draw,)`` (sensitivity designs).
    surveys
        Survey history to use; default: packaged data plus the user's added editions, as
        published by the end of the scenario's ``as_of``.
    condition
        Condition the draws on observations (:func:`vnsim.core.history.conditioned`). Default:
        as the scenario's ``conditioning`` section says, unless ``inputs`` are given (a
        design's points must stay as designed; sensitivity analyses study the prior).
    observations
        Observations to condition on, in the layout of
        :func:`vnsim.datasets.load_observations`; default: the packaged ones of the vintage.

    Raises
    ------
    vnsim.core.conditioning.ConditioningError
        When the prior cannot reproduce an observation.
    """
    draws = scenario.ensemble.draws if draws is None else int(draws)
    seed = scenario.ensemble.seed if seed is None else int(seed)
    lever_scale, lever_start = dict(lever_scale or {}), dict(lever_start or {})
    _check_levers(scenario, lever_scale, lever_start)
    sampled = sample_inputs(scenario, draws, seed)
    for name, values in (inputs or {}).items():
        if name not in sampled:
            raise KeyError(f"no uncertain input named {name!r}")
        sampled[name] = np.asarray(values, dtype=float)
    data = DataSources(surveys=surveys, end_year=scenario.horizon.end_year, as_of=scenario.as_of)
    prior = Plan(
        scenario=scenario,
        draws=draws,
        seed=seed,
        inputs=sampled,
        prepared={b.name: b.prepare(getattr(scenario, b.name), data) for b in BLOCKS},
        lever_scale=lever_scale,
        lever_start=lever_start,
        data_version=datasets.data_version(),
    )
    if condition is None:
        condition = scenario.conditioning.observations and inputs is None
    return history.conditioned(prior, observations) if condition else prior
