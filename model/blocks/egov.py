"""E-government block: OSI, TII, HCI of every UN member state, EGDI, world and ASEAN rank.

The block simulates every member state jointly, one survey edition at a time, with the bounded,
shape-preserving dynamics fitted by :func:`vnsim.fit.egov.fit` (see that module for the
equations): each component is a base table in [0, 1] put through an edition shock that moves its
level and spread but keeps 0, 1 and the countries' order. The OSI base is its origin quantile
function read at ranks from a Gaussian copula; the TII base is rebuilt with the UN pipeline from
simulated (or already published, *nowcast*) ITU sub-indicators; the HCI base is its origin
table read at ranks from a copula of its own (term ``hci_order``).
EGDI is the components' mean and ranks count on the unrounded EGDI (1 = best).

**Levers count only the effort beyond the usual.** The survey history already holds every
country's usual effort, and the fitted dynamics carry it forward. A lever's effect on an edition
is therefore the sum, over the years that edition sees after the origin, of its yearly effect
*minus the yearly effect at the intensity in force when the origin edition was assessed*: keeping
today's effort adds nothing to the forecast, raising it adds, cutting it subtracts. Effects on
``egov.osi``, ``egov.tii`` and ``egov.hci`` are index points (of the origin edition's 0–1 scale)
added to the country's base table before the edition shock; effects on a raw ITU indicator
(``egov.fixed_broadband_per100`` etc.) are added to the country's indicator value before the UN
pipeline, so they meet the 120 cap and the z-scores of every other country.

The block (:data:`BLOCK`) wraps :func:`prepare`, :func:`start`, :func:`advance` and
:func:`observe`. Random numbers come from :class:`vnsim.uncertainty.Streams` only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydantic
from pydantic import Field
from vnsim import datasets
from vnsim.blocks.block import Block, DataSources, Draws, Effects, LeverTarget, Variable
from vnsim.egdi import COMPONENTS, egdi_weights, position_among, rank_desc, rescale01
from vnsim.errors import Message
from vnsim.fit import copula, pipeline
from vnsim.fit.egov import (
    DATA_LAG,
    DEFAULT_TERMS,
    HCI_INPUT_WEIGHTS,
    TERMS,
    TII_INPUTS,
    EgovFit,
    fit,
)
from vnsim.fit.indicators import CEILINGS, NEVER, advance_inputs, input_values, start_inputs
from vnsim.uncertainty import Streams

#: The UN M49 sub-region the survey reports for Viet Nam (Resolution 57's "South-East Asia").
SUBREGION = "south_eastern_asia"
#: Lever targets on a raw TII indicator: scenario name -> (sub-indicator, unit, plausible range
#: per unit of intensity beyond the usual effort; Viet Nam's 2014–2023 yearly changes were
#: fixed broadband +1.3 to +2.5 per 100, active mobile broadband +0.4 to +24, internet users
#: −1 to +12 points: model/data/subindicator_*.csv).
INDICATOR_TARGETS: dict[str, tuple[str, str, tuple[float, float]]] = {
    "egov.internet_users_pct": ("internet_users_pct", "percentage points/yr", (-2.0, 5.0)),
    "egov.mobile_cellular_per100": ("mobile_cellular_per100", "per 100/yr", (-5.0, 10.0)),
    "egov.active_mobile_broadband_per100": (
        "active_mobile_broadband_per100",
        "per 100/yr",
        (-5.0, 10.0),
    ),
    "egov.fixed_broadband_per100": ("fixed_broadband_per100", "per 100/yr", (-1.0, 3.0)),
}


class Settings(pydantic.BaseModel, extra="forbid"):
    """The scenario's ``egov:`` section."""

    editions: list[int] | None = Field(
        None,
        description="UN survey editions simulated after the origin (each <= the scenario "
        "horizon); None = every survey year after the latest observed edition, to the horizon",
    )
    origin: int | None = Field(
        None,
        description="Last observed edition, used as the start and as the last fitted edition "
        "(None = latest edition in the data)",
    )
    asean: list[str] | None = Field(
        None,
        description="ISO3 codes of the members counted for the ASEAN position; None = the "
        "members on each edition's publication date (eleven from 2026: Timor-Leste joined on "
        "26 Oct 2025)",
    )
    country: str = Field("VNM", description="ISO3 of the country whose ASEAN position is reported")
    assessment_lag_years: int = Field(
        1,
        ge=0,
        description="Edition E sees policy as it stood in year E - lag (OSI portals are assessed "
        "about a year before publication; egdi_methodology.md §8). Raw ITU indicators are those "
        "of year E - 2 whatever the lag.",
    )
    first_edition: int = Field(
        2008,
        description="First edition of the OSI copula's edition pairs (biennial spacing from "
        "2008; earlier editions were yearly/3-yearly readiness indices)",
    )
    terms: list[str] | None = Field(
        None,
        description="Model terms (None = the ones the rolling-origin backtest chose: "
        + ", ".join(sorted(DEFAULT_TERMS))
        + "); choose from "
        + ", ".join(sorted(TERMS)),
    )

    @pydantic.field_validator("terms")
    @classmethod
    def _known_terms(cls, terms: list[str] | None) -> list[str] | None:
        unknown = sorted(set(terms or ()) - TERMS)
        if unknown:
            raise ValueError(
                Message(
                    "unknown terms {unknown}; choose from {terms}",
                    unknown=str(unknown),
                    terms=", ".join(sorted(TERMS)),
                )
            )
        if {"hci_inputs", "hci_order"} <= set(terms or ()):
            raise ValueError(
                Message(
                    "choose one of hci_inputs (the HCI rebuilt from its inputs) and hci_order "
                    "(the published HCI table re-ordered by a copula)"
                )
            )
        return terms

    @pydantic.model_validator(mode="after")
    def _check(self) -> Settings:
        if self.editions is None:
            return self
        if sorted(set(self.editions)) != list(self.editions):
            raise ValueError(Message("editions must be strictly increasing"))
        if self.origin is not None and any(e <= self.origin for e in self.editions):
            raise ValueError(
                Message(
                    "editions {editions} must all come after origin {origin}",
                    editions=str(self.editions),
                    origin=self.origin,
                )
            )
        return self


