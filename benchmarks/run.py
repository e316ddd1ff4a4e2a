"""Benchmarks of vnsim: ensemble size, memory, one-draw-at-a-time evaluation, cost by block,
and the e-government ensemble against a bare numpy floor.

Run from the project folder::

    python benchmarks/run.py                          # 1k, 10k and 100k draws of the baseline
    python benchmarks/run.py --draws 1000 10000 --json benchmarks/latest.json
    python benchmarks/run.py --draws --no-speed       # the floor part only

Each ensemble size runs in its own child process, as ``vnsim run`` does it (plan, chunks streamed
to ``ensemble.nc``, summary computed from the stream), so its peak resident memory (``ru_maxrss``)
is that of one run. A further child times, on the same plan, the vectorised engine against the
same model evaluated one draw at a time (``run_chunk(plan, i, i + 1)`` in a loop, the way
exploratory-modelling tools call a model once per experiment), and splits the cost by block with
:mod:`cProfile`. The floor part (:func:`floor_part`) times, back to back and repeated, the bare
numpy floor script (``../shared/bench/floor.py`` beside the project folder, or ``--floor``;
skipped when absent), the e-government ensemble alone (:func:`child_egov`) and the whole
``vnsim run``, each as a child process, and records their ratios. Nothing here is asserted: the
numbers depend on the machine and its load, which the output records.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "baseline.yaml"


# --------------------------------------------------------------------------------------------
# machine description


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, load and library versions of this machine."""
    import numpy as np

    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    mem = None
    if Path("/proc/meminfo").exists():
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": None if mem is None else round(mem / 2**30, 1),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (``ru_maxrss`` is KiB on Linux)."""
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


# --------------------------------------------------------------------------------------------
# children


def child_ensemble(scenario: Path, draws: int, executor: str) -> dict[str, Any]:
    """A ``vnsim run``-style run: plan, chunks streamed to ensemble.nc, summary from the stream."""
    from vnsim.analysis import summary as summary_table
    from vnsim.core import planning
    from vnsim.run import executors, store
    from vnsim.spec.scenario import load_scenario

    t0 = time.perf_counter()
    scn = load_scenario(scenario)
    p = planning.plan(scn, draws)
    t_plan = time.perf_counter() - t0
    # the conditioning's cost: the same plan with and without it, both with the fit cached
    t = time.perf_counter()
    planning.plan(scn, draws, condition=False)
    t_prior = time.perf_counter() - t
    t = time.perf_counter()
    planning.plan(scn, draws)
    t_conditioned = time.perf_counter() - t
    chunk = executors.default_chunk_size(p)
    with tempfile.TemporaryDirectory(prefix="vnsim-bench-") as tmp:
        writer = store.EnsembleFile(Path(tmp) / "ensemble.nc", p, store.provenance(p))
        written = 0.0

        def sink(start: int, stop: int, arrays: dict) -> None:
            nonlocal written
            t = time.perf_counter()
            writer.write(start, stop, arrays)
            written += time.perf_counter() - t

        t1 = time.perf_counter()
        executors.run(p, executor=executor, sink=sink)
        t_run = time.perf_counter() - t1
        t2 = time.perf_counter()
        summary = writer.close()
        summary_table.summarise(summary)
        summary_table.headline(summary)
        t_summary = time.perf_counter() - t2
        size = (Path(tmp) / "ensemble.nc").stat().st_size
    total = time.perf_counter() - t0
    return {
        "draws": draws,
        "executor": executor,
        "chunk_size": chunk,
        "plan_s": t_plan,
        "plan_prior_s": t_prior,
        "plan_conditioned_s": t_conditioned,
        "conditioning_share_of_run": (t_conditioned - t_prior) / t_run,
        "simulate_and_write_s": t_run,
        "of_which_write_s": written,
        "summary_s": t_summary,
        "wall_s": total,
        "draws_per_s": draws / total,
        "draws_per_s_excluding_plan": draws / (t_run + t_summary),
        "ensemble_nc_mib": size / 2**20,
        "peak_rss_mib": peak_rss_mib(),
    }


#: Cost categories: (label, module file, function names or None for every function).
BLOCKS = (
    ("market block", "blocks/market.py", None),
    ("dossiers block", "blocks/dossiers.py", None),
    ("egov start", "blocks/egov.py", {"start"}),
    ("egov advance", "blocks/egov.py", {"step"}),  # the block's step runs egov.advance
    ("egov observe", "blocks/egov.py", {"observe"}),
)
#: Where the engine, the executors, the random streams and the ranking live (for :func:`split`).
ENGINE = "model/core/engine.py"
EXECUTORS = "model/run/executors.py"
STREAMS = "model/uncertainty.py"
RANKING = "model/egdi.py"


