"""Benchmarks of vnsim: ensemble size, memory, one-draw-at-a-time evaluation, cost by block.

Run from the project folder::

    python benchmarks/run.py                          # 1k, 10k and 100k draws of the baseline
    python benchmarks/run.py --draws 1000 10000 --json benchmarks/latest.json

Each ensemble size runs in its own child process, as ``vnsim run`` does it (plan, chunks streamed
to ``ensemble.nc``, summary computed from the stream), so its peak resident memory (``ru_maxrss``)
is that of one run. A further child times, on the same plan, the vectorised engine against the
same model evaluated one draw at a time (``run_chunk(plan, i, i + 1)`` in a loop, the way
exploratory-modelling tools call a model once per experiment), and splits the cost by block with
:mod:`cProfile`. Nothing here is asserted: the numbers depend on the machine and its load, which
the output records.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import os
import platform
import pstats
import resource
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
    ("egov advance", "blocks/egov.py", {"advance"}),
    ("egov observe", "blocks/egov.py", {"observe"}),
)


def split(profile: cProfile.Profile) -> dict[str, float]:
    """Seconds by block and engine overhead from a profile of :func:`vnsim.run.executors.run`.

    Block time is the cumulative time of block functions called by the engine; lever effects
    are the engine's ``effect``/``jump``/``egov_shift``; simpy is all time inside simpy; the
    rest of ``run_chunk`` is engine bookkeeping; ``executors.run`` outside ``run_chunk`` is
    joining chunks. "random numbers" and "ranking" overlap the block lines (they are part of
    them) and are shown to locate the cost inside the blocks.
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
    run_total = cum("model/run/executors.py", {"run"})
    chunk_total = cum("model/engine.py", {"run_chunk"})
    for label, path, names in BLOCKS:
        out[label] = cum(path, names, caller="model/engine.py")
    out["lever effects (engine)"] = cum("model/engine.py", {"effect", "jump", "egov_shift"})
    out["triggers (engine)"] = cum("model/engine.py", {"trigger_process"})
    out["simpy event loop"] = sum(
        v[2] for k, v in st.items() if "/simpy/" in k[0].replace(os.sep, "/")
    )
    accounted = sum(out.values())
    out["engine bookkeeping (rest of run_chunk)"] = max(0.0, chunk_total - accounted)
    out["joining chunks (executors.run)"] = max(0.0, run_total - chunk_total)
    out["total"] = run_total
    out["of which: random numbers (Streams)"] = cum("model/uncertainty.py", {"sample"})
    out["of which: world ranking (rank_desc)"] = cum("model/blocks/egov.py", {"rank_desc"})
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
    executors.run(dataclasses.replace(p, draws=single), chunk_size=1)
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
    return "\n".join(lines)


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
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--child", choices=["ensemble", "speed"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "ensemble":
        print(json.dumps(child_ensemble(args.scenario, args.draws[0], args.executor)))
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
    report["machine"]["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