@dataclass(frozen=True)
class EgovModel:
    """Everything fixed for a run: the fit and the observed origin edition (picklable)."""

    settings: Settings
    fit: EgovFit
    countries: tuple[str, ...]
    origin: int
    observed: dict[str, np.ndarray]  # osi/tii/hci/egdi (country,) float32, egdi_rank int16
    editions: tuple[int, ...]  # simulated editions after the origin
    asean_index: dict[int, np.ndarray]  # by edition: positions of the ASEAN members in `countries`
    subregion_index: np.ndarray  # positions of the UN's South-eastern Asia (M49) in `countries`
    country_index: int  # position of `settings.country`
    tii_sd: dict[str, float]  # cross-country sd of each raw TII indicator, origin's data year
    tii_range: float  # range of the TII composite (mean of z-scores) in that year
    data_editions: str  # first and last edition in the survey data used, e.g. "2003–2022"

    def tii_points(self, indicator: str, sd: float | None = None) -> float:
        """TII index points gained per unit of a raw indicator, by the UN formula at the origin.

        TII = min–max of the mean of the indicators' z-scores, so a change ``Δx`` of indicator
        ``i`` (below its cap) moves the index by ``Δx / (n · σ_i · R)``: ``σ_i`` its
        cross-country population sd (``sd`` to assume another) and ``R`` the composite's range.
        """
        sigma = self.tii_sd[indicator] if sd is None else sd
        return 1.0 / (len(self.tii_sd) * sigma * self.tii_range)


@dataclass(frozen=True)
class EgovState:
    """Simulated state at one edition for a chunk of draws (no-policy dynamics + outcome)."""

    edition: int
    q: dict[str, np.ndarray]  # comp -> (draw, country) float32 normal scores of its order
    dq: dict[str, np.ndarray]  # comp -> (draw, country) float32 their last change
    y: dict[str, np.ndarray]  # comp -> (draw, indicator, country) float32 logit inputs
    data_year: dict[str, int]  # comp -> data year its `y` stands at
    resid: np.ndarray  # (draw, 2, country) float32 TII, HCI residual in the countries' order
    maps: np.ndarray  # (draw, 3, 2) composed edition shocks of the OSI and the held tables
    index: np.ndarray  # (draw, comp, country) float32 the edition's components, levers included