def split(profile: cProfile.Profile) -> dict[str, float]:
    """Seconds by block and engine overhead from a profile of :func:`vnsim.run.executors.run`.

    Block time is the cumulative time of block functions called by the engine; lever effects
    are the engine's ``effects`` (the effect paths, recomputed after a trigger); simpy is all
    time inside simpy; the rest of ``run_chunk`` is engine bookkeeping; ``executors.run``
    outside ``run_chunk`` is joining chunks. "random numbers" and "ranking" overlap the block
    lines (they are part of them) and are shown to locate the cost inside the blocks.
    """
    st = pstats.Stats(profile).stats  # (file, line, func) -> (cc, nc, tt, ct, callers)

    def is_(key, path: str, names=None) -> bool:
        return key[0].replace(os.sep, "/").endswith(path) and (names is None or key[2] in names)

    def cum(path: str, names=None, caller: str | None = None) -> float:
        total = 0.0
        for key, (_, _, _, ct, callers) in st.items():
            if not is_(key, path, names):
                continue
            if caller is None:
                total += ct
            else:
                total += sum(v[3] for c, v in callers.items() if is_(c, caller))
        return total

    out: dict[str, float] = {}
    run_total = cum(EXECUTORS, {"run"})
    chunk_total = cum(ENGINE, {"run_chunk"})
    for label, path, names in BLOCKS:
        out[label] = cum(path, names, caller=ENGINE)
    out["lever effects (engine)"] = cum(ENGINE, {"effects"})
    out["triggers (engine)"] = cum(ENGINE, {"trigger_process"})
    out["simpy event loop"] = sum(
        v[2] for k, v in st.items() if "/simpy/" in k[0].replace(os.sep, "/")
    )
    accounted = sum(out.values())
    out["engine bookkeeping (rest of run_chunk)"] = max(0.0, chunk_total - accounted)
    out["joining chunks (executors.run)"] = max(0.0, run_total - chunk_total)
    out["total"] = run_total
    out["of which: random numbers (Streams)"] = cum(STREAMS, {"sample"})
    out["of which: world ranking (rank_desc)"] = cum(RANKING, {"rank_desc"})
    return out


def child_speed(scenario: Path, draws: int, single: int) -> dict[str, Any]:
    """Vectorised vs one-draw-at-a-time on one plan, and the cost split by block."""
    from vnsim.core import engine, planning
    from vnsim.run import executors
    from vnsim.spec.scenario import load_scenario

    p = planning.plan(load_scenario(scenario), draws)
    executors.run(p, chunk_size=256)  # warm caches and imports once; not timed
    # CPU time as well as wall time: on a shared machine other jobs' load changes wall time
    # between the two measurements, CPU time much less
    t, c = time.perf_counter(), time.process_time()
    executors.run(p)
    vector, vector_cpu = time.perf_counter() - t, time.process_time() - c
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    executors.run(p)
    prof.disable()
    vector_split = split(prof)

    t, c = time.perf_counter(), time.process_time()
    for i in range(single):
        engine.run_chunk(p, i, i + 1)
    one, one_cpu = time.perf_counter() - t, time.process_time() - c
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    executors.run(p.head(single), chunk_size=1)
    prof.disable()
    single_split = split(prof)
    return {
        "draws": draws,
        "vectorised_s": vector,
        "vectorised_ms_per_draw": 1e3 * vector / draws,
        "one_at_a_time_draws": single,
        "one_at_a_time_s": one,
        "one_at_a_time_ms_per_draw": 1e3 * one / single,
        "ratio": (one / single) / (vector / draws),
        "vectorised_cpu_ms_per_draw": 1e3 * vector_cpu / draws,
        "one_at_a_time_cpu_ms_per_draw": 1e3 * one_cpu / single,
        "ratio_cpu": (one_cpu / single) / (vector_cpu / draws),
        "split_vectorised_s": vector_split,
        "split_one_at_a_time_s": single_split,
        "chunk_size": executors.default_chunk_size(p),
    }


