"""Uncertain inputs: distributions, experimental designs and chunk-invariant random streams.

Two kinds of randomness enter a run:

* **Uncertain inputs** (one value per draw, e.g. the 2022 market size): a design over the unit
  hypercube (Monte Carlo, Latin hypercube or Sobol, from ``scipy.stats.qmc``) mapped through each
  input's inverse CDF (``scipy.stats``). The design covers the whole ensemble, so it is computed
  once and sliced per chunk.
* **Shocks** (many values per draw, e.g. yearly growth shocks for every country): drawn from
  :class:`Streams`, which derives an independent generator for every fixed block of
  :data:`STREAM_BLOCK` draws from ``SeedSequence(seed, spawn_key=(stream, block))``. A draw's
  shocks therefore depend only on the seed, the stream name and the draw index, never on how the
  ensemble was chunked or in which order chunks ran.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from scipy import stats
from scipy.stats import qmc

#: Draws per random-stream block. Changing it changes every result: it is part of the method.
STREAM_BLOCK = 256

Sampler = Literal["monte_carlo", "lhs", "sobol"]


def _stream_key(name: str) -> int:
    # crc32 is stable across Python sessions, unlike hash(), and names stay readable in code.
    return zlib.crc32(name.encode("utf-8"))


def design(sampler: Sampler, n_draws: int, n_inputs: int, seed: int) -> np.ndarray:
    """Points in the unit hypercube for an ensemble, shape ``(draw, input)``.

    Parameters
    ----------
    sampler
        ``"monte_carlo"`` (independent uniforms), ``"lhs"`` (Latin hypercube) or ``"sobol"``
        (scrambled Sobol' sequence; best with a power-of-two number of draws).
    n_draws, n_inputs
        Size of the design.
    seed
        Ensemble seed; the design uses its own child stream.
    """
    if n_inputs == 0:
        return np.empty((n_draws, 0))
    ss = np.random.SeedSequence(seed, spawn_key=(_stream_key("design"),))
    rng = np.random.default_rng(ss)
    if sampler == "monte_carlo":
        return rng.random((n_draws, n_inputs))
    if sampler == "lhs":
        return qmc.LatinHypercube(d=n_inputs, rng=rng).random(n_draws)
    if sampler == "sobol":
        return qmc.Sobol(d=n_inputs, scramble=True, rng=rng).random(n_draws)
    raise ValueError(f"unknown sampler {sampler!r}")


class Streams:
    """Random shocks for draws ``start`` to ``stop - 1`` of an ensemble.

    Every call names its stream; the same name always yields the same numbers for the same draw,
    whatever the chunking. Use a distinct name for every distinct use (e.g.
    ``f"egov.noise.{edition}"``).

    Examples
    --------
    >>> s = Streams(seed=1, start=0, stop=10)
    >>> s.normal("market.shock", (9,)).shape
    (10, 9)
    """

    def __init__(self, seed: int, start: int, stop: int) -> None:
        if not 0 <= start <= stop:
            raise ValueError(f"bad draw range [{start}, {stop})")
        self.seed, self.start, self.stop = int(seed), int(start), int(stop)

    @property
    def n_draws(self) -> int:
        return self.stop - self.start

    def _generators(self, name: str) -> list[np.random.Generator]:
        """One generator per stream block of ``STREAM_BLOCK`` draws this chunk touches."""
        first, last = self.start // STREAM_BLOCK, (self.stop - 1) // STREAM_BLOCK
        key = _stream_key(name)
        return [
            np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key, block)))
            for block in range(first, last + 1)
        ]

    def _chunk(self, blocks: np.ndarray) -> np.ndarray:
        """This chunk's draws of the whole stream blocks ``blocks``."""
        offset = self.start // STREAM_BLOCK * STREAM_BLOCK
        return blocks[self.start - offset : self.stop - offset]

    def sample(
        self,
        name: str,
        shape: Sequence[int],
        method: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray],
    ) -> np.ndarray:
        """``method(rng, (block, *shape))`` for this chunk's draws, shape ``(draw, *shape)``.

        ``method`` receives a generator and the full size to draw, e.g.
        ``lambda rng, size: rng.standard_t(4, size)``.
        """
        shape = tuple(int(s) for s in shape)
        if self.stop == self.start:
            return method(np.random.default_rng(0), (0, *shape))
        parts = [method(rng, (STREAM_BLOCK, *shape)) for rng in self._generators(name)]
        return self._chunk(np.concatenate(parts, axis=0))

    def _filled(
        self,
        name: str,
        shape: Sequence[int],
        fill: Callable[[np.random.Generator, np.ndarray], object],
    ) -> np.ndarray:
        """:meth:`sample` for a generator method that can write into an array: the numbers
        :meth:`sample` gives, each block generated straight into its place in one array,
        without a per-block array and the join of them (about 40 % of a normal draw's time)."""
        shape = tuple(int(s) for s in shape)
        if self.stop == self.start:
            return np.empty((0, *shape))
        rngs = self._generators(name)
        out = np.empty((len(rngs) * STREAM_BLOCK, *shape))
        for i, rng in enumerate(rngs):
            fill(rng, out[i * STREAM_BLOCK : (i + 1) * STREAM_BLOCK])
        return self._chunk(out)

    def normal(self, name: str, shape: Sequence[int] = ()) -> np.ndarray:
        """Standard normal shocks, shape ``(draw, *shape)``."""
        # the same numbers as rng.standard_normal(size) per block (the same fill, in place)
        return self._filled(name, shape, lambda rng, out: rng.standard_normal(out=out))

    def uniform(self, name: str, shape: Sequence[int] = ()) -> np.ndarray:
        """Uniform(0, 1) values, shape ``(draw, *shape)``."""
        return self._filled(name, shape, lambda rng, out: rng.random(out=out))

    def student_t(self, name: str, df: float, shape: Sequence[int] = ()) -> np.ndarray:
        """Standard Student-t shocks with ``df`` degrees of freedom, shape ``(draw, *shape)``."""
        return self.sample(name, shape, lambda rng, size: rng.standard_t(df, size))

    def integers(self, name: str, high: int, shape: Sequence[int] = ()) -> np.ndarray:
        """Integers in ``[0, high)``, shape ``(draw, *shape)`` (e.g. bootstrap indices)."""
        return self.sample(name, shape, lambda rng, size: rng.integers(0, high, size))