def subindicators(as_of: int | None) -> dict[str, pd.DataFrame]:
    """Every sub-indicator as published by the end of ``as_of`` (``iso3, year, value``)."""
    return {
        name: datasets.load_subindicator(name, as_of=as_of)[["iso3", "year", "value"]]
        for name in CEILINGS
    }


def tii_spread(
    frames: dict[str, pd.DataFrame], countries: tuple[str, ...], origin: int
) -> tuple[dict[str, float], float]:
    """Cross-country population sd of each raw TII indicator (capped) and the range of the
    TII composite, in the origin's data year (``origin − 2``), gaps filled as in the fit."""
    table = (
        pipeline.fill_median(
            pipeline.indicator_table(
                {k: frames[k] for k in TII_INPUTS}, countries, origin - DATA_LAG
            )
        )
        .to_numpy(float)
        .T
    )
    caps = np.array([np.inf if c is None else c for c in pipeline.TII_CAPS.values()])
    capped = np.minimum(table, caps[:, None])
    composite = pipeline.zscore(capped).mean(axis=0)
    sd = capped.std(axis=1)
    return {k: float(sd[i]) for i, k in enumerate(TII_INPUTS)}, float(np.ptp(composite))


def prepare(
    surveys: pd.DataFrame,
    settings: Settings,
    *,
    end_year: int = 2030,
    as_of: int | None = None,
    frames: dict[str, pd.DataFrame] | None = None,
) -> EgovModel:
    """Fit the dynamics on editions <= origin and record the observed origin edition.

    Parameters
    ----------
    surveys
        Survey history (``survey_year, iso3, egdi, osi, tii, hci, egdi_rank``).
    settings
        The scenario's ``egov:`` section.
    end_year
        Last year of the scenario: without ``settings.editions`` every survey year after the
        origin up to it is simulated.
    as_of
        Vintage year: the sub-indicators are those published by its end (None = all).
    frames
        Sub-indicators to use instead of the packaged ones (name -> ``iso3, year, value``).
    """
    origin = int(surveys["survey_year"].max()) if settings.origin is None else settings.origin
    frames = subindicators(as_of) if frames is None else frames
    terms = DEFAULT_TERMS if settings.terms is None else frozenset(settings.terms)
    fitted = fit(surveys, frames, origin, terms=terms, first_osi_edition=settings.first_edition)
    countries = fitted.countries
    frame = surveys[surveys["survey_year"] == origin].set_index("iso3").loc[list(countries)]
    observed = {k: frame[k].to_numpy(np.float32) for k in (*COMPONENTS, "egdi")}
    observed["egdi_rank"] = frame["egdi_rank"].to_numpy(np.int16)
    editions = _editions(surveys, settings, origin, end_year)
    asean = {
        e: settings.asean or datasets.members("asean", datasets.edition_date(e))
        for e in (origin, *editions)
    }
    subregion = datasets.members(SUBREGION, datasets.edition_date(origin))
    wanted = {c for m in [*asean.values(), subregion] for c in [*m, settings.country]}
    missing = sorted(wanted - set(countries))
    if missing:
        raise ValueError(
            Message(
                "countries not in the {origin} edition: {missing}",
                origin=origin,
                missing=str(missing),
            )
        )
    tii_sd, tii_range = tii_spread(frames, countries, origin)
    return EgovModel(
        settings=settings,
        fit=fitted,
        countries=countries,
        origin=origin,
        observed=observed,
        editions=tuple(editions),
        asean_index={e: np.array([countries.index(c) for c in m]) for e, m in asean.items()},
        subregion_index=np.array([countries.index(c) for c in subregion]),
        country_index=countries.index(settings.country),
        tii_sd=tii_sd,
        tii_range=tii_range,
        data_editions=f"{surveys.survey_year.min()}–{origin}",
    )


