"""``vnsim run [SCENARIO]``: simulate a scenario and write a run folder."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from vnsim.cli.inputs import DEFAULT_SCENARIO, LANGUAGES, scenario_path, seed, vintage
from vnsim.errors import Interrupted, Message, Num, UserError, folder_or_absent

MAX_DRAWS = 10_000_000  # as the scenario schema


def register(sub: Any) -> None:
    """Add ``run`` to the sub-parsers ``sub``."""
    run = sub.add_parser("run", help="run a scenario and write a results folder")
    run.add_argument("scenario", nargs="?", help=f"scenario file (default {DEFAULT_SCENARIO})")
    run.add_argument("--draws", type=int, help="number of draws (default: the scenario's)")
    run.add_argument("--seed", type=seed, help="seed (default: the scenario's)")
    run.add_argument(
        "--as-of",
        type=vintage,
        metavar="YEAR",
        help="use only data published by the end of YEAR (default: the scenario's as_of, "
        "else all data); --as-of 2022 is the forecast the plan's authors could have had",
    )
    run.add_argument("--out", help="write the run folder exactly here")
    run.add_argument("--force", action="store_true", help="replace an existing --out folder")
    run.add_argument("--results", default="results", help="root of run folders (default results)")
    run.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    run.add_argument(
        "--strict", action="store_true", help="refuse a scenario with plausibility warnings"
    )
    run.add_argument(
        "--lang", choices=LANGUAGES, default="en", help="language of the scenario's problems"
    )
    run.add_argument(
        "--executor",
        choices=["auto", "inprocess", "processes", "dask"],
        default="auto",
        help="where chunks run: auto (default) forks a local process per free CPU on Linux "
        "when at least 2 CPUs are free (not busy with other jobs) and each process gets 2,048 "
        "draws or more, else runs in this process; results are identical on every executor",
    )
    run.add_argument("--scheduler", help="dask scheduler address (default: a LocalCluster)")
    run.add_argument(
        "--workers", type=int, help="processes or LocalCluster workers (default: the CPUs)"
    )
    run.add_argument("--chunk-size", type=int, help="draws per chunk (default: by memory)")
    run.set_defaults(func=command)


def run_folder(scenario_name: str, out: str | None, results_root: Path) -> Path:
    """``--out`` if given, else a new ``<results>/<scenario>/<UTC time>-<pid>[-n]`` folder.

    The process id keeps run ids of concurrent runs apart within a second; the folder itself
    is claimed exclusively by :class:`vnsim.run.store.RunFolder`.
    """
    if out:
        return Path(out)
    folder_or_absent(results_root, "--results")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = results_root / scenario_name / f"{stamp}-{os.getpid()}"
    n = 1
    while folder.exists():
        n += 1
        folder = results_root / scenario_name / f"{stamp}-{os.getpid()}-{n}"
    return folder


def load_once(path: Path, strict: bool = False) -> tuple[Any, str]:
    """The scenario and the sha256 of the very bytes it was read from (the file and every
    file it extends, in order): an edit during the run cannot be certified as its source."""
    from vnsim.spec.documents import recording
    from vnsim.spec.scenario import load_scenario

    with recording() as files:
        scenario = load_scenario(path, strict=strict)
    digest = hashlib.sha256()
    for _, raw in files:
        digest.update(raw)
    return scenario, digest.hexdigest()


def print_summary(head: dict[str, Any], folder: Path, out: TextIO | None = None) -> None:
    """Print the headline numbers of a run (``headline.json``) for a reader."""
    out = out or sys.stdout
    print(
        f"vnsim run: {head['scenario']}, {head['draws']} draws, seed {head['seed']} -> {folder}",
        file=out,
    )
    data = head.get("data", {})
    if data:
        print(f"  Data: {data['vintage']}; {data['conditioning']}", file=out)
    for r in head.get("egdi_rank", [])[1:]:
        print(
            f"  EGDI rank {r['edition']} ({head['focus_country']}): median {r['median']:.0f} "
            f"(80 %: {r['p10']:.0f}-{r['p90']:.0f})",
            file=out,
        )
    print(f"  Targets ({head['target_set']}), P(met):", file=out)
    for target in head["targets"]:
        if target.get("status") in ("met", "missed"):
            result = f"{target['status']} (observed {target['observed']:g})"
        elif target["probability"] is None:
            result = target.get("reason") or "not measured"
        else:
            result = f"{target['probability']:.2f}"
        print(f"    {target['description']} ({target['when']}): {result}", file=out)


def _checked_draws(args: argparse.Namespace, scenario_draws: int) -> int:
    """The number of draws to run; a :class:`UserError` for numbers no run can use."""
    draws = scenario_draws if args.draws is None else args.draws
    if not 1 <= draws <= MAX_DRAWS:
        raise UserError(
            Message(
                "--draws must be between 1 and {most} (got {draws})",
                most=Num(MAX_DRAWS, ","),
                draws=Num(draws, ","),
            )
        )
    if args.chunk_size is not None and args.chunk_size < 1:
        raise UserError(Message("--chunk-size must be at least 1 (got {n})", n=args.chunk_size))
    if args.workers is not None and args.workers < 1:
        raise UserError(Message("--workers must be at least 1 (got {n})", n=args.workers))
    return draws


def _summary_inputs() -> dict[str, Any]:
    """What the summary needs besides the results (done while other processes simulate)."""
    import numpy as np
    import xarray as xr
    from vnsim.errors import interrupts_deferred
    from vnsim.spec.targets import load_targets

    # a signal waits until these imports are over rather than cut one in two (a SIGTERM test
    # on worker processes hung once in CI with this step undeferred; the cause is not pinned)
    with interrupts_deferred():
        # xarray imports the optional array modules it knows (dask.array: about 0.5 s) at its
        # first Variable
        xr.Variable(("draw",), np.zeros(1))
        return {"targets": load_targets()}  # parsed once for both (about 0.1 s of YAML)


def _simulate_into(
    tmp: Path,
    plan: Any,
    attrs: dict[str, Any],
    args: argparse.Namespace,
    meanwhile: Callable[[], None] | None = None,
) -> Any:
    """Stream the ensemble into ``tmp/ensemble.nc``; the summary Dataset when complete."""
    from vnsim.run import executors, store

    writer = store.EnsembleFile(tmp / "ensemble.nc", plan, attrs)
    try:
        executors.run(
            plan,
            executor=args.executor,
            chunk_size=args.chunk_size,
            progress=not (args.quiet or args.json) and sys.stderr.isatty(),
            sink=writer.write,
            scheduler=args.scheduler,
            workers=args.workers,
            stopped=args.stopped,
            meanwhile=meanwhile,
        )
        if args.stopped():  # a signal after the last chunk: nothing may look finished
            raise KeyboardInterrupt
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def command(args: argparse.Namespace) -> int:
    """Run the scenario, write its folder atomically, print the headline numbers."""
    from vnsim.core import planning
    from vnsim.present.i18n import translator
    from vnsim.run import executors, store

    path = scenario_path(args.scenario)
    # the scenario's problems, if any, are raised and shown in --lang by vnsim.cli.main
    scenario, scenario_hash = load_once(path, strict=args.strict)
    if args.as_of is not None:
        scenario = scenario.model_copy(update={"as_of": args.as_of})
    t = translator(args.lang)
    for warning in scenario.warnings:
        print(f"  {warning.render(t)}", file=sys.stderr)
    draws = _checked_draws(args, scenario.ensemble.draws)
    folder = run_folder(scenario.name, args.out, Path(args.results))
    run = store.RunFolder(folder, force=args.force)  # refuses an existing folder now
    # check sizes with a one-draw plan first: sampling ten million draws takes a minute
    cpus = executors.CpuMeter()  # are other CPUs idle while this plan keeps one busy?
    probe = planning.plan(scenario, 1, args.seed, condition=False)
    # "auto" is settled here, so that the memory check counts its workers and the run's
    # provenance records the executor that ran
    args.executor, args.workers = executors.choose_executor(
        args.executor, probe, draws, args.workers, args.chunk_size, idle=cpus.idle()
    )
    local = executors.local_workers(args.executor, args.workers)
    executors.check_resources(probe, folder, chunk_size=args.chunk_size, draws=draws, workers=local)
    plan = planning.plan(scenario, draws, args.seed)
    try:
        head = _write(run, plan, args, (str(path), scenario_hash))
        if args.json:
            text = json.dumps({"run": str(folder), **head}, indent=2, allow_nan=False)
            print(text)
        elif not args.quiet:
            print_summary(head, folder)
    except KeyboardInterrupt:
        if run.done:
            raise Interrupted(f"the results are complete in {folder}") from None
        raise
    return 0


def _write(run: Any, plan: Any, args: argparse.Namespace, source: tuple[str, str]) -> dict:
    """Simulate into the run folder; the headline numbers. ``source`` is the scenario file's
    name and the hash of the bytes read at the start."""
    from vnsim.analysis import summary
    from vnsim.run import store

    attrs = store.provenance(plan, args.executor)
    ready: dict[str, Any] = {}
    with run as tmp:
        summary_ds = _simulate_into(tmp, plan, attrs, args, lambda: ready.update(_summary_inputs()))
        with ThreadPoolExecutor(1) as hashing:
            # ensemble.nc is complete: hashed on a thread (hashlib lets go of the GIL on big
            # buffers) while the summary is computed, instead of after it
            nc = hashing.submit(store.sha256_file, tmp / "ensemble.nc")
            if not ready:  # in-process: nothing ran meanwhile
                ready.update(_summary_inputs())
            targets = ready["targets"]
            summary.summarise(summary_ds, targets).to_csv(tmp / "summary.csv", index=False)
            head = summary.headline(summary_ds, targets)
            store.write_json(tmp / "headline.json", head)
            manifest = store.manifest(plan, attrs, *source)
            # the checksums of everything else, written last, before the completion marker
            manifest["files"] = store.checksums(tmp, known={"ensemble.nc": nc.result()})
        store.write_json(tmp / store.MANIFEST, manifest)
    return head
