"""Conditioning an ensemble on observations: importance weights, effective sample size, resampling.

The ensemble's draws are samples of the prior (the scenario's uncertain inputs pushed through the
model). An observation ``y`` of a simulated quantity ``x`` with observation error ``sd`` gives
each draw the likelihood ``p(y | x)`` — Gaussian, or Student-t with ``df`` degrees of freedom
when a reading may be an outlier — and the normalised likelihoods are importance weights of the
posterior (sequential importance sampling; the observations are taken in the order given, as a
particle filter takes them in time). Systematic resampling then turns weights into a set of draw
indices, deterministic from a seed.

When the prior cannot reproduce an observation, the weights collapse onto a few draws; the
effective sample size (ESS, ``1 / sum(w**2)``) measures that, and :func:`condition` stops with
:class:`ConditioningError` naming the observation and the inputs most associated with the fit
once ESS falls below a floor (default :func:`ess_floor`: 5 % of the draws).

Pure numpy/scipy: arrays are vectorised over draws (leading axis ``draw``); no engine imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats
from vnsim.errors import InputError

#: Default ESS floor as a share of the draws: below it, the posterior's 10th-90th percentiles
#: rest on a handful of distinct draws (5 % of 2,000 draws = 100 effective draws).
MIN_ESS_FRACTION = 0.05
#: Least prior-predictive tail probability of an observation: below it (on either side) the
#: prior cannot produce the reading even with its observation error, whatever the ESS says — an
#: ESS stays high when every draw is equally far from the reading (e.g. fixed inputs).
MIN_PREDICTIVE_TAIL = 0.001
#: Inputs named in a refusal: the ones most rank-correlated with the observation's fit.
INPUTS_SHOWN = 3
#: Smallest |Spearman correlation| with the log-likelihood for an input to be named; below it
#: the association is within the noise of a few hundred draws (sd of rho ~ 1/sqrt(draws)).
MIN_ASSOCIATION = 0.1


class ConditioningError(InputError):
    """The prior cannot reproduce an observation: ESS fell below the floor."""

    def report(self) -> str:
        return (
            f"vnsim: the scenario does not agree with what has been observed: {self}\n"
            "  (or set `conditioning: {observations: false}` to run the prior alone)"
        )


@dataclass(frozen=True)
class Observation:
    """One observed value of a simulated quantity.

    ``value`` and ``sd`` (observation error, one standard deviation, > 0) are in the simulated
    quantity's unit; ``df`` None = Gaussian likelihood, else Student-t with ``df`` > 0.
    """

    name: str
    value: float
    sd: float
    df: float | None = None

    def __post_init__(self) -> None:
        if not (np.isfinite(self.value) and np.isfinite(self.sd) and self.sd > 0):
            raise InputError(
                f"observation {self.name!r}: value and sd must be finite and sd > 0 "
                f"(got value={self.value}, sd={self.sd})"
            )
        if self.df is not None and not self.df > 0:
            raise InputError(f"observation {self.name!r}: df must be > 0 (got {self.df})")


def log_likelihood(simulated: np.ndarray, obs: Observation) -> np.ndarray:
    """Log density of the observation given each draw's simulated value.

    Parameters
    ----------
    simulated
        The simulated quantity, shape ``(draw,)``, in the observation's unit. A non-finite
        value (a draw where the quantity does not exist) gets log-likelihood ``-inf``.
    obs
        The observation.

    Returns
    -------
    np.ndarray
        Shape ``(draw,)``, natural log.
    """
    x = np.asarray(simulated, dtype=float)
    if obs.df is None:
        out = stats.norm.logpdf(obs.value, loc=x, scale=obs.sd)
    else:
        out = stats.t.logpdf(obs.value, obs.df, loc=x, scale=obs.sd)
    return np.where(np.isfinite(x), out, -np.inf)


def normalised_weights(log_weights: np.ndarray) -> np.ndarray:
    """Weights summing to 1 from unnormalised log weights, shape ``(draw,)``.

    Computed with log-sum-exp, so adding a constant to every log weight changes nothing.
    Raises :class:`ConditioningError` if every weight is zero (all log weights ``-inf``).
    """
    lw = np.asarray(log_weights, dtype=float)
    if lw.ndim != 1 or lw.size == 0:
        raise ValueError(f"log weights must have shape (draw,), got {lw.shape}")
    if np.isnan(lw).any():
        raise ValueError("log weights contain NaN")
    total = special.logsumexp(lw)
    if not np.isfinite(total):
        raise ConditioningError("every draw has zero likelihood; no draw can be kept")
    return np.exp(lw - total)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``1 / sum(w**2)`` of normalised weights, in draws (1..n)."""
    w = np.asarray(weights, dtype=float)
    return float(1.0 / np.sum(w * w))


def ess_floor(draws: int, fraction: float = MIN_ESS_FRACTION) -> float:
    """The ESS floor for an ensemble of ``draws``: ``fraction * draws``, at least one draw.

    No absolute minimum: a quick look with 50 draws has a noisy ESS itself, and refusing it
    for having few draws would say nothing about the observation.
    """
    return float(max(fraction * draws, 1.0))


