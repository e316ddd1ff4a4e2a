"""The simulation clock: a simpy environment that advances all draws together, year by year.

simpy orders *events* — a block's yearly update, a trigger being checked, a UN survey edition
being taken — never one draw at a time: every process updates arrays with a leading ``draw``
axis. Within a year the phases are fixed (:data:`PHASE`): blocks update, then triggers look at
the year's values, then a survey edition (if one falls in that year) takes its snapshot.

:func:`plan` does the once-per-ensemble work (sampling the design, fitting the e-government
dynamics); :func:`run_chunk` simulates a slice of draws from a plan and is what executors call;
:func:`simulate` runs a whole ensemble in memory and returns the results Dataset.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import simpy
from vnsim import datasets
from vnsim.blocks import dossiers, egov, market
from vnsim.quantity import resolve
from vnsim.spec.levers import fires, lagged, planned_intensity
from vnsim.spec.scenario import Scenario
from vnsim.uncertainty import Streams, design, transform

#: Order of events within a year (fractions of a year added to the calendar year).
PHASE = {"blocks": 0.25, "triggers": 0.5, "survey": 0.75}
COMPONENTS = ("osi", "tii", "hci")


@dataclass(frozen=True)
class Plan:
    """Everything a chunk needs, computed once per ensemble; picklable for executors.

    ``inputs`` holds every uncertain input for every draw, shape ``(draw,)`` each: the design
    spans the whole ensemble (Latin hypercube and Sobol points are not independent per draw).
    """

    scenario: Scenario
    draws: int
    seed: int
    inputs: dict[str, np.ndarray]
    egov_model: Any
    lever_scale: dict[str, float | np.ndarray] = field(default_factory=dict)
    lever_start: dict[str, int] = field(default_factory=dict)
    data_version: str = ""
    data_editions: str = ""

    @property
    def years(self) -> np.ndarray:
        h = self.scenario.horizon
        return np.arange(h.base_year, h.end_year + 1)

    @property
    def editions(self) -> list[int]:
        return [self.egov_model.origin, *self.scenario.egov.editions]

    @property
    def levers(self) -> list[str]:
        return list(self.scenario.levers)


@functools.lru_cache(maxsize=8)
def _prepared_egov(settings_json: str, data_version: str) -> tuple[Any, str]:
    """The fitted e-government model for settings and the data in use, and the data's editions.

    The fit is deterministic and takes seconds, while a small ensemble takes a fraction of one;
    searches and sensitivity designs call :func:`plan` many times with the same settings.
    ``data_version`` changes whenever the user adds an edition, so the cache cannot go stale.
    """
    del data_version  # part of the cache key only
    settings = egov.Settings.model_validate_json(settings_json)
    surveys = datasets.load_surveys()
    return egov.prepare(surveys, settings), _editions(surveys)


def _editions(surveys: pd.DataFrame) -> str:
    """First and last survey edition in the data, e.g. ``"2003–2022"``."""
    return f"{surveys.survey_year.min()}–{surveys.survey_year.max()}"


def sample_inputs(scenario: Scenario, draws: int, seed: int) -> dict[str, np.ndarray]:
    """Values of every uncertain input for every draw, ``{name: (draw,)}``."""
    names = list(scenario.uncertain)
    unit = design(scenario.ensemble.sampler, draws, len(names), seed)
    return {
        name: transform(spec.dist, spec.params(), unit[:, i])
        for i, (name, spec) in enumerate(scenario.uncertain.items())
    }


def plan(
    scenario: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    lever_scale: dict[str, float | np.ndarray] | None = None,
    lever_start: dict[str, int] | None = None,
    inputs: dict[str, np.ndarray] | None = None,
    surveys: pd.DataFrame | None = None,
) -> Plan:
    """Prepare an ensemble: sample the design, fit the e-government block, check overrides.

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
        Survey history to use; default: packaged data plus the user's added editions.
    """
    draws = scenario.ensemble.draws if draws is None else int(draws)
    seed = scenario.ensemble.seed if seed is None else int(seed)
    for name in [*(lever_scale or {}), *(lever_start or {})]:
        if name not in scenario.levers:
            raise KeyError(f"no lever named {name!r}; levers: {', '.join(scenario.levers)}")
    for name, year in (lever_start or {}).items():
        trigger = scenario.levers[name].trigger
        if trigger is not None and year <= trigger.year:
            raise ValueError(
                f"lever {name!r} cannot start in {year}: its trigger is checked at the end of "
                f"{trigger.year}, so it can start in {trigger.year + 1} at the earliest"
            )
    for name, value in (lever_scale or {}).items():
        if np.ndim(value) and np.shape(value) != (draws,):
            raise ValueError(
                f"lever_scale[{name!r}] has shape {np.shape(value)}, "
                f"expected a number or ({draws},)"
            )
    sampled = sample_inputs(scenario, draws, seed)
    for name, values in (inputs or {}).items():
        if name not in sampled:
            raise KeyError(f"no uncertain input named {name!r}")
        values = np.asarray(values, dtype=float)
        if values.shape != (draws,):
            raise ValueError(f"input {name!r} has shape {values.shape}, expected ({draws},)")
        sampled[name] = values
    version = datasets.data_version()
    if surveys is None:
        # the survey history is read (and validated) only when the cached fit is missing
        egov_model, editions = _prepared_egov(scenario.egov.model_dump_json(), version)
    else:
        egov_model, editions = egov.prepare(surveys, scenario.egov), _editions(surveys)
    return Plan(
        scenario=scenario,
        draws=draws,
        seed=seed,
        inputs=sampled,
        egov_model=egov_model,
        lever_scale=dict(lever_scale or {}),
        lever_start=dict(lever_start or {}),
        data_version=version,
        data_editions=editions,
    )


def run_chunk(plan: Plan, start: int, stop: int) -> dict[str, np.ndarray]:
    """Simulate draws ``start`` to ``stop - 1`` of a plan.

    Returns arrays with a leading draw axis, named as the results Dataset's variables
    (see :mod:`vnsim.run.store`). The numbers depend only on the plan and the draw indices.
    """
    scn = plan.scenario
    n = stop - start
    years = plan.years
    base = int(years[0])
    streams = Streams(plan.seed, start, stop)
    inputs = {k: v[start:stop] for k, v in plan.inputs.items()}
    env = simpy.Environment(initial_time=base)

    def scale(name: str) -> np.ndarray:
        """A lever's intensity multiplier per draw, shape ``(draw, 1)``."""
        s = np.asarray(plan.lever_scale.get(name, 1.0), dtype=float)
        return (s[start:stop] if s.ndim else np.full(n, float(s)))[:, None]

    intensity = {
        name: scale(name) * planned_intensity(lever, years, 1.0, plan.lever_start.get(name))
        for name, lever in scn.levers.items()
    }
    sizes = {
        (name, i): resolve(eff.size, inputs, n)
        for name, lever in scn.levers.items()
        for i, eff in enumerate(lever.effects)
    }
    fired = {name: np.ones(n, bool) for name in scn.levers}
    fired_year = {name: np.full(n, -1, np.int16) for name in scn.levers}

    # Lever effects as whole (draw, year) paths, computed once per target and dropped when a
    # trigger changes an intensity: recomputing them every year for every lever was O(year²).
    paths: dict[str, np.ndarray] = {}

    def effect(target: str, year: int) -> np.ndarray:
        """Summed effect of all levers on ``target`` in ``year``, shape ``(draw,)``."""
        if target not in paths:
            total = np.zeros((n, len(years)))
            for name, lever in scn.levers.items():
                for i, eff in enumerate(lever.effects):
                    if eff.target == target:
                        total += sizes[name, i][:, None] * lagged(intensity[name], eff.lag)
            paths[target] = total
        return paths[target][:, year - base]

    def jump(target: str, year: int) -> np.ndarray:
        """Mandate effect: share of the gap closed by this year's rise in intensity.

        A rise of ``r`` in intensity closes ``1 - (1 - size)**r`` of the gap, so a mandate
        phased in over several years closes as much as one taken at once.
        """
        if target not in paths:
            parts = []
            for name, lever in scn.levers.items():
                for i, eff in enumerate(lever.effects):
                    if eff.target == target:
                        lag = lagged(intensity[name], eff.lag)
                        rise = np.clip(lag - lagged(lag, 1), 0.0, None)
                        keep = 1.0 - np.clip(sizes[name, i], 0.0, 1.0)
                        parts.append(1.0 - keep[:, None] ** rise)
            paths[target] = dossiers.combine_jumps(parts) if parts else np.zeros((n, len(years)))
        return paths[target][:, year - base]

    out: dict[str, np.ndarray] = {
        "market_size": np.full((n, len(years)), np.nan),
        "market_growth": np.full((n, len(years)), np.nan),
        "dossier_shares": np.full((n, len(years), len(dossiers.SERIES)), np.nan),
    }

    def market_process():
        state = market.start(scn.market, inputs, n)
        innovations = market.shocks(scn.market, streams, len(years))
        out["market_size"][:, 0] = state.size
        for t, year in enumerate(years[1:], start=1):
            yield env.timeout(year + PHASE["blocks"] - env.now)
            new = market.advance(state, effect("market.growth", year), innovations[:, t])
            out["market_growth"][:, t] = new.size / state.size - 1
            out["market_size"][:, t] = new.size
            state = new

    def dossiers_process():
        state = dossiers.start(scn.dossiers, inputs, n)
        out["dossier_shares"][:, 0] = dossiers.shares(state)
        for t, year in enumerate(years[1:], start=1):
            yield env.timeout(year + PHASE["blocks"] - env.now)
            rate = np.stack([effect(f"dossiers.{s}.rate", year) for s in dossiers.SERIES], -1)
            gap = np.stack([jump(f"dossiers.{s}.jump", year) for s in dossiers.SERIES], -1)
            state = dossiers.advance(state, rate, gap)
            out["dossier_shares"][:, t] = dossiers.shares(state)

    def trigger_process(name: str):
        trigger = scn.levers[name].trigger
        yield env.timeout(trigger.year + PHASE["triggers"] - env.now)
        t = trigger.year - base
        if trigger.variable == "market.size":
            value = out["market_size"][:, t]
        else:
            series = trigger.variable.split(".", 1)[1]
            value = out["dossier_shares"][:, t, dossiers.SERIES.index(series)]
        mask = fires(trigger, value)
        intensity[name][~mask] = 0.0
        paths.clear()
        fired[name] = mask
        fired_year[name] = np.where(mask, trigger.year, -1).astype(np.int16)

    em = plan.egov_model
    country_index = {c: i for i, c in enumerate(em.countries)}
    editions = plan.editions
    survey = {
        k: np.zeros((n, len(editions), len(em.countries)), np.float32)
        for k in ("osi", "tii", "hci", "egdi")
    }
    survey["egdi_rank"] = np.zeros((n, len(editions), len(em.countries)), np.int16)
    survey["asean_position"] = np.zeros((n, len(editions)), np.int16)

    def egov_shift(edition: int) -> np.ndarray:
        """Cumulative lever effects by country, (draw, country, 3) [index points]."""
        seen = edition - scn.egov.assessment_lag_years
        # sums stay float64 per (component, country) touched by a lever, then are stored once
        # as float32 in the block's (draw, comp, country) layout: a view of it is passed, so the
        # block's float32 cast and axis move need no copy of a mostly-zero array
        gains: dict[tuple[int, int], np.ndarray] = {}
        for name, lever in scn.levers.items():
            for i, eff in enumerate(lever.effects):
                if not eff.target.startswith("egov."):
                    continue
                k = COMPONENTS.index(eff.target.split(".", 1)[1])
                lag = lagged(intensity[name], eff.lag)
                through = np.clip(seen - base, -1, len(years) - 1)
                gained = sizes[name, i] * lag[:, 1 : through + 1].sum(axis=1)
                if eff.indicator is not None:
                    # a raw ITU indicator's change, in TII points through the UN formula
                    gained = gained * egov.tii_shift_from_indicator(
                        em, eff.indicator, 1.0, indicator_sd=eff.indicator_sd, cap=None
                    )
                for country in eff.countries:
                    if country not in country_index:
                        raise ValueError(f"lever {name!r}: no UN member state {country!r}")
                    key = (k, country_index[country])
                    gains[key] = gains[key] + gained if key in gains else 0.0 + gained
        shift = np.zeros((n, 3, len(em.countries)), np.float32)
        for (k, c), gained in gains.items():
            shift[:, k, c] = gained
        return shift.transpose(0, 2, 1)

    def survey_process():
        state = egov.start(em, streams)
        for e, edition in enumerate(editions):
            if e > 0:
                yield env.timeout(edition + PHASE["survey"] - env.now)
                state = egov.advance(em, state, edition, egov_shift(edition), streams)
            for key, value in egov.observe(em, state).items():
                survey[key][:, e] = value

    env.process(market_process())
    env.process(dossiers_process())
    for name, lever in scn.levers.items():
        if lever.trigger is not None:
            env.process(trigger_process(name))
    env.process(survey_process())
    env.run()

    shares = out.pop("dossier_shares")
    lever_names = list(scn.levers)
    return {
        **out,
        "admin_fully_online": shares[:, :, 0],
        "dossiers_online": shares[:, :, 1:],
        **survey,
        "lever_intensity": np.stack([intensity[k] for k in lever_names], -1)
        if lever_names
        else np.zeros((n, len(years), 0)),
        "trigger_fired": np.stack([fired[k] for k in lever_names], -1)
        if lever_names
        else np.zeros((n, 0), bool),
        "trigger_year": np.stack([fired_year[k] for k in lever_names], -1)
        if lever_names
        else np.zeros((n, 0), np.int16),
        "inputs": np.stack([inputs[k] for k in plan.inputs], -1)
        if plan.inputs
        else np.zeros((n, 0)),
    }


def simulate(
    scenario: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    lever_scale: dict[str, float | np.ndarray] | None = None,
    lever_start: dict[str, int] | None = None,
    inputs: dict[str, np.ndarray] | None = None,
    executor: str = "inprocess",
    chunk_size: int | None = None,
    progress: bool = False,
):
    """Run an ensemble in memory and return the results :class:`xarray.Dataset`.

    The same scenario, draws and seed give bit-identical results whatever the executor and
    chunk size. See :func:`plan` for the parameters.
    """
    from vnsim.run import executors, store

    p = plan(scenario, draws, seed, lever_scale=lever_scale, lever_start=lever_start, inputs=inputs)
    executors.check_resources(p, chunk_size=chunk_size, in_memory=True)
    arrays = executors.run(p, executor=executor, chunk_size=chunk_size, progress=progress)
    return store.to_dataset(p, arrays)
