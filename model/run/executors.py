"""Running an ensemble in chunks of draws, on an executor.

The same chunk function (:func:`vnsim.core.engine.run_chunk`) runs in-process, on local
processes, or on a ``dask.distributed`` cluster. Each chunk's random numbers come from the seed
and its draw indices only, so results are bit-identical whatever the executor, the chunk size or
the order in which chunks finish. A run too big for the machine is refused up front with a
:class:`~vnsim.errors.ResourceError`.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Literal

import numpy as np
from vnsim.blocks import VARIABLES, Variable, endings
from vnsim.core.engine import run_chunk
from vnsim.core.plan import Plan
from vnsim.errors import InputError, ResourceError, UserError
from vnsim.uncertainty import STREAM_BLOCK

Executor = Literal["auto", "inprocess", "processes", "dask"]
Sink = Callable[[int, int, dict[str, np.ndarray]], None]


#: Draws per on-disk chunk of ``ensemble.nc`` (see :class:`vnsim.run.store.EnsembleFile`); default
#: chunk sizes are multiples of it, so a chunk neither regenerates a random-stream block another
#: chunk also needs nor rewrites part of an HDF5 chunk another chunk also writes.
DISK_CHUNK = 1024

#: Seconds to wait for a dask scheduler given with ``--scheduler``.
CONNECT_TIMEOUT = 10

#: Seconds a run must last before its progress bar appears ("longer than a moment").
PROGRESS_DELAY = 0.5

#: Fewest draws per worker for ``executor="auto"`` to use local processes: below it, forking
#: and sending the results back cost about what a second core saves (a 2,048-draw chunk of
#: the baseline takes about 0.8 s on one core).
MIN_DRAWS_PER_WORKER = 2048


def draw_bytes(plan: Plan) -> int:
    """Memory of one draw's results in bytes (dominated by all-country arrays)."""
    return plan.draw_bytes()