def systematic_resample(
    weights: np.ndarray,
    seed: int | np.random.SeedSequence,
    size: int | None = None,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Draw indices chosen in proportion to ``weights`` by systematic resampling.

    One uniform offset ``u`` (from ``numpy.random.SeedSequence(seed)``) places ``size`` evenly
    spaced points ``(u + k) / size`` on the cumulative weights; each draw is chosen about
    ``size * w`` times (floor or ceiling), the lowest variance of the standard schemes.

    Parameters
    ----------
    weights
        Normalised weights, shape ``(draw,)``.
    seed
        Seed, or a ``SeedSequence`` (e.g. spawned from the run's seed).
    size
        Number of indices; default the number of draws.
    labels
        Stable identities of the draws, shape ``(draw,)`` (e.g. their global draw numbers). The
        cumulative sum runs over the draws sorted by label, so the draws chosen do not depend on
        the order the draws are stored in. Default: the storage order.

    Returns
    -------
    np.ndarray
        Indices into the stored draws, shape ``(size,)``, ascending.
    """
    w = np.asarray(weights, dtype=float)
    n = w.size
    size = n if size is None else int(size)
    order = np.arange(n) if labels is None else np.argsort(np.asarray(labels), kind="stable")
    if labels is not None and np.unique(np.asarray(labels)).size != n:
        raise ValueError("labels must be unique, one per draw")
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    u = np.random.default_rng(seq).random()
    cumulative = np.cumsum(w[order])
    cumulative[-1] = 1.0  # rounding must not leave the last point uncovered
    picked = np.searchsorted(cumulative, (u + np.arange(size)) / size, side="right")
    return np.sort(order[np.minimum(picked, n - 1)])


def influential_inputs(
    inputs: Mapping[str, np.ndarray],
    log_lik: np.ndarray,
    top: int = INPUTS_SHOWN,
    min_association: float = MIN_ASSOCIATION,
) -> list[str]:
    """Inputs whose draws are most rank-correlated with the log-likelihood, strongest first.

    These are the priors to widen or move when an observation cannot be reproduced. Inputs
    that do not vary (fixed values) or whose |Spearman rho| is below ``min_association`` are
    skipped. ``inputs``: name -> ``(draw,)``.
    """
    ll = np.asarray(log_lik, dtype=float)
    ll = np.where(np.isfinite(ll), ll, np.nanmin(ll[np.isfinite(ll)], initial=0.0) - 1.0)
    scores = {}
    for name, values in inputs.items():
        v = np.asarray(values, dtype=float)
        if np.ptp(v) > 0 and np.ptp(ll) > 0:
            scores[name] = abs(stats.spearmanr(v, ll).statistic)
    strong = [k for k in scores if scores[k] >= min_association]
    return sorted(strong, key=lambda k: -scores[k])[:top]


@dataclass(frozen=True)
class Conditioned:
    """Result of :func:`condition`.

    ``weights`` ``(draw,)`` sum to 1; ``ess`` after all observations and ``ess_by_step`` after
    each (same order as the observations); ``indices`` ``(draw,)`` the resampled draws.
    """

    weights: np.ndarray
    log_likelihood: np.ndarray
    ess: float
    ess_by_step: dict[str, float]
    floor: float
    indices: np.ndarray


def predictive_tail(simulated: np.ndarray, obs: Observation) -> float:
    """The smaller tail probability of the observation under the prior predictive
    distribution (each draw's value plus the observation error), 0-0.5."""
    x = np.asarray(simulated, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0.0
    z = (obs.value - x) / obs.sd
    dist = stats.norm if obs.df is None else stats.t(obs.df)
    below = float(np.mean(dist.cdf(z)))
    return min(below, 1.0 - below)


def check_predictive(
    obs: Observation,
    simulated: np.ndarray,
    log_lik: np.ndarray,
    inputs: Mapping[str, np.ndarray] | None,
    min_tail: float = MIN_PREDICTIVE_TAIL,
) -> None:
    """Refuse an observation the prior predictive puts in a tail below ``min_tail`` (with
    the same message as a low ESS)."""
    tail = predictive_tail(simulated, obs)
    if tail < min_tail:
        check_ess(0.0, 1.0, obs, simulated, log_lik, inputs, tail=tail)


def check_ess(
    ess: float,
    floor: float,
    obs: Observation,
    simulated: np.ndarray,
    log_lik: np.ndarray,
    inputs: Mapping[str, np.ndarray] | None = None,
    tail: float | None = None,
) -> None:
    """Refuse a conditioning step whose effective sample size fell below the floor (or whose
    prior-predictive ``tail`` probability, if given, is too small).

    Parameters
    ----------
    ess, floor
        Effective sample size after the step, and the least accepted, in draws.
    obs, simulated
        The observation and the simulated quantity ``(draw,)`` it was compared with.
    log_lik
        The step's log-likelihood ``(draw,)``, to find the inputs that drive the fit.
    inputs
        Uncertain inputs, name -> ``(draw,)``; the most associated are named as the priors to
        widen (:func:`influential_inputs`).

    Raises
    ------
    ConditioningError
        Naming the observation, the ESS and floor, the draws' range and the inputs to widen.
    """
    if ess >= floor:
        return
    x = np.asarray(simulated, dtype=float)
    lo, med, hi = np.nanquantile(x, [0.05, 0.5, 0.95]) if np.isfinite(x).any() else (np.nan,) * 3
    widen = influential_inputs(inputs or {}, log_lik)
    names = ", ".join(widen) if widen else "the inputs that drive this quantity"
    why = (
        f"effective sample size {ess:.1f} draws, below the floor of {floor:g}"
        if tail is None
        else f"the draws put it in a tail of probability {tail:.1e}"
    )
    raise ConditioningError(
        f"observation {obs.name!r} ({obs.value:g} ± {obs.sd:g}) cannot be reproduced by the "
        f"prior: {why} (the draws' 90 % range is {lo:.3g}-{hi:.3g}, median {med:.3g}). Widen "
        f"or move the priors of {names}, or check the observation's value and sd."
    )


def condition(
    simulated: Mapping[str, np.ndarray],
    observations: Sequence[Observation],
    seed: int | np.random.SeedSequence,
    *,
    inputs: Mapping[str, np.ndarray] | None = None,
    floor: float | None = None,
    labels: np.ndarray | None = None,
    min_tail: float = MIN_PREDICTIVE_TAIL,
) -> Conditioned:
    """Weight and resample the draws given observations, refusing when the prior cannot fit.

    Parameters
    ----------
    simulated
        Observation name -> the simulated quantity in every draw, ``(draw,)``.
    observations
        Taken in the order given (chronological for a particle filter).
    seed
        Seed of the resampling (a ``SeedSequence`` spawned from the run's seed keeps runs
        reproducible).
    inputs
        The draws' uncertain inputs, name -> ``(draw,)``, used only to name the priors to
        widen in a refusal.
    floor
        ESS floor in draws; default :func:`ess_floor` of the number of draws.
    labels
        Stable draw identities for :func:`systematic_resample`.
    min_tail
        Least prior-predictive tail probability of each observation (:func:`predictive_tail`).

    Raises
    ------
    ConditioningError
        At the first observation after which ESS < floor, naming it and the inputs to widen.
    """
    names = [o.name for o in observations]
    if len(set(names)) != len(names):
        raise ValueError(f"observation names must be unique: {names}")
    missing = [n for n in names if n not in simulated]
    if missing:
        raise KeyError(f"no simulated values for observation(s) {missing}")
    n = len(next(iter(simulated.values()))) if simulated else 0
    floor = ess_floor(n) if floor is None else float(floor)
    total = np.zeros(n)
    ess_by_step: dict[str, float] = {}
    weights = np.full(n, 1.0 / n)
    for obs in observations:
        step = log_likelihood(simulated[obs.name], obs)
        if step.shape != (n,):
            raise ValueError(f"{obs.name}: simulated values have shape {step.shape}, not ({n},)")
        check_predictive(obs, simulated[obs.name], step, inputs, min_tail)
        total = total + step
        try:
            weights = normalised_weights(total)
        except ConditioningError:
            # no draw left at all: refused whatever the floor (at least one draw is needed)
            check_ess(0.0, max(floor, 1.0), obs, simulated[obs.name], step, inputs)
        ess_by_step[obs.name] = effective_sample_size(weights)
        check_ess(ess_by_step[obs.name], floor, obs, simulated[obs.name], step, inputs)
    indices = systematic_resample(weights, seed, labels=labels)
    ess = effective_sample_size(weights)
    return Conditioned(weights, total, ess, ess_by_step, floor, indices)


@dataclass(frozen=True)
class Reading:
    """An observation matched to a simulated value: ``variable`` in ``year`` (a yearly variable
    without other dims), with the observation's source and the period it covers."""

    observation: Observation
    variable: str
    year: int
    source: str
    period: str


@dataclass(frozen=True)
class Conditioning:
    """What a plan's draws were conditioned on, as recorded in the run.

    ``readings`` were used, in order; ``unused`` lists ``(observation, reason)`` for the
    observations of the vintage that were not; ``ess`` is the effective sample size of the
    weights (in draws, of ``draws``) and ``floor`` the least accepted; ``resampled`` names the
    inputs that were resampled (the others keep their prior design).
    """

    readings: tuple[Reading, ...]
    unused: tuple[tuple[str, str], ...]
    draws: int
    ess: float
    floor: float
    resampled: tuple[str, ...]

    def attrs(self) -> dict[str, str | float]:
        """Run attributes: the readings used, their sources, the effective sample size and
        its floor."""
        used = "; ".join(
            f"{r.observation.name} = {r.observation.value:g} ± {r.observation.sd:g}"
            for r in self.readings
        )
        return {
            "conditioned_on": used or "nothing (no observation of a simulated series)",
            "conditioning_sources": "; ".join(r.source for r in self.readings),
            "effective_sample_size": float(self.ess),
            "ess_floor": float(self.floor),
        }