def _editions(surveys: pd.DataFrame, settings: Settings, origin: int, end_year: int) -> list[int]:
    """The editions to simulate: the scenario's (checked against the data) or every survey
    year after the origin up to ``end_year``."""
    if settings.editions is None:
        return datasets.editions_after(origin, end_year)
    observed = sorted(int(e) for e in surveys["survey_year"].unique() if e <= origin)
    datasets.check_simulated_editions(settings.editions, observed)
    return list(settings.editions)


def start(model: EgovModel, streams: Streams) -> EgovState:
    """State at the origin edition for ``streams.n_draws`` draws."""
    f, n = model.fit, streams.n_draws
    c = len(model.countries)
    y, data_year = {}, {}
    for comp in _rebuilt(f):
        inputs = f.inputs[comp]
        t3 = streams.student_t(f"egov.revision.{comp}", 3.0, inputs.value.shape)
        y[comp] = start_inputs(inputs, f.drift, t3)
        data_year[comp] = int(inputs.year[inputs.year < NEVER].min())
    published = model.observed
    return EgovState(
        edition=model.origin,
        q={
            k: np.broadcast_to(o.scores.astype(np.float32), (n, c)).copy()
            for k, o in f.order.items()
        },
        dq={
            k: np.broadcast_to(o.change.astype(np.float32), (n, c)).copy()
            for k, o in f.order.items()
        },
        y=y,
        data_year=data_year,
        resid=np.broadcast_to(f.residual.astype(np.float32), (n, 2, c)).copy(),
        maps=np.zeros((n, 3, 2)),
        index=np.stack([np.broadcast_to(published[k], (n, c)) for k in COMPONENTS], axis=1),
    )


def draw_shock(model: EgovModel, comp: str, steps: int, streams: Streams, name: str) -> np.ndarray:
    """Edition shock ``(a, β)`` of one component over ``steps`` editions, ``(draw, 2)``.

    A unit-variance Student-t times the fitted scale: the fitted spread, with tails wider than
    the pairs it came from.
    """
    shock = model.fit.shocks[comp]
    t = streams.student_t(name, shock.df, (2,)) * np.sqrt((shock.df - 2.0) / shock.df)
    return steps * shock.trend + np.sqrt(steps) * shock.scale * t


def _order_base(
    model: EgovModel, comp: str, state: EgovState, steps: int, streams: Streams, name: str
):
    """A component's order copula over ``steps`` editions: new scores, their change and the
    base table (the origin table read at the new ranks)."""
    c = model.fit.order[comp]
    q, dq = state.q[comp], state.dq[comp]
    scores = copula.score_table(q.shape[1])
    for step in range(steps):
        stream = f"{name}.{comp}.{step}"
        if c.df is None:
            eps = streams.normal(stream, (q.shape[1],)).astype(np.float32)
        else:
            eps = streams.student_t(stream, c.df, (q.shape[1],)).astype(np.float32)
        latent = c.persistence * q
        if c.reversal:
            latent += c.reversal * dq
        latent += (c.noise * np.exp(c.level_noise * q) if c.level_noise else c.noise) * eps
        ranks = copula.ranks_of(latent)
        q_new = scores[ranks]  # copula.normal_scores(latent), keeping the ranks
        q, dq = q_new, q_new - q
    table = np.sort(model.observed[comp])
    return q, dq, table[ranks]


def _rebuilt(f: EgovFit) -> tuple[str, ...]:
    """The components rebuilt from their sub-indicators (terms ``tii_inputs``, ``hci_inputs``)."""
    return tuple(k for k in ("tii", "hci") if f"{k}_inputs" in f.terms)


def _residual(model: EgovModel, state: EgovState, steps: int, streams, name) -> np.ndarray:
    """The TII and HCI residuals in the countries' order after ``steps`` editions."""
    f = model.fit
    rho = (f.residual_decay**steps).astype(np.float32)[None, :, None]
    offset = state.resid.mean(axis=2, keepdims=True)  # the method offset: carried, not decayed
    resid = offset + rho * (state.resid - offset)
    if f.residual_sigma.any():
        sig = (f.residual_sigma * np.sqrt(steps)).astype(np.float32)[None, :, None]
        resid += sig * streams.normal(f"{name}.residual", resid.shape[1:]).astype(np.float32)
    return resid


