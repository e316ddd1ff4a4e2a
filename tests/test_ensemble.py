"""Executors, chunking, streaming to disk and progress of ensemble runs.

The same plan run in-process, on local processes and on a real ``dask.distributed``
``LocalCluster``, with chunk sizes that do not line up with the 256-draw random-stream blocks,
must give bit-identical arrays; so must ``ensemble.nc`` written from chunks arriving in any order.
"""

from __future__ import annotations

import random
import signal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vnsim.analysis.summary import summarise
from vnsim.blocks import VARIABLES
from vnsim.core import engine, planning
from vnsim.core.plan import Plan
from vnsim.errors import UserError
from vnsim.run import executors, store
from vnsim.spec.scenario import load_scenario
from vnsim.uncertainty import STREAM_BLOCK

ROOT = Path(__file__).resolve().parent.parent
DRAWS = 300  # > one stream block, so chunks of 64 and 100 straddle block edges
CHUNK_SIZES = (64, 100)


@pytest.fixture(scope="module")
def plan() -> Plan:
    """The baseline scenario (all blocks, all member states)."""
    scn = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    return planning.plan(scn, DRAWS)


@pytest.fixture(scope="module")
def reference(plan) -> dict[str, np.ndarray]:
    """All draws in one chunk, in-process."""
    return executors.run(plan, chunk_size=DRAWS)


def assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert set(got) == set(want)
    for k, w in want.items():
        g = got[k]
        assert g.dtype == w.dtype and g.shape == w.shape, k
        assert np.array_equal(g, w, equal_nan=w.dtype.kind == "f"), k


def test_reference_is_a_real_ensemble(reference):
    # guards the equality tests against comparing trivially equal (e.g. constant) arrays
    assert reference["market_size"].shape == (DRAWS, 9)
    assert np.unique(reference["market_size"][:, -1]).size == DRAWS
    assert reference["egdi"].shape[2] == 193
    assert np.unique(reference["egdi_rank"][:, -1, :], axis=0).shape[0] > 1
    assert reference["trigger_fired"].any() and not reference["trigger_fired"].all()


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_inprocess_chunking_is_invisible(plan, reference, chunk_size):
    assert_same(executors.run(plan, chunk_size=chunk_size), reference)


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_local_processes_match_inprocess(plan, reference, chunk_size):
    got = executors.run(plan, executor="processes", chunk_size=chunk_size, workers=2)
    assert_same(got, reference)


def _write(path: Path, plan, order: list[tuple[int, int]], chunk_of) -> None:
    writer = store.EnsembleFile(path, plan, {"scenario": "test"})
    for a, b in order:
        writer.write(a, b, chunk_of[a, b])
    writer.close()


def test_ensemble_file_does_not_depend_on_chunk_order(plan, reference, tmp_path):
    ranges = executors.chunks(DRAWS, 100)
    chunk_of = {(a, b): engine.run_chunk(plan, a, b) for a, b in ranges}
    shuffled = ranges[::-1]
    random.Random(1).shuffle(shuffled)
    assert shuffled != ranges
    for name, order in (("in_order", ranges), ("shuffled", shuffled)):
        (tmp_path / name).mkdir()
        _write(tmp_path / name / "ensemble.nc", plan, order, chunk_of)
    a, b = (store.open_run(tmp_path / n).load() for n in ("in_order", "shuffled"))
    for name in VARIABLES:
        assert np.array_equal(a[name].values, b[name].values, equal_nan=True), name
        # and both hold the simulated values, at the stored precision
        want = reference[name].astype(a[name].dtype)
        assert np.array_equal(a[name].values, want, equal_nan=True), name
        assert a[name].dims == ("draw", *VARIABLES[name].dims)


def test_summary_from_stream_matches_in_memory(plan, reference, tmp_path):
    writer = store.EnsembleFile(tmp_path / "ensemble.nc", plan, {"scenario": "test"})
    executors.run(plan, executor="processes", chunk_size=64, workers=2, sink=writer.write)
    streamed = writer.close()
    full = store.to_dataset(plan, reference)
    vnm = full.sel(country=["VNM"])
    for name in streamed.data_vars:
        assert np.array_equal(
            streamed[name].values, vnm[name].values.astype(streamed[name].dtype), equal_nan=True
        ), name
    assert summarise(streamed).equals(summarise(vnm))


