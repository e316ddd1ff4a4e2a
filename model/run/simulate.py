"""Run a whole ensemble in memory and return the results Dataset (researchers start here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr
from vnsim.core.planning import plan
from vnsim.run import executors, store
from vnsim.spec.scenario import Scenario


def simulate(
    scenario: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    executor: str = "inprocess",
    chunk_size: int | None = None,
    progress: bool = False,
    **overrides: Mapping[str, Any],
) -> xr.Dataset:
    """Run an ensemble in memory and return the results :class:`xarray.Dataset`.

    The same scenario, draws and seed give bit-identical results whatever the executor and
    chunk size. ``overrides`` are the keyword arguments of :func:`vnsim.core.plan.plan`
    (``lever_scale``, ``lever_start``, ``inputs``).
    """
    p = plan(scenario, draws, seed, **overrides)
    executors.check_resources(p, chunk_size=chunk_size, in_memory=True)
    arrays = executors.run(p, executor=executor, chunk_size=chunk_size, progress=progress)
    return store.to_dataset(p, arrays)