def _rebuilt_base(
    model: EgovModel, state: EgovState, comp: str, edition: int, resid, raw_shift, streams, name
):
    """A component's base rebuilt through the UN pipeline from the sub-indicators of
    ``edition − 2``: new logit inputs and the base table ``(draw, country)``."""
    f = model.fit
    inputs, j = f.inputs[comp], ("tii", "hci").index(comp)
    stream = f"{name}.inputs" if comp == "tii" else f"{name}.inputs.{comp}"
    eps = streams.normal(stream, inputs.value.shape).astype(np.float32)
    y = advance_inputs(
        state.y[comp], inputs, f.drift, state.data_year[comp], edition - DATA_LAG, eps
    )
    x = input_values(y, inputs, f.drift)
    if comp == "tii" and raw_shift is not None:
        x = np.maximum(x + raw_shift, 0.0)
    raw = pipeline.tii(x) if comp == "tii" else pipeline.hci(x, HCI_INPUT_WEIGHTS)
    # order from the decayed residual, table shape from the carried one: the decay says which
    # countries' gaps are transient, not that the published shape reverts to the rebuilt one
    level = rescale01(raw + f.residual[j].astype(np.float32))
    return y, copula.reorder(level, raw + resid[:, j])


def advance(
    model: EgovModel,
    state: EgovState,
    edition: int,
    shift: np.ndarray,
    streams: Streams,
    raw_shift: np.ndarray | None = None,
) -> EgovState:
    """Move all countries from ``state.edition`` to ``edition`` (one transition per 2 years).

    Parameters
    ----------
    shift
        Lever effects on (OSI, TII, HCI) beyond the usual effort, index points on the origin
        edition's 0–1 scale, ``(draw, country, 3)``.
    raw_shift
        Lever effects on the raw TII indicators, in their units, ``(draw, indicator, country)``
        (order of :data:`vnsim.fit.egov.TII_INPUTS`); None = none.
    """
    if edition <= state.edition:
        raise ValueError(f"edition {edition} is not after {state.edition}")
    f, name = model.fit, f"egov.{edition}"
    steps = max(1, round((edition - state.edition) / 2))
    shift = np.moveaxis(np.asarray(shift, np.float32), 2, 1)
    q, dq, ordered = dict(state.q), dict(state.dq), {}
    for comp in f.order:
        q[comp], dq[comp], ordered[comp] = _order_base(model, comp, state, steps, streams, name)
    maps = state.maps.copy()
    shocks = {k: draw_shock(model, k, steps, streams, f"{name}.shock.{k}") for k in COMPONENTS}
    index = np.empty_like(state.index)
    rebuilt = _rebuilt(f)
    resid = _residual(model, state, steps, streams, name) if rebuilt else state.resid
    y, data_year = dict(state.y), dict(state.data_year)
    for i, comp in enumerate(COMPONENTS):
        if comp in rebuilt:
            args = (model, state, comp, edition, resid, raw_shift, streams, name)
            y[comp], base = _rebuilt_base(*args)
            data_year[comp] = max(state.data_year[comp], edition - DATA_LAG)
            shock = shocks[comp]  # the base is rebuilt each edition: its shock is the edition's
        else:  # the origin table, re-ordered by its copula or held: shocks compose
            base = ordered.get(comp)
            if base is None:
                base = np.broadcast_to(model.observed[comp], ordered["osi"].shape)
            maps[:, i] = copula.compose(maps[:, i], shocks[comp])
            shock = maps[:, i]
        lever = np.clip(base + shift[:, i], 0.0, 1.0)
        index[:, i] = copula.quantile_map(lever, shock[:, 0], shock[:, 1])
    return EgovState(edition, q, dq, y, data_year, resid, maps, index)