def default_chunk_size(plan: Plan, budget: int = 256 * 2**20, draws: int | None = None) -> int:
    """Draws per chunk so that a chunk's results and temporaries stay near ``budget`` bytes.

    Rounded down to a multiple of :data:`DISK_CHUNK` (or of the random-stream block for small
    budgets): chunk edges then fall on stream-block and disk-chunk edges.
    """
    # temporaries during the e-government update are a few times the stored results
    size = budget // (4 * draw_bytes(plan))
    unit = DISK_CHUNK if size >= DISK_CHUNK else STREAM_BLOCK
    size = max(STREAM_BLOCK, size // unit * unit)
    draws = plan.draws if draws is None else draws
    return int(min(draws, size)) if draws > 0 else STREAM_BLOCK


def parallel_chunk_size(
    plan: Plan, workers: int, budget: int = 256 * 2**20, draws: int | None = None
) -> int:
    """Draws per chunk for ``workers`` local processes: the fewest chunks, a multiple of
    ``workers`` so that every worker has as many, each within :func:`default_chunk_size`'s
    budget.

    A multiple of the random-stream block, so no chunk regenerates a stream block another
    chunk also needs; a 10,000-draw run on 2 workers is four chunks of 2,560 draws or fewer
    (at multiples of :data:`DISK_CHUNK` the choice would be 3,072-draw chunks, one worker
    simulating 6,144 draws and the other 3,856).
    """
    draws = plan.draws if draws is None else draws
    most = default_chunk_size(plan, budget, draws)
    if workers < 2 or draws <= STREAM_BLOCK:
        return most
    n = workers * math.ceil(draws / (workers * most))
    # rounding up keeps the count at most n; `most` is a multiple of the block, so size <= most
    return max(STREAM_BLOCK, math.ceil(draws / n / STREAM_BLOCK) * STREAM_BLOCK)


def local_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one, e.g. under
    ``taskset`` or a container's cpuset), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def local_workers(executor: str, workers: int | None) -> int:
    """Processes that run chunks at once on this machine: ``workers`` (default one per CPU)
    for local processes, else 1."""
    if executor != "processes":
        return 1
    return workers or local_cpus()


class CpuMeter:
    """CPUs left idle by every process of the machine since the meter was made (Linux
    ``/proc/stat``; elsewhere unknown).

    Made before some work of this process's own (the command's one-draw plan, which keeps
    one CPU busy), it says whether other CPUs are free right now: other users' jobs leave none
    free, and a second core then gains nothing (on Linux the scheduler shares the CPUs between
    sessions, not between processes) while forking and sending results back still cost.
    """

    #: Fewest clock ticks (of all CPUs together) for a reading to count.
    MIN_TICKS = 20

    def __init__(self) -> None:
        self._start = self._times()

    @staticmethod
    def _times() -> tuple[int, int] | None:
        """(idle, total) clock ticks of all CPUs since boot, or None where unknown."""
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = f.readline().split()
        except (OSError, UnicodeDecodeError):
            return None
        if not fields or fields[0] != "cpu":
            return None
        ticks = [int(x) for x in fields[1:]]
        # user nice system idle iowait irq softirq steal [guest guest_nice, already in user]
        return ticks[3] + ticks[4], sum(ticks[:8])

    def idle(self) -> float | None:
        """Average number of idle CPUs since the meter was made; None if unknown or too short
        a time to tell."""
        now = self._times()
        if now is None or self._start is None:
            return None
        idle, total = now[0] - self._start[0], now[1] - self._start[1]
        if total < self.MIN_TICKS:
            return None
        return idle / total * (os.cpu_count() or 1)


def choose_executor(
    executor: str,
    plan: Plan,
    draws: int | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    idle: float | None = None,
) -> tuple[str, int | None]:
    """The executor and worker count a run uses: ``executor`` itself unless it is ``"auto"``.

    ``"auto"`` is ``"processes"`` when this is Linux (workers are forked, so they inherit the
    imported modules and the plan instead of starting Python again), at least two CPUs are
    available (:func:`local_cpus`, or ``workers`` if fewer), every worker has at least
    :data:`MIN_DRAWS_PER_WORKER` draws and their chunks fit in memory; otherwise
    ``"inprocess"``. ``idle``, the CPUs found idle lately while this process kept one busy
    (:class:`CpuMeter`), caps the workers at that many plus this process's own: on a machine
    other jobs keep busy the run stays in-process. Results are bit-identical either way; only
    the wall time differs. Only the plan's shapes are used, so a one-draw plan with ``draws``
    given will do.
    """
    if executor != "auto":
        return executor, workers
    draws = plan.draws if draws is None else draws
    n = min(local_cpus() if workers is None else workers, draws // MIN_DRAWS_PER_WORKER)
    if idle is not None:
        n = min(n, 1 + int(idle + 0.5))
    if n < 2 or not sys.platform.startswith("linux"):
        return "inprocess", None
    size = chunk_size or parallel_chunk_size(plan, n, draws=draws)
    kept = 3 * draws * kept_bytes(plan)
    if 4 * n * min(size, draws) * draw_bytes(plan) + kept > 0.6 * available_memory():
        return "inprocess", None
    return "processes", n


def available_memory() -> int:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``; else physical)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def kept_bytes(plan: Plan) -> int:
    """Memory per draw that a streamed run keeps until the end (for the summary): every
    variable without a country axis, and Viet Nam's slice of those with one."""
    return plan.draw_bytes(countries=1)


def check_resources(
    plan: Plan,
    folder: Path | None = None,
    chunk_size: int | None = None,
    in_memory: bool = False,
    draws: int | None = None,
    workers: int = 1,
) -> None:
    """Refuse, before any work, a run whose results would not fit.

    In memory (``simulate``) the whole ensemble must fit. Streamed to a run folder, one chunk
    per worker plus what the run keeps for its summary must fit in memory, and the whole
    ensemble on disk.
    Only the plan's shapes are used, so a one-draw plan with ``draws`` given checks a large
    run before anything is sampled.
    """
    draws = plan.draws if draws is None else draws
    per_draw = draw_bytes(plan)
    need_all = draws * per_draw
    if folder is not None:
        existing = next((p for p in [Path(folder), *Path(folder).parents] if p.exists()), None)
        if existing is not None:
            free = shutil.disk_usage(existing).free
            if need_all > 0.9 * free:
                fit = int(0.9 * free // per_draw)
                raise ResourceError(
                    f"{draws:,} draws need about {_gib(need_all)} of disk in {folder}; "
                    f"{_gib(free)} is free, enough for about {fit:,} draws. Use --draws {fit:,} "
                    "or less (chunking does not reduce disk use), or another --out."
                )
    memory = available_memory()
    if in_memory and need_all > 0.8 * memory:
        fit = int(0.8 * memory // per_draw)
        raise ResourceError(
            f"{draws:,} draws need about {_gib(need_all)} of memory for the results alone; "
            f"{_gib(memory)} is available, enough for about {fit:,} draws. Run it with "
            "`vnsim run` (results stream to disk in chunks) or use fewer draws."
        )
    # the summary takes quantiles of what is kept: count it about three times
    kept = 0 if in_memory else 3 * draws * kept_bytes(plan)
    if kept > 0.6 * memory:
        fit = int(0.6 * memory // (3 * kept_bytes(plan)))
        raise ResourceError(
            f"{draws:,} draws need about {_gib(kept)} of memory for the summary even when "
            f"streamed; {_gib(memory)} is available. Use --draws {fit:,} or less, and combine "
            "several runs with different --seed values."
        )
    size = chunk_size or parallel_chunk_size(plan, workers, draws=draws)
    need_chunk = 4 * workers * min(size, draws) * per_draw
    if need_chunk + kept > 0.8 * memory:
        fit = max(1, int((0.8 * memory - kept) // (4 * workers * per_draw)))
        raise ResourceError(
            f"a chunk of {size:,} draws needs about {_gib(need_chunk)} of memory; "
            f"{_gib(memory)} is available. Use --chunk-size {fit:,} or less."
        )


#: Relative slack on bounds, for rounding in sums and products of shares.
BOUNDS_SLACK = 1e-9
#: Offending draws shown in a message.
DRAWS_SHOWN = 3


def _outside(variable: Variable, a: np.ndarray, undefined: np.ndarray | None = None) -> np.ndarray:
    """Where ``a`` (``(draw, ...)``) is non-finite or outside the variable's bounds.

    ``undefined`` (shape of ``a`` without the draw axis) marks where the variable declares it
    has no value (:meth:`Variable.undefined`): NaN is accepted there and nowhere else.
    """
    if a.dtype.kind not in "fiu":
        return np.zeros(a.shape, bool)
    bad = ~np.isfinite(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    low, high = variable.bounds
    if low is not None:
        bad |= a < low - BOUNDS_SLACK * max(1.0, abs(low))
    if high is not None:
        bad |= a > high + BOUNDS_SLACK * max(1.0, abs(high))
    if undefined is not None and a.dtype.kind == "f":
        bad &= ~(undefined[None] & np.isnan(a))
    return bad


def check_results(plan: Plan, start: int, arrays: dict[str, np.ndarray]) -> None:
    """Refuse a chunk with a value its variable's bounds forbid (inf, NaN, a share above 1).

    Raises
    ------
    InputError
        Naming the first such variable, the year or edition, and the sampled uncertain inputs
        of the offending draws (the draws are numbered in the whole run, from 0).
    """
    coords, ended = plan.coords(), endings(plan.scenario)
    for name, variable in VARIABLES.items():
        a = np.asarray(arrays[name])
        # coords of the chunk: its own draws, the run's labels on every other dim
        undefined = variable.undefined(coords, ended) if variable.dims else None
        bad = _outside(variable, a, undefined)
        if bad.any():
            raise InputError(_explain(plan, start, arrays, variable, bad))


def _explain(plan: Plan, start: int, arrays, variable: Variable, bad: np.ndarray) -> str:
    coords = plan.coords()
    first = tuple(int(i[0]) for i in np.nonzero(bad))
    value = np.asarray(arrays[variable.name])[first]
    where = [f"{d} {coords[d][i]}" for d, i in zip(variable.dims, first[1:], strict=True)]
    draws = np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1))
    names = list(coords["input"])
    shown = []
    for d in draws[:DRAWS_SHOWN]:
        inputs = ", ".join(
            f"{n} = {float(x):.6g}" for n, x in zip(names, arrays["inputs"][d], strict=True)
        )
        shown.append(f"draw {start + d}: {inputs or 'no uncertain inputs'}")
    low, high = variable.bounds
    span = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    return (
        f"{variable.name} is {value} ({', '.join(where) or 'no axis'}) in {len(draws)} of "
        f"{len(bad)} draws of a chunk, outside its range {span} {variable.unit}; "
        + "; ".join(shown)
    )


def chunks(draws: int, chunk_size: int) -> list[tuple[int, int]]:
    """Draw ranges ``[start, stop)`` covering ``range(draws)``."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    return [(a, min(a + chunk_size, draws)) for a in range(0, draws, chunk_size)]


def checked_chunk(plan: Plan, start: int, stop: int) -> dict[str, np.ndarray]:
    """:func:`run_chunk` without NumPy's overflow warnings: every value is checked against
    its variable's bounds afterwards (:func:`check_results`), with a message that says more."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return run_chunk(plan, start, stop)


def _inprocess(plan: Plan, ranges: list[tuple[int, int]]) -> Iterator[tuple[int, int, dict]]:
    for start, stop in ranges:
        yield start, stop, checked_chunk(plan, start, stop)


def ignore_interrupts() -> None:
    """Worker start-up: Ctrl-C reaches the whole process group, but only the command decides
    what an interrupt does (workers would otherwise each print a traceback, or die before the
    command can stop the pool). SIGTERM too: a forked worker inherits the command's handler,
    which raises."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def _start_method() -> Any:
    """Fork on Linux: a worker starts as a copy of the command, modules imported, instead of
    a new Python importing vnsim, scipy and xarray again (seconds per worker). Elsewhere the
    platform's default (fork is unsafe on macOS; Windows has none)."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return None


def _processes(
    plan: Plan, ranges, workers: int | None, meanwhile: Callable[[], None] | None = None
) -> Iterator[tuple[int, int, dict]]:
    pool = ProcessPoolExecutor(
        max_workers=local_workers("processes", workers),
        mp_context=_start_method(),
        initializer=ignore_interrupts,
    )
    try:
        futures = {pool.submit(checked_chunk, plan, a, b): (a, b) for a, b in ranges}
        # the workers are running (a fork pool starts them all at the first submit, before any
        # thread of its own): this process has nothing to do until the first chunk is back
        if meanwhile is not None:
            meanwhile()
        for fut in as_completed(futures):
            a, b = futures[fut]
            yield a, b, fut.result()
    finally:
        # stopped early (an interrupt): chunks not yet started are dropped, not run
        pool.shutdown(wait=True, cancel_futures=True)


def _dask_client(scheduler: str) -> Any:
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError) as exc:  # a timeout is an OSError; a bad address a ValueError
        raise UserError(
            f"--scheduler {scheduler}: cannot reach the dask scheduler ({exc}); check the "
            "address and that the scheduler is running, or leave out --scheduler for a local "
            "cluster"
        ) from None


def _dask(
    plan: Plan,
    ranges,
    scheduler: str | None,
    workers: int | None,
    meanwhile: Callable[[], None] | None = None,
):
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = _dask_client(scheduler)
    try:
        shared = client.scatter(plan, broadcast=True)
        futures = {
            client.submit(checked_chunk, shared, a, b, pure=False): (a, b) for a, b in ranges
        }
        if meanwhile is not None:
            meanwhile()
        for fut in dask_completed(futures):
            a, b = futures[fut]
            yield a, b, fut.result()
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _stream(
    plan: Plan,
    executor: str,
    chunk_size: int | None,
    scheduler: str | None,
    workers: int | None,
    meanwhile: Callable[[], None] | None,
) -> Iterator[tuple[int, int, dict]]:
    """The chunks of :func:`run` as they finish on ``executor``."""
    executor, workers = choose_executor(executor, plan, workers=workers, chunk_size=chunk_size)
    if chunk_size is None:
        chunk_size = parallel_chunk_size(plan, local_workers(executor, workers))
    ranges = chunks(plan.draws, chunk_size)
    if executor == "inprocess":
        return _inprocess(plan, ranges)
    if executor == "processes":
        return _processes(plan, ranges, workers, meanwhile)
    if executor == "dask":
        return _dask(plan, ranges, scheduler, workers, meanwhile)
    raise ValueError(f"unknown executor {executor!r}")


def run(
    plan: Plan,
    *,
    executor: Executor = "inprocess",
    chunk_size: int | None = None,
    progress: bool = False,
    sink: Sink | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    stopped: Callable[[], bool] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> dict[str, np.ndarray] | None:
    """Simulate every draw of ``plan``.

    Parameters
    ----------
    executor
        ``"inprocess"`` (default; works in notebooks everywhere), ``"processes"`` (local
        processes), ``"dask"`` (a ``dask.distributed`` cluster at ``scheduler``, or a
        ``LocalCluster`` when no address is given) or ``"auto"`` (processes or in-process, as
        :func:`choose_executor` decides).
    chunk_size
        Draws per chunk; default from a memory budget (:func:`default_chunk_size`), split
        evenly between the workers of local processes (:func:`parallel_chunk_size`).
    sink
        If given, called as ``sink(start, stop, arrays)`` for each chunk as it finishes (in any
        order) and nothing is returned: results stream to disk without being held in memory.
        Otherwise the chunks are joined in draw order and returned.
    stopped
        Checked after every chunk; when it returns True the run stops with
        ``KeyboardInterrupt``. A signal handler's own ``KeyboardInterrupt`` can be swallowed
        (raised inside a weakref callback or ``__del__``, Python only prints it), so the
        command line also records the signal and passes this check.
    meanwhile
        Work of the caller's for later (imports, reading files), done once by this process
        while the chunks run on other processes (``"processes"``, ``"dask"``), so that it takes
        no wall time of its own when a CPU is free. Never called in-process (nothing runs
        meanwhile there): the caller does the work itself afterwards.
    """
    stream = _stream(plan, executor, chunk_size, scheduler, workers, meanwhile)

    joined: dict[str, np.ndarray] = {}

    def store(start: int, stop: int, arrays: dict[str, np.ndarray]) -> None:
        # each chunk is copied into its slice of the whole and dropped: peak memory is the
        # results plus one chunk, not the results twice as when concatenating at the end
        for k, a in arrays.items():
            if k not in joined:
                joined[k] = np.empty((plan.draws, *a.shape[1:]), a.dtype)
            joined[k][start:stop] = a

    if progress:
        # tqdm.auto picks a notebook widget when one is available; imported only when a bar is
        # wanted, since without ipywidgets it warns at import
        from tqdm.auto import tqdm as bar_type
    else:
        from tqdm import tqdm as bar_type
    with bar_type(
        total=plan.draws,
        unit="draw",
        disable=not progress,
        leave=False,
        delay=PROGRESS_DELAY,
        dynamic_ncols=True,
    ) as bar:
        for start, stop, arrays in stream:
            if stopped is not None and stopped():
                raise KeyboardInterrupt
            check_results(plan, start, arrays)
            (sink or store)(start, stop, arrays)
            del arrays
            bar.update(stop - start)
    if stopped is not None and stopped():
        raise KeyboardInterrupt
    if sink is not None:
        return None
    return joined