def child_egov(scenario: Path, draws: int) -> dict[str, Any]:
    """The e-government ensemble of a run alone: the egov block's start, then every simulated
    edition's advance and observe, over the run's chunks, on the run's plan.

    The plan is the run's (design sampled, every block prepared, draws conditioned), so the
    block sees the run's lever effects; its time is reported apart (``fit_s`` the egov fit,
    ``plan_rest_s`` the rest). ``egov_s`` is the block arithmetic alone, in this process.
    """
    t0 = time.perf_counter()
    from vnsim.blocks.block import DataSources
    from vnsim.blocks.egov import BLOCK
    from vnsim.core import planning
    from vnsim.core.engine import Simulation
    from vnsim.run import executors
    from vnsim.spec.scenario import load_scenario

    t_imports = time.perf_counter() - t0
    t = time.perf_counter()
    scn = load_scenario(scenario)
    data = DataSources(end_year=scn.horizon.end_year, as_of=scn.as_of)
    BLOCK.prepare(scn.egov, data)  # the fit; cached, so the plan below reuses it
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    p = planning.plan(scn, draws)
    t_plan_rest = time.perf_counter() - t
    prepared, times = p.prepared[BLOCK.name], p.times(BLOCK)
    chunk = executors.default_chunk_size(p)
    cost = {"start": 0.0, "advance": 0.0, "observe": 0.0}

    def timed(part: str, f, *args):
        t = time.perf_counter()
        value = f(*args)
        cost[part] += time.perf_counter() - t
        return value

    t, c = time.perf_counter(), time.process_time()
    for first in range(0, draws, chunk):
        sim = Simulation(p, first, min(draws, first + chunk))  # the chunk's streams and levers
        state = timed("start", BLOCK.start, prepared, sim.draws)
        timed("observe", BLOCK.observe, prepared, state)
        for edition in times[1:]:
            effects = sim.effects(BLOCK)
            state = timed("advance", BLOCK.step, prepared, state, edition, effects, sim.draws)
            timed("observe", BLOCK.observe, prepared, state)
    t_egov, c_egov = time.perf_counter() - t, time.process_time() - c
    return {
        "draws": draws,
        "editions": list(times),
        "chunk_size": chunk,
        "imports_s": t_imports,
        "fit_s": t_fit,
        "plan_rest_s": t_plan_rest,
        "egov_s": t_egov,
        "egov_cpu_s": c_egov,
        "egov_split_s": cost,
        "child_s": time.perf_counter() - t0,
    }


#: Editions the floor simulates: the baseline's origin (2024) and 2026, 2028, 2030.
FLOOR_EDITIONS = 4


def default_floor() -> Path:
    """``../shared/bench/floor.py`` beside the project folder."""
    return ROOT.parent / "shared" / "bench" / "floor.py"


def timed_child(command: list[str]) -> tuple[float, str]:
    """Wall time of a child process from spawn to exit, and what it printed."""
    t = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {command} failed:\n{proc.stderr}")
    return wall, proc.stdout