def observe(model: EgovModel, state: EgovState) -> dict[str, np.ndarray]:
    """Published-style outcomes of the state's edition.

    Returns
    -------
    ``osi, tii, hci, egdi``: (draw, country) float32 index 0–1; ``egdi_rank``: (draw, country)
    int16 (1 = best); ``asean_position``, ``southeast_asia_position``: (draw,) int16 position
    of ``settings.country`` among the ASEAN members of the edition's date, and among the UN's
    South-eastern Asia subregion (the eleven countries, Timor-Leste included in every edition).
    At the origin edition every draw holds the published values and ranks.
    """
    n, _, c = state.index.shape
    if state.edition == model.origin:
        out = {k: np.broadcast_to(v, (n, c)).copy() for k, v in model.observed.items()}
        # published ranks: lower is better, so negate to reuse the "higher is better" count
        score = -out["egdi_rank"].astype(np.int32)
    else:
        w = egdi_weights(state.edition).astype(np.float32)
        out = {k: state.index[:, i].copy() for i, k in enumerate(COMPONENTS)}
        out["egdi"] = np.einsum("k,nkc->nc", w, state.index)
        out["egdi_rank"] = rank_desc(out["egdi"])
        score = out["egdi"]
    members = model.asean_index[state.edition]
    out["asean_position"] = position_among(score, members, model.country_index)
    out["southeast_asia_position"] = position_among(
        score, model.subregion_index, model.country_index
    )
    return out


@functools.lru_cache(maxsize=8)
def _prepared(settings_json: str, end_year: int, data_version: str, as_of: int | None) -> EgovModel:
    """The fitted model for settings and the data in use (as published by the end of ``as_of``).

    The fit is deterministic and takes about a second, while searches and sensitivity designs
    prepare the same settings many times. ``data_version`` changes whenever the user adds data,
    so the cache cannot go stale.
    """
    del data_version  # part of the cache key only
    settings = Settings.model_validate_json(settings_json)
    surveys = datasets.load_surveys(as_of=as_of)
    return prepare(surveys, settings, end_year=end_year, as_of=as_of)


def _by_country(
    name: str, unit: str, description: str, bounds: tuple[float, float], dtype: str = "float32"
) -> Variable:
    return Variable(name, ("edition", "country"), unit, description, bounds, dtype)


class EgovBlock(Block):
    """E-government of every UN member state as a model block (clock: the survey editions)."""

    name = "egov"
    settings = Settings
    clock = "edition"
    variables = (
        _by_country("osi", "index 0-1", "Online Service Index", (0.0, 1.0)),
        _by_country("tii", "index 0-1", "Telecommunication Infrastructure Index", (0.0, 1.0)),
        _by_country("hci", "index 0-1", "Human Capital Index", (0.0, 1.0)),
        _by_country("egdi", "index 0-1", "E-Government Development Index", (0.0, 1.0)),
        # 193 UN member states; ASEAN has had eleven members since October 2025
        _by_country("egdi_rank", "rank", "World EGDI rank (1 = best)", (1.0, 193.0), "int16"),
        Variable(
            "asean_position",
            ("edition",),
            "position",
            "EGDI position of the focus country among ASEAN members (1 = best)",
            (1.0, 11.0),
            "int16",
        ),
        Variable(
            "southeast_asia_position",
            ("edition",),
            "position",
            "EGDI position of the focus country in the UN's South-eastern Asia (1 = best)",
            (1.0, 11.0),
            "int16",
        ),
    )
    lever_targets = (
        *(
            LeverTarget(
                f"egov.{c}",
                "index points/yr",
                "gained each year by the listed countries beyond their usual effort",
                by_country=True,
                plausible=(-0.02, 0.05),
            )
            for c in COMPONENTS
        ),
        *(
            LeverTarget(
                target,
                unit,
                "yearly change of this raw ITU indicator of the TII beyond the usual effort",
                by_country=True,
                plausible=plausible,
            )
            for target, (_, unit, plausible) in INDICATOR_TARGETS.items()
        ),
    )

    def data_problems(self, settings: Settings, as_of: int | None) -> list[tuple[tuple, str]]:
        if settings.editions is None:
            return []
        try:
            datasets.check_simulated_editions(settings.editions, datasets.observed_editions(as_of))
        except datasets.EditionError as exc:
            return [(("editions",), exc.detail)]
        return []

    def horizon_problems(self, settings: Settings, base_year: int, end_year: int) -> list[str]:
        late = [e for e in settings.editions or [] if e > end_year]
        if not late:
            return []
        return [
            Message(
                "egov.editions {editions} lie after horizon.end_year ({end})",
                editions=str(late),
                end=end_year,
            )
        ]

    def prepare(self, settings: Settings, data: DataSources) -> EgovModel:
        if data.surveys is None:
            json = settings.model_dump_json()
            return _prepared(json, data.end_year, datasets.data_version(), data.as_of)
        return prepare(data.surveys, settings, end_year=data.end_year, as_of=data.as_of)

    def coords(self, prepared: EgovModel) -> dict[str, tuple[str, ...]]:
        return {"country": prepared.countries}

    def provenance(self, prepared: EgovModel) -> dict[str, str]:
        return {
            "data_editions": prepared.data_editions,
            "egov_terms": ", ".join(sorted(prepared.fit.terms)),
        }

    def times(self, prepared: EgovModel, years: np.ndarray) -> list[int]:
        return [prepared.origin, *prepared.editions]

    def effect_scale(self, prepared: EgovModel, effect) -> float:
        if effect.indicator is None:
            return 1.0
        # a raw ITU indicator's change given on egov.tii, in TII points through the UN formula
        name = next(k for k in TII_INPUTS if k.startswith(effect.indicator))
        return prepared.tii_points(name, effect.indicator_sd)

    def start(self, prepared: EgovModel, draws: Draws) -> EgovState:
        return start(prepared, draws.streams)

    def step(
        self, prepared: EgovModel, state: EgovState, time: int, effects: Effects, draws: Draws
    ) -> EgovState:
        shift, raw = lever_shift(prepared, effects, time)
        return advance(prepared, state, time, shift, draws.streams, raw)

    def observe(self, prepared: EgovModel, state: EgovState) -> dict[str, np.ndarray]:
        return observe(prepared, state)


