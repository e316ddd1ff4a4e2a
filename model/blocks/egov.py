"""E-government block: OSI, TII, HCI of every UN member state, EGDI, world and ASEAN rank.

The block simulates every member state jointly, one survey edition at a time, with the component
dynamics fitted by :func:`vnsim.fit.egov.fit_egov` (edition z-scores; see that module for the
equation and its justification). In every draw and edition the simulated components are re-scaled
across all member states as the UN does (min–max to [0, 1] per component), EGDI is their mean, and
ranks are counted on the unrounded EGDI (1 = best).

Policy levers enter as a per-country **cumulative shift** in index points of the origin edition,
added on top of the no-policy path of each component: the state carries the counterfactual
z-scores, and ``observe`` adds ``shift / sd`` (sd of the published component across countries at
the origin edition), so the lever effect is exactly what the engine passes, then competes with all
other countries through the min–max and the ranking.

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
from vnsim.egdi import COMPONENTS, TiiIndicator, egdi_weights, position_among, rank_desc, rescale01
from vnsim.fit.egov import EgovFit, fit_egov
from vnsim.uncertainty import Streams

#: The UN M49 sub-region the survey reports for Viet Nam (Resolution 57's "South-East Asia").
SUBREGION = "south_eastern_asia"


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
        "about a year before publication; egdi_methodology.md §8). Read by the engine.",
    )
    first_edition: int = Field(
        2008,
        description="First edition of the earliest fitted edition pair (biennial spacing from "
        "2008; earlier editions were yearly/3-yearly readiness indices)",
    )
    replicates: int = Field(
        40, ge=1, description="Bootstrap parameter replicates (over countries); each draw uses one"
    )
    lagged_change: bool = Field(
        True,
        description="Include the previous change (assessment noise partly undone next edition)",
    )
    heavy_tails: bool = Field(True, description="Student-t component noise (False = normal)")
    fit_seed: int = Field(
        0, description="Seed of the bootstrap in the fit (the fit is deterministic)"
    )

    @pydantic.model_validator(mode="after")
    def _check(self) -> Settings:
        if self.editions is None:
            return self
        if sorted(set(self.editions)) != list(self.editions):
            raise ValueError("editions must be strictly increasing")
        if self.origin is not None and any(e <= self.origin for e in self.editions):
            raise ValueError(f"editions {self.editions} must all come after origin {self.origin}")
        return self


@dataclass(frozen=True)
class EgovModel:
    """Everything fixed for a run: the fit and the observed origin edition (picklable)."""

    settings: Settings
    fit: EgovFit
    countries: tuple[str, ...]
    origin: int
    observed: dict[str, np.ndarray]  # osi/tii/hci/egdi (country,) float32, egdi_rank int16
    index_sd: np.ndarray  # (comp,) sd of the published index across assessed countries at origin
    editions: tuple[int, ...]  # simulated editions after the origin
    asean_index: dict[int, np.ndarray]  # by edition: positions of the ASEAN members in `countries`
    subregion_index: np.ndarray  # positions of the UN's South-eastern Asia (M49) in `countries`
    country_index: int  # position of `settings.country`
    internet_users: dict[str, float]  # cross-country stats for tii_shift_from_indicator
    data_editions: str  # first and last edition in the survey data used, e.g. "2003–2022"


@dataclass(frozen=True)
class EgovState:
    """Simulated state at one edition for a chunk of draws."""

    edition: int
    # arrays are (draw, comp, country): reductions across countries run on the contiguous axis
    z: np.ndarray  # (draw, comp, country) float32, no-policy edition z-scores
    dz: np.ndarray  # (draw, comp, country) float32, last no-policy change of z
    shift: np.ndarray  # (draw, comp, country) float32, cumulative lever effect, index points
    replicate: np.ndarray  # (draw,) parameter replicate of each draw
    u: np.ndarray  # (draw, comp, country) float32, country effects drawn for each draw


def _internet_user_stats(
    internet_users: pd.DataFrame, countries: tuple[str, ...], origin: int, tii: np.ndarray
) -> dict[str, float]:
    """Population sd of internet users (%) across the member states, ITU year <= origin - 1.

    The survey of year E uses ITU data of year E - 1 or earlier (data/SOURCES.md); the latest such
    year covering at least 150 of the countries is used.
    """
    x = internet_users[internet_users["iso3"].isin(countries) & (internet_users["year"] < origin)]
    counts = x.groupby("year")["iso3"].nunique()
    good = counts[counts >= 150]
    if good.empty:
        return {}
    year = int(good.index.max())
    v = x[x["year"] == year].set_index("iso3")["internet_users_pct"]
    t = pd.Series(tii, index=list(countries)).loc[v.index]
    return {
        "year": float(year),
        "sd": float(v.std(ddof=0)),
        "corr_tii": float(np.corrcoef(v.to_numpy(), t.to_numpy())[0, 1]),
        "sd_tii": float(np.std(tii)),
    }


def prepare(
    surveys: pd.DataFrame,
    settings: Settings,
    internet_users: pd.DataFrame | None = None,
    *,
    end_year: int = 2030,
    as_of: int | None = None,
) -> EgovModel:
    """Fit the dynamics on editions <= origin and record the observed origin edition.

    Parameters
    ----------
    surveys
        Survey history (``survey_year, iso3, egdi, osi, tii, hci, egdi_rank``).
    settings
        The scenario's ``egov:`` section.
    internet_users
        ITU internet users (% of population), columns ``iso3, year, internet_users_pct``; only
        used by :func:`tii_shift_from_indicator`. None = the data layer's series, as published
        by the end of ``as_of``.
    end_year
        Last year of the scenario: without ``settings.editions`` every survey year after the
        origin up to it is simulated.
    """
    origin = int(surveys["survey_year"].max()) if settings.origin is None else settings.origin
    fit = fit_egov(
        surveys,
        origin,
        first_edition=settings.first_edition,
        n_replicates=settings.replicates,
        lagged_change=settings.lagged_change,
        heavy_tails=settings.heavy_tails,
        seed=settings.fit_seed,
    )
    countries = fit.countries
    frame = surveys[surveys["survey_year"] == origin].set_index("iso3").loc[list(countries)]
    observed = {k: frame[k].to_numpy(np.float32) for k in (*COMPONENTS, "egdi")}
    observed["egdi_rank"] = frame["egdi_rank"].to_numpy(np.int16)
    assessed = frame["egdi"].to_numpy() > 0
    index_sd = frame.loc[assessed, list(COMPONENTS)].std(ddof=0).to_numpy(float)
    editions = _editions(surveys, settings, origin, end_year)
    asean = {
        e: settings.asean or datasets.members("asean", datasets.edition_date(e))
        for e in (origin, *editions)
    }
    subregion = datasets.members(SUBREGION, datasets.edition_date(origin))
    missing = sorted(
        {
            c
            for m in [*asean.values(), subregion]
            for c in [*m, settings.country]
            if c not in countries
        }
    )
    if missing:
        raise ValueError(f"countries not in the {origin} edition: {missing}")
    if internet_users is None:
        internet_users = datasets.load_internet_users(as_of=as_of)
    iu = _internet_user_stats(internet_users, countries, origin, observed["tii"].astype(float))
    return EgovModel(
        settings=settings,
        fit=fit,
        countries=countries,
        origin=origin,
        observed=observed,
        index_sd=index_sd,
        editions=tuple(editions),
        asean_index={e: np.array([countries.index(c) for c in m]) for e, m in asean.items()},
        subregion_index=np.array([countries.index(c) for c in subregion]),
        country_index=countries.index(settings.country),
        internet_users=iu,
        data_editions=f"{surveys.survey_year.min()}–{surveys.survey_year.max()}",
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
    """State at the origin edition for ``streams.n_draws`` draws (``(draw, comp, country)``)."""
    fit = model.fit
    n, c = streams.n_draws, len(model.countries)
    rep = streams.integers("egov.replicate", fit.n_replicates).astype(np.intp)
    eta = streams.normal("egov.country_effect", (3, c)).astype(np.float32)
    u_mean = fit.u_mean.transpose(0, 2, 1).astype(np.float32)
    u_sd = fit.u_sd.transpose(0, 2, 1).astype(np.float32)
    u = u_mean[rep] + u_sd[rep] * eta
    shape = (n, 3, c)
    return EgovState(
        edition=model.origin,
        z=np.broadcast_to(fit.z_origin.T.astype(np.float32), shape).copy(),
        dz=np.broadcast_to(fit.dz_origin.T.astype(np.float32), shape).copy(),
        shift=np.zeros(shape, np.float32),
        replicate=rep,
        u=u,
    )


def _noise(model: EgovModel, streams: Streams, name: str) -> np.ndarray:
    """Unit-variance component noise, shape ``(draw, comp, country)`` float32."""
    c = len(model.countries)
    out = np.empty((streams.n_draws, 3, c), np.float32)
    for k, comp in enumerate(COMPONENTS):
        df = float(model.fit.df[k])
        if np.isfinite(df):
            out[:, k] = streams.student_t(f"{name}.{comp}", df, (c,)) * np.sqrt((df - 2.0) / df)
        else:
            out[:, k] = streams.normal(f"{name}.{comp}", (c,))
    return out


def advance(
    model: EgovModel, state: EgovState, edition: int, shift: np.ndarray, streams: Streams
) -> EgovState:
    """Move all countries from ``state.edition`` to ``edition`` (one transition per 2 years).

    Parameters
    ----------
    shift
        Cumulative lever effect on (OSI, TII, HCI) relative to no policy, index points on the
        origin edition's 0–1 scale, shape ``(draw, country, 3)``.
    """
    if edition <= state.edition:
        raise ValueError(f"edition {edition} is not after {state.edition}")
    fit = model.fit
    n_steps = max(1, round((edition - state.edition) / 2))
    rep = state.replicate
    comp = np.arange(3)

    def per_draw(a: np.ndarray) -> np.ndarray:  # (rep, comp) -> (draw, comp, 1) float32
        return a[rep][:, :, None].astype(np.float32)

    lo = fit.z_range[:, 0][None, :, None].astype(np.float32)
    hi = fit.z_range[:, 1][None, :, None].astype(np.float32)
    slope, g2, g3 = (
        per_draw(fit.slope),
        per_draw(fit.curvature[..., 0]),
        per_draw(fit.curvature[..., 1]),
    )
    lag, s1, s2 = (
        per_draw(fit.lag),
        per_draw(fit.scale_level[..., 0]),
        per_draw(fit.scale_level[..., 1]),
    )
    z, dz = state.z, state.dz
    for step in range(n_steps):
        name = f"egov.{edition}.{step}"
        # edition shock: one historical pair's slope and noise scale, same pair for all components
        pair = streams.integers(f"{name}.pair", len(fit.pairs)).astype(np.intp)
        d = fit.pair_slope[rep[:, None], comp[None, :], pair[:, None]][:, :, None].astype(
            np.float32
        )
        s = fit.pair_scale[rep[:, None], comp[None, :], pair[:, None]][:, :, None].astype(
            np.float32
        )
        zc = np.clip(z, lo, hi)
        noise = _noise(model, streams, f"{name}.noise")
        noise *= s * np.exp(zc * (s1 + s2 * zc))
        new = zc * (slope + d + zc * (g2 + g3 * zc))  # level-dependent gain
        new += z
        new += lag * dz
        new += state.u
        new += noise
        new -= new.mean(axis=2, keepdims=True)
        new /= new.std(axis=2, keepdims=True)
        dz, z = new - z, new
    return EgovState(
        edition=edition,
        z=z,
        dz=dz,
        shift=np.ascontiguousarray(np.moveaxis(np.asarray(shift, np.float32), 2, 1)),
        replicate=rep,
        u=state.u,
    )


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
    n, _, c = state.z.shape
    if state.edition == model.origin:
        out = {k: np.broadcast_to(v, (n, c)).copy() for k, v in model.observed.items()}
        # published ranks: lower is better, so negate to reuse the "higher is better" count
        published = -out["egdi_rank"].astype(np.int32)
        out["asean_position"] = position_among(
            published, model.asean_index[model.origin], model.country_index
        )
        out["southeast_asia_position"] = position_among(
            published, model.subregion_index, model.country_index
        )
        return out
    z = state.z + state.shift / model.index_sd.astype(np.float32)[None, :, None]
    index = rescale01(z, axis=2)
    w = egdi_weights(state.edition)
    egdi = (w[0] * index[:, 0] + w[1] * index[:, 1] + w[2] * index[:, 2]).astype(np.float32)
    out = {k: index[:, i].copy() for i, k in enumerate(COMPONENTS)}
    out["egdi"] = egdi
    out["egdi_rank"] = rank_desc(egdi)
    members = model.asean_index[state.edition]
    out["asean_position"] = position_among(egdi, members, model.country_index)
    out["southeast_asia_position"] = position_among(
        egdi, model.subregion_index, model.country_index
    )
    return out


def tii_shift_from_indicator(
    model: EgovModel,
    indicator: TiiIndicator,
    change: float,
    *,
    level: float | None = None,
    indicator_sd: float | None = None,
    n_indicators: int = 4,
    cap: float | None = 120.0,
) -> float:
    """TII index points gained by ``settings.country`` from a change in one raw ITU indicator.

    UN formula (egdi_methodology.md §1.1, §2): TII = min–max of the mean of the indicators'
    z-scores (population sd across member states). A change ``Δx`` moves the composite by
    ``Δx / (σ · n_indicators)`` and the index by that over the composite's range ``R``.

    ``R`` is not published. If the standardised indicators are about equally correlated, the
    correlation of the composite with any one indicator equals the composite's sd (``corr(c, z_i)
    = sd(c)``), so ``R = sd(c) / sd(TII) ≈ corr(TII, internet users) / sd(TII)``, estimated at the
    origin edition against ITU internet users of the latest year before it. Only internet users
    are in the packaged data; for the other indicators ``indicator_sd`` (cross-country population
    sd, per 100 inhabitants, of the ITU year the edition uses) must be given: it is an assumption
    of the caller.

    Parameters
    ----------
    change
        Change of the indicator (percentage points or subscriptions per 100).
    level
        Current value; with ``cap`` it limits the change to the part below the cap (from 2020 the
        UN caps each indicator at 120 per 100).
    n_indicators
        Number of TII indicators (4 from the 2020 edition).

    Returns
    -------
    Shift in TII index points on the origin edition's 0–1 scale.
    """
    stats_iu = model.internet_users
    if not stats_iu:
        raise ValueError("no internet-user data before the origin edition")
    if indicator == "internet_users":
        sd = stats_iu["sd"] if indicator_sd is None else indicator_sd
    elif indicator_sd is None:
        raise ValueError(f"indicator_sd is required for {indicator!r} (not in the packaged data)")
    else:
        sd = indicator_sd
    if level is not None and cap is not None:
        change = min(level + change, cap) - min(level, cap)
    composite_range = stats_iu["corr_tii"] / stats_iu["sd_tii"]
    return float(change / (sd * n_indicators) / composite_range)


@functools.lru_cache(maxsize=8)
def _prepared(settings_json: str, end_year: int, data_version: str, as_of: int | None) -> EgovModel:
    """The fitted model for settings and the data in use (as published by the end of ``as_of``).

    The fit is deterministic and takes a fraction of a second to seconds, while searches and
    sensitivity designs prepare the same settings many times. ``data_version`` changes whenever
    the user adds data, so the cache cannot go stale.
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
    lever_targets = tuple(
        LeverTarget(
            f"egov.{c}",
            "index points/yr",
            "gained each year by the listed countries",
            by_country=True,
            plausible=(-0.02, 0.05),
        )
        for c in COMPONENTS
    )

    def data_problems(self, settings: Settings, as_of: int | None) -> list[tuple[tuple, str]]:
        if settings.editions is None:
            return []
        try:
            datasets.check_simulated_editions(settings.editions, datasets.observed_editions(as_of))
        except datasets.EditionError as exc:
            return [(("editions",), str(exc).removeprefix("egov.editions: "))]
        return []

    def horizon_problems(self, settings: Settings, base_year: int, end_year: int) -> list[str]:
        late = [e for e in settings.editions or [] if e > end_year]
        return [f"egov.editions {late} lie after horizon.end_year ({end_year})"] if late else []

    def prepare(self, settings: Settings, data: DataSources) -> EgovModel:
        if data.surveys is None:
            json = settings.model_dump_json()
            return _prepared(json, data.end_year, datasets.data_version(), data.as_of)
        return prepare(data.surveys, settings, end_year=data.end_year, as_of=data.as_of)

    def coords(self, prepared: EgovModel) -> dict[str, tuple[str, ...]]:
        return {"country": prepared.countries}

    def provenance(self, prepared: EgovModel) -> dict[str, str]:
        return {"data_editions": prepared.data_editions}

    def times(self, prepared: EgovModel, years: np.ndarray) -> list[int]:
        return [prepared.origin, *prepared.editions]

    def effect_scale(self, prepared: EgovModel, effect) -> float:
        if effect.indicator is None:
            return 1.0
        # a raw ITU indicator's change, in TII points through the UN formula
        return tii_shift_from_indicator(
            prepared, effect.indicator, 1.0, indicator_sd=effect.indicator_sd, cap=None
        )

    def start(self, prepared: EgovModel, draws: Draws) -> EgovState:
        return start(prepared, draws.streams)

    def step(
        self, prepared: EgovModel, state: EgovState, time: int, effects: Effects, draws: Draws
    ) -> EgovState:
        shift = lever_shift(prepared, effects, time)
        return advance(prepared, state, time, shift, draws.streams)

    def observe(self, prepared: EgovModel, state: EgovState) -> dict[str, np.ndarray]:
        return observe(prepared, state)


def lever_shift(model: EgovModel, effects: Effects, edition: int) -> np.ndarray:
    """Cumulative lever effects seen by ``edition``, (draw, country, comp) float32 [index points].

    Edition E sees policy up to year E - ``assessment_lag_years``; what the observed origin
    edition saw (and the base year itself) is already in the start, so only later years count.
    """
    years, lag = effects.years, model.settings.assessment_lag_years
    through = int(np.clip(edition - lag - years[0], -1, len(years) - 1))
    first = max(1, model.origin - lag - int(years[0]) + 1)
    index = {c: i for i, c in enumerate(model.countries)}
    shift = np.zeros((effects.paths.shape[0], 3, len(model.countries)), np.float32)
    for j, (target, country) in enumerate(effects.keys):
        if country not in index:
            raise ValueError(f"lever effect on {target}: no UN member state {country!r}")
        shift[:, COMPONENTS.index(target.split(".", 1)[1]), index[country]] = effects.paths[
            :, first : through + 1, j
        ].sum(axis=1)
    return shift.transpose(0, 2, 1)


BLOCK = EgovBlock()
