"""Run a whole ensemble in memory and return the results Dataset (researchers start here)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr
from vnsim.core.plan import LeverScale, plan
from vnsim.run import executors, store
from vnsim.spec.scenario import Scenario


def simulate(
    scenario: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    lever_scale: Mapping[str, LeverScale] | None = None,
    lever_start: Mapping[str, int] | None = None,
    inputs: Mapping[str, np.ndarray] | None = None,
    executor: str = "inprocess",
    chunk_size: int | None = None,
    progress: bool = False,
) -> xr.Dataset:
    """Run an ensemble in memory and return the results :class:`xarray.Dataset`.

    The same scenario, draws and seed give bit-identical results whatever the executor and
    chunk size. See :func:`vnsim.core.plan.plan` for the parameters.
    """
    p = plan(scenario, draws, seed, lever_scale=lever_scale, lever_start=lever_start, inputs=inputs)
    executors.check_resources(p, chunk_size=chunk_size, in_memory=True)
    arrays = executors.run(p, executor=executor, chunk_size=chunk_size, progress=progress)
    return store.to_dataset(p, arrays)