def frozen(dist: str, params: dict[str, float]) -> stats.rv_continuous | None:
    """The ``scipy.stats`` frozen distribution for a scenario distribution, or None for fixed.

    Parameter names follow the scenario schema (:mod:`vnsim.spec.scenario`).
    """
    p = params
    match dist:
        case "fixed":
            return None
        case "uniform":
            return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
        case "triangular":
            width = p["high"] - p["low"]
            c = 0.5 if width == 0 else (p["mode"] - p["low"]) / width
            return stats.triang(c=c, loc=p["low"], scale=width)
        case "normal":
            return stats.norm(loc=p["mean"], scale=p["sd"])
        case "truncated_normal":
            a = (p["low"] - p["mean"]) / p["sd"]
            b = (p["high"] - p["mean"]) / p["sd"]
            return stats.truncnorm(a=a, b=b, loc=p["mean"], scale=p["sd"])
        case "lognormal":
            # parameterised by the median and the sd of log(x): what an analyst can state
            return stats.lognorm(s=p["sigma"], scale=p["median"])
        case "beta":
            return stats.beta(
                a=p["alpha"],
                b=p["beta"],
                loc=p.get("low", 0.0),
                scale=p.get("high", 1.0) - p.get("low", 0.0),
            )
        case "student_t":
            return stats.t(df=p["df"], loc=p["loc"], scale=p["scale"])
    raise ValueError(f"unknown distribution {dist!r}")


def transform(dist: str, params: dict[str, float], u: np.ndarray) -> np.ndarray:
    """Map unit-hypercube points ``u`` (shape ``(draw,)``) to values of the distribution."""
    fz = frozen(dist, params)
    if fz is None:
        return np.full(u.shape, float(params["value"]))
    # keep QMC points off the exact 0/1 edges, where unbounded ppfs return ±inf
    eps = np.finfo(float).eps
    x = fz.ppf(np.clip(u, eps, 1 - eps))
    # loc + ppf * scale can overshoot a stated bound by an ulp (a ceiling of 1 + 2e-16 is not
    # a share), so keep values inside the bounds the scenario gave
    low = params.get("low", 0.0 if dist == "beta" else -np.inf)
    high = params.get("high", 1.0 if dist == "beta" else np.inf)
    return np.clip(x, low, high)