@given(draws=st.integers(0, 5000), size=st.integers(1, 700))
@settings(max_examples=60, deadline=None)
def test_chunks_cover_every_draw_once(draws, size):
    ranges = executors.chunks(draws, size)
    covered = np.concatenate([np.arange(a, b) for a, b in ranges]) if ranges else np.array([])
    assert np.array_equal(covered, np.arange(draws))
    assert all(0 < b - a <= size for a, b in ranges)


def test_default_chunk_size_is_aligned_and_bounded(plan):
    size = executors.default_chunk_size(plan, draws=1_000_000)
    assert size % STREAM_BLOCK == 0 and size % executors.DISK_CHUNK == 0
    assert 4 * size * executors.draw_bytes(plan) <= 256 * 2**20
    assert executors.default_chunk_size(plan, budget=1, draws=1_000_000) == STREAM_BLOCK
    assert executors.default_chunk_size(plan) == DRAWS  # a small run is one chunk


@pytest.mark.parametrize("draws", [1, 255, 300, 2048, 4097, 10_000, 100_000, 1_000_000])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_chunks_are_aligned_bounded_and_shared_evenly(plan, draws, workers):
    size = executors.parallel_chunk_size(plan, workers, draws=draws)
    most = executors.default_chunk_size(plan, draws=draws)
    assert size <= most
    if workers == 1:
        assert size == most
    elif draws > STREAM_BLOCK:
        assert size % STREAM_BLOCK == 0
        n = len(executors.chunks(draws, size))
        fewest = workers * -(-draws // (workers * most))
        # no more chunks than the fewest multiple of the workers the budget allows
        assert n <= fewest


def test_ten_thousand_draws_on_two_workers_are_two_chunks_each(plan):
    sizes = [
        b - a
        for a, b in executors.chunks(10_000, executors.parallel_chunk_size(plan, 2, draws=10_000))
    ]
    assert len(sizes) == 4 and max(sizes) - min(sizes) <= STREAM_BLOCK


def test_auto_executor_forks_processes_only_when_they_pay(plan, monkeypatch):
    monkeypatch.setattr(executors, "available_memory", lambda: 24 * 2**30)
    monkeypatch.setattr(executors.sys, "platform", "linux")
    monkeypatch.setattr(executors, "local_cpus", lambda: 2)
    many = 2 * executors.MIN_DRAWS_PER_WORKER
    assert executors.choose_executor("auto", plan, many) == ("processes", 2)
    assert executors.choose_executor("auto", plan, many - 1) == ("inprocess", None)
    assert executors.choose_executor("auto", plan, many, workers=1) == ("inprocess", None)
    assert executors.choose_executor("auto", plan, 10 * many, workers=3) == ("processes", 3)
    # an explicit executor is kept as given
    assert executors.choose_executor("inprocess", plan, 10 * many) == ("inprocess", None)
    assert executors.choose_executor("processes", plan, 10, workers=4) == ("processes", 4)
    monkeypatch.setattr(executors, "local_cpus", lambda: 1)
    assert executors.choose_executor("auto", plan, 10 * many) == ("inprocess", None)
    monkeypatch.setattr(executors, "local_cpus", lambda: 8)  # no more workers than draws allow
    assert executors.choose_executor("auto", plan, 3 * many) == ("processes", 6)
    # other jobs keep the other CPUs busy: a second process would gain nothing
    assert executors.choose_executor("auto", plan, 3 * many, idle=0.2) == ("inprocess", None)
    assert executors.choose_executor("auto", plan, 3 * many, idle=0.7) == ("processes", 2)
    assert executors.choose_executor("auto", plan, 3 * many, idle=7.0) == ("processes", 6)
    monkeypatch.setattr(executors.sys, "platform", "darwin")  # no fork: a worker re-imports
    assert executors.choose_executor("auto", plan, 10 * many) == ("inprocess", None)
    monkeypatch.setattr(executors.sys, "platform", "linux")
    monkeypatch.setattr(executors, "available_memory", lambda: 2**20)  # chunks would not fit
    assert executors.choose_executor("auto", plan, 10 * many) == ("inprocess", None)


def test_auto_executor_gives_the_same_results(plan, reference, monkeypatch):
    monkeypatch.setattr(executors, "MIN_DRAWS_PER_WORKER", 100)
    monkeypatch.setattr(executors, "local_cpus", lambda: 2)
    seen = []
    real = executors._processes

    def recorded(plan, ranges, workers, meanwhile=None):
        seen.append((ranges, workers))
        return real(plan, ranges, workers, meanwhile)

    monkeypatch.setattr(executors, "_processes", recorded)
    assert_same(executors.run(plan, executor="auto"), reference)
    # two workers, each with one chunk that starts on a random-stream block edge
    assert seen == [([(0, 256), (256, DRAWS)], 2)]


def test_cpu_meter_counts_the_cpus_left_idle(monkeypatch):
    ticks = iter([(1000, 5000), (1000 + 150, 5000 + 200), None])
    monkeypatch.setattr(executors.CpuMeter, "_times", staticmethod(lambda: next(ticks)))
    monkeypatch.setattr(executors.os, "cpu_count", lambda: 2)
    meter = executors.CpuMeter()
    assert meter.idle() == pytest.approx(1.5)  # 150 of 200 ticks idle, on 2 CPUs
    assert meter.idle() is None  # no /proc/stat
    ticks = iter([(0, 0), (5, 10)])
    assert executors.CpuMeter().idle() is None  # too short a time to tell


def test_cpu_meter_reads_this_machine():
    idle = executors.CpuMeter().idle()  # at once: too short, or unknown off Linux
    assert idle is None or 0 <= idle <= (executors.os.cpu_count() or 1)


def test_meanwhile_runs_once_while_workers_simulate_and_never_in_process(plan, reference):
    calls = []
    got = executors.run(
        plan, executor="processes", chunk_size=100, workers=2, meanwhile=lambda: calls.append(1)
    )
    assert_same(got, reference)
    assert calls == [1]
    assert_same(executors.run(plan, chunk_size=100, meanwhile=lambda: calls.append(2)), reference)
    assert calls == [1]


@pytest.fixture
def pools(monkeypatch):
    """The keyword arguments of every process pool the executors make during a test."""
    made = []

    class Recorded(executors.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(executors, "ProcessPoolExecutor", Recorded)
    return made


def test_processes_are_forked_on_linux(plan, reference, pools):
    """A forked worker starts with vnsim imported; a spawned one would import it again."""
    assert_same(executors.run(plan, executor="processes", chunk_size=100, workers=2), reference)
    context = pools[0]["mp_context"]
    if executors.sys.platform.startswith("linux"):
        assert context.get_start_method() == "fork"
    else:
        assert context is None


def test_progress_bar_on_stderr_only_when_asked(plan, capsys, monkeypatch):
    monkeypatch.setattr(executors, "PROGRESS_DELAY", 0.0)
    small = plan.head(48)
    executors.run(small, chunk_size=16, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "/48" in err and "draw" in err
    executors.run(small, chunk_size=16, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_process_workers_leave_interrupts_to_the_command(plan, reference, pools):
    """Ctrl-C reaches every process of the group: workers ignore it (no traceback from each)
    and the command stops the run."""
    assert_same(executors.run(plan, executor="processes", chunk_size=100, workers=2), reference)
    assert [kw.get("initializer") for kw in pools] == [executors.ignore_interrupts]
    with executors.ProcessPoolExecutor(
        max_workers=1, initializer=executors.ignore_interrupts
    ) as pool:
        assert pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN


def test_unknown_executor_is_refused(plan):
    with pytest.raises(ValueError, match="unknown executor"):
        executors.run(plan, executor="threads")


# dask last: its cluster's threads stay up until the module ends, and the process-pool tests
# above fork this process
@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.mark.slow
@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_dask_cluster_matches_inprocess(plan, reference, dask_scheduler, chunk_size):
    got = executors.run(plan, executor="dask", chunk_size=chunk_size, scheduler=dask_scheduler)
    assert_same(got, reference)


@pytest.mark.slow
def test_unreachable_scheduler_is_a_problem_to_fix_not_a_bug(plan):
    dask = pytest.importorskip("dask")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(UserError, match="cannot reach the dask scheduler") as err:
            executors.run(plan, executor="dask", scheduler="tcp://127.0.0.1:1")
    assert "tcp://127.0.0.1:1" in str(err.value) and "--scheduler" in str(err.value)


@pytest.mark.slow
def test_dask_streams_to_the_same_file(plan, reference, dask_scheduler, tmp_path):
    writer = store.EnsembleFile(tmp_path / "ensemble.nc", plan, {"scenario": "test"})
    seen = []

    def sink(a, b, arrays):
        seen.append((a, b))
        writer.write(a, b, arrays)

    executors.run(plan, executor="dask", chunk_size=100, scheduler=dask_scheduler, sink=sink)
    writer.close()
    assert sorted(seen) == executors.chunks(DRAWS, 100)
    ds = store.open_run(tmp_path).load()
    for name in VARIABLES:
        want = reference[name].astype(ds[name].dtype)
        assert np.array_equal(ds[name].values, want, equal_nan=True), name