def floor_part(floor: Path, scenario: Path, draws: int, repeats: int) -> dict[str, Any]:
    """The bare numpy floor against the e-government ensemble and the whole run, side by side.

    Each repetition runs, back to back: the floor (``python FLOOR draws 4``), a bare
    ``python -c "import numpy"`` (the floor's start-up), the e-government ensemble child
    (:func:`child_egov`) and the whole ``vnsim run --draws draws``. Every time is the wall time
    of a child process from spawn to exit, except ``egov_inprocess_s``: the block arithmetic
    alone, timed inside its child, compared with the floor less its start-up.
    """
    python = sys.executable
    runs: list[dict[str, Any]] = []
    for i in range(repeats):
        print(f"  floor repetition {i + 1}/{repeats} ...", file=sys.stderr, flush=True)
        r: dict[str, Any] = {"load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}
        r["floor_s"], _ = timed_child([python, str(floor), str(draws), str(FLOOR_EDITIONS)])
        r["numpy_startup_s"], _ = timed_child([python, "-c", "import numpy"])
        args = ["--child", "egov", "--draws", str(draws), "--scenario", str(scenario)]
        r["egov_child_s"], out = timed_child([python, __file__, *args])
        egov = json.loads(out.strip().splitlines()[-1])
        r["egov_inprocess_s"] = egov["egov_s"]
        r["egov"] = egov
        with tempfile.TemporaryDirectory(prefix="vnsim-bench-") as tmp:
            command = [python, "-m", "vnsim.cli", "run", str(scenario), "--draws", str(draws)]
            command += ["--out", str(Path(tmp) / "run"), "--quiet"]
            r["whole_run_s"], _ = timed_child(command)
            # --executor auto forks workers only when CPUs are free: say which one ran
            manifest = json.loads((Path(tmp) / "run" / "manifest.json").read_text())
            r["whole_run_executor"] = manifest.get("executor")
        floor_arith = r["floor_s"] - r["numpy_startup_s"]
        r["ratio_egov_child"] = r["egov_child_s"] / r["floor_s"]
        r["ratio_egov_inprocess"] = r["egov_inprocess_s"] / floor_arith
        r["ratio_whole_run"] = r["whole_run_s"] / r["floor_s"]
        runs.append(r)
    out: dict[str, Any] = {
        "script": str(floor),
        "command": f"python {floor} {draws} {FLOOR_EDITIONS}",
        "draws": draws,
        "editions": FLOOR_EDITIONS,
        "repeats": repeats,
        "includes": {
            "floor_s": "child wall: Python start-up, numpy import, the floor's arithmetic",
            "numpy_startup_s": "child wall of python -c 'import numpy' (the floor's start-up)",
            "egov_child_s": "child wall: Python start-up, vnsim imports, the scenario, the egov "
            "fit, the rest of the run's plan (design, other blocks, conditioning), the egov "
            "block's start and every edition's advance and observe over the run's chunks",
            "egov_inprocess_s": "the egov block's start, advance and observe only (no start-up, "
            "imports, fit or plan), inside the egov child; its ratio is to floor_s less "
            "numpy_startup_s",
            "whole_run_s": "child wall of vnsim run --draws N --quiet: start-up, imports, plan, "
            "every block, engine, writing ensemble.nc, the summary and the run folder",
            "whole_run_executor": "the executor that run chose (--executor auto: local "
            "processes when CPUs are free, else in-process), from its manifest",
        },
        "runs": runs,
    }
    keys = ["floor_s", "numpy_startup_s", "egov_child_s", "egov_inprocess_s", "whole_run_s"]
    keys += ["ratio_egov_child", "ratio_egov_inprocess", "ratio_whole_run"]
    out["median"] = {k: statistics.median(r[k] for r in runs) for k in keys}
    return out


def spawn(args: list[str]) -> dict[str, Any]:
    """Run this script as a child with ``args``; return the JSON it prints last."""
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {args} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# report


def table(report: dict[str, Any]) -> str:
    """The benchmark figures as plain-text tables."""
    m = report["machine"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; "
        f"load average at start {m['load_average']}",
        "",
    ]
    lines.append(
        f"{'draws':>8} {'plan s':>8} {'run+write s':>12} {'summary s':>10} "
        f"{'wall s':>8} {'draws/s':>9} {'peak RSS MiB':>13} {'nc MiB':>8} "
        f"{'conditioning/run':>17}"
    )
    for r in report["ensembles"]:
        lines.append(
            f"{r['draws']:>8,} {r['plan_s']:>8.2f} {r['simulate_and_write_s']:>12.2f} "
            f"{r['summary_s']:>10.2f} {r['wall_s']:>8.2f} {r['draws_per_s']:>9,.0f} "
            f"{r['peak_rss_mib']:>13,.0f} {r['ensemble_nc_mib']:>8,.0f} "
            f"{r.get('conditioning_share_of_run', float('nan')):>17.1%}"
        )
    s = report.get("speed")
    if s:
        lines += [
            "",
            f"vectorised engine, {s['draws']:,} draws in memory: "
            f"{s['vectorised_ms_per_draw']:.3f} ms/draw; one draw at a time "
            f"({s['one_at_a_time_draws']} draws): {s['one_at_a_time_ms_per_draw']:.2f} "
            f"ms/draw; ratio {s['ratio']:.0f}x (CPU time: "
            f"{s['vectorised_cpu_ms_per_draw']:.3f} vs {s['one_at_a_time_cpu_ms_per_draw']:.2f} "
            f"ms/draw, ratio {s['ratio_cpu']:.0f}x)",
            "",
        ]
        lines.append(
            f"{'cost split':<42} {'vectorised s':>13} {'share':>6} "
            f"{'1-at-a-time s':>14} {'share':>6}"
        )
        v, o = s["split_vectorised_s"], s["split_one_at_a_time_s"]
        for key in v:
            lines.append(
                f"{key:<42} {v[key]:>13.3f} {v[key] / v['total']:>6.1%} "
                f"{o[key]:>14.3f} {o[key] / o['total']:>6.1%}"
            )
    f = report.get("floor")
    if f:
        lines.append("")
        if "skipped" in f:
            lines.append(f"floor: skipped ({f['skipped']})")
        else:
            lines += floor_table(f)
    return "\n".join(lines)


def floor_table(f: dict[str, Any]) -> list[str]:
    """The floor part as lines: medians, each repetition's ratio, the load."""
    m, runs = f["median"], f["runs"]

    def each(key: str) -> str:
        return " ".join(f"{r[key]:.2f}" for r in runs)

    lines = [
        f"floor: {f['command']}, {f['repeats']} repetitions back to back (medians; each "
        "repetition's ratio in brackets)",
        f"{'':<44} {'median s':>9} {'ratio':>6}",
        f"{'floor child (start-up + numpy + arithmetic)':<44} {m['floor_s']:>9.2f} {1:>6.2f}",
        f"{'  of which numpy start-up':<44} {m['numpy_startup_s']:>9.2f}",
        f"{'egov ensemble child (start-up, plan, block)':<44} {m['egov_child_s']:>9.2f} "
        f"{m['ratio_egov_child']:>6.2f}  [{each('ratio_egov_child')}]",
        f"{'egov block arithmetic in process':<44} {m['egov_inprocess_s']:>9.2f} "
        f"{m['ratio_egov_inprocess']:>6.2f}  [{each('ratio_egov_inprocess')}] "
        "(vs floor less start-up)",
        f"{'whole vnsim run':<44} {m['whole_run_s']:>9.2f} {m['ratio_whole_run']:>6.2f}  "
        f"[{each('ratio_whole_run')}]",
        "whole run's executor at each repetition: "
        + " ".join(str(r.get("whole_run_executor")) for r in runs),
        "load average at each repetition: "
        + "; ".join(
            "n/a" if r["load_average"] is None else ", ".join(f"{x:.1f}" for x in r["load_average"])
            for r in runs
        ),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--draws",
        type=int,
        nargs="*",
        default=[1000, 10000, 100000],
        help="ensemble sizes (default 1000 10000 100000)",
    )
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument(
        "--executor", default="inprocess", choices=["inprocess", "processes", "dask"]
    )
    parser.add_argument(
        "--speed-draws",
        type=int,
        default=10000,
        help="draws of the vectorised run compared with one-at-a-time",
    )
    parser.add_argument(
        "--single", type=int, default=200, help="draws evaluated one at a time (default 200)"
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the one-at-a-time part")
    parser.add_argument(
        "--floor",
        type=Path,
        default=None,
        help="the bare numpy floor script (default ../shared/bench/floor.py beside the project "
        "folder); the floor part is skipped when it does not exist",
    )
    parser.add_argument(
        "--floor-draws", type=int, default=10000, help="draws of the floor part (default 10000)"
    )
    parser.add_argument(
        "--floor-repeats",
        type=int,
        default=5,
        help="back-to-back repetitions of the floor part (default 5)",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the floor part")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--child", choices=["ensemble", "speed", "egov"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "ensemble":
        print(json.dumps(child_ensemble(args.scenario, args.draws[0], args.executor)))
        return 0
    if args.child == "egov":
        print(json.dumps(child_egov(args.scenario, args.draws[0])))
        return 0
    if args.child == "speed":
        print(json.dumps(child_speed(args.scenario, args.speed_draws, args.single)))
        return 0

    report: dict[str, Any] = {"machine": machine(), "scenario": str(args.scenario), "ensembles": []}
    for n in args.draws:
        print(f"running {n:,} draws ...", file=sys.stderr, flush=True)
        report["ensembles"].append(
            spawn(
                [
                    "--child",
                    "ensemble",
                    "--draws",
                    str(n),
                    "--scenario",
                    str(args.scenario),
                    "--executor",
                    args.executor,
                ]
            )
        )
    if not args.no_speed:
        print(
            f"timing one draw at a time against {args.speed_draws:,} vectorised ...",
            file=sys.stderr,
            flush=True,
        )
        report["speed"] = spawn(
            [
                "--child",
                "speed",
                "--speed-draws",
                str(args.speed_draws),
                "--single",
                str(args.single),
                "--scenario",
                str(args.scenario),
            ]
        )
    if not args.no_floor:
        floor = default_floor() if args.floor is None else args.floor.resolve()
        if floor.exists():
            print(
                f"timing the floor {floor} against the e-government ensemble and the whole run "
                f"({args.floor_draws:,} draws, {args.floor_repeats} repetitions) ...",
                file=sys.stderr,
                flush=True,
            )
            report["floor"] = floor_part(floor, args.scenario, args.floor_draws, args.floor_repeats)
        else:
            print(f"no floor script at {floor}: skipping the floor part", file=sys.stderr)
            report["floor"] = {"skipped": f"no floor script at {floor}"}
    report["machine"]["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