def beyond_usual(
    path: np.ndarray, years: np.ndarray, origin_year: int, through_year: int
) -> np.ndarray:
    """Cumulative effect beyond the usual effort, ``(draw,)``.

    ``path`` is a lever target's yearly effect ``(draw, year)`` on the clock ``years``; the usual
    effort is the effect in ``origin_year`` (the year the origin edition saw; the base year if
    earlier), already in the history and carried by the fitted dynamics. The years after it up to
    ``through_year`` count, each by its excess over the usual.
    """
    ref = int(np.clip(origin_year - years[0], 0, len(years) - 1))
    through = int(np.clip(through_year - years[0], -1, len(years) - 1))
    if through <= ref:
        return np.zeros(path.shape[0])
    return (path[:, ref + 1 : through + 1] - path[:, ref : ref + 1]).sum(axis=1)


def lever_shift(
    model: EgovModel, effects: Effects, edition: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Lever effects seen by ``edition``, beyond the usual effort (:func:`beyond_usual`).

    Returns
    -------
    (index points ``(draw, country, comp)`` float32, raw TII indicators ``(draw, indicator,
    country)`` float32 or None). Edition E sees policy up to year E − ``assessment_lag_years``
    and raw indicators of year E − 2; what the origin edition saw is already in the start.
    """
    years, lag = effects.years, model.settings.assessment_lag_years
    index = {c: i for i, c in enumerate(model.countries)}
    n, c = effects.paths.shape[0], len(model.countries)
    shift = np.zeros((n, 3, c), np.float32)
    raw = None
    for j, (target, country) in enumerate(effects.keys):
        if country not in index:
            raise ValueError(
                Message(
                    "lever effect on {target}: no UN member state {country}",
                    target=target,
                    country=repr(country),
                )
            )
        path = effects.paths[:, :, j]
        if target in INDICATOR_TARGETS:
            raw = np.zeros((n, len(TII_INPUTS), c), np.float32) if raw is None else raw
            k = TII_INPUTS.index(INDICATOR_TARGETS[target][0])
            late = edition - DATA_LAG
            raw[:, k, index[country]] += beyond_usual(path, years, model.origin - DATA_LAG, late)
            continue
        comp = COMPONENTS.index(target.split(".", 1)[1])
        seen = beyond_usual(path, years, model.origin - lag, edition - lag)
        shift[:, comp, index[country]] += seen
    return shift.transpose(0, 2, 1), raw


BLOCK = EgovBlock()
