"""The ``vnsim`` command line.

Every command reports planner mistakes (bad scenario or data files, existing output folders) as
plain messages on stderr with exit status 2 — never a traceback — and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_SCENARIO = Path("scenarios") / "baseline.yaml"
EXIT_USAGE = 2


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback, exit status 2."""


def _scenario_path(arg: str | None) -> Path:
    path = Path(arg) if arg else DEFAULT_SCENARIO
    if not path.is_file():
        hint = "" if arg else " (run from the project folder, or name a scenario file)"
        raise UserError(f"{path}: no such scenario file{hint}")
    return path


def _run_folder(scenario_name: str, out: str | None, results_root: Path) -> Path:
    if out:
        return Path(out)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = results_root / scenario_name / stamp
    n = 1
    while folder.exists():
        n += 1
        folder = results_root / scenario_name / f"{stamp}-{n}"
    return folder


def _print_summary(head: dict[str, Any], folder: Path, out=sys.stdout) -> None:
    p = lambda x: f"{x:.2f}"  # noqa: E731 - tiny local formatter
    print(f"vnsim run: {head['scenario']}, {head['draws']} draws, seed {head['seed']}"
          f" -> {folder}", file=out)
    m = head.get("market")
    if m:
        print(f"  IT application market {m['year']}: median {m['median']:.1f} bn USD "
              f"(80 % interval {m['p10']:.1f}-{m['p90']:.1f}); "
              f"P(>= 25 bn) = {p(m['p_at_least_25'])}, P(>= 30 bn) = {p(m['p_at_least_30'])}",
              file=out)
    for r in head.get("egdi_rank", [])[1:]:
        print(f"  EGDI rank {r['edition']}: median {r['median']:.0f} "
              f"(80 %: {r['p10']:.0f}-{r['p90']:.0f}); P(top 50) = {p(r['p_top_50'])}, "
              f"P(top 70) = {p(r['p_top_70'])}, P(ASEAN top 3) = {p(r['p_asean_top_3'])}",
              file=out)
    d = head.get("dossiers")
    if d:
        parts = [f"{k.removeprefix('p_').replace('_at_least_', ' >= ')}: {p(v)}"
                 for k, v in d.items() if k.startswith("p_")]
        print(f"  Dossiers {d['year']}, P(target met): " + "; ".join(parts), file=out)


def cmd_run(args: argparse.Namespace) -> int:
    from model import engine, ensemble, results
    from model.scenario import file_hash, load_scenario

    path = _scenario_path(args.scenario)
    scenario = load_scenario(path)
    p = engine.plan(scenario, args.draws, args.seed)
    folder = _run_folder(scenario.name, args.out, Path(args.results))
    ensemble.check_resources(p, folder, chunk_size=args.chunk_size)
    attrs = results.provenance(p, args.executor)
    progress = not (args.quiet or args.json) and sys.stderr.isatty()
    try:
        run = results.RunFolder(folder, force=args.force)
    except FileExistsError as exc:
        raise UserError(str(exc)) from None
    with run as tmp:
        writer = results.EnsembleFile(tmp / "ensemble.nc", p, attrs)
        try:
            ensemble.run(p, executor=args.executor, chunk_size=args.chunk_size,
                         progress=progress, sink=writer.write, scheduler=args.scheduler,
                         workers=args.workers)
        except BaseException:
            writer.abort()
            raise
        summary_ds = writer.close()
        results.summarise(summary_ds).to_csv(tmp / "summary.csv", index=False)
        head = results.headline(summary_ds)
        results.write_json(tmp / "headline.json", head)
        results.write_json(tmp / "manifest.json", results.manifest(
            p, attrs, str(path), file_hash(path)))
    if args.json:
        json.dump({"run": str(folder), **head}, sys.stdout, indent=2)
        print()
    elif not args.quiet:
        _print_summary(head, folder)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from model.documents import DocumentError
    from model.scenario import load_scenario

    failed = 0
    for name in args.files:
        try:
            load_scenario(name)
        except DocumentError as exc:
            failed += 1
            print(exc.report(), file=sys.stderr)
        else:
            print(f"{name}: ok")
    return EXIT_USAGE if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from model.scenario import json_schema

    json.dump(json_schema(), sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from model import datasets

    if args.action == "add":
        try:
            written = datasets.add_edition(Path(args.file), replace=args.replace)
        except (FileExistsError, FileNotFoundError) as exc:
            raise UserError(str(exc)) from None
        print(f"added {args.file} -> {written}")
        print(f"data version now {datasets.data_version()}")
    else:
        print(datasets.list_editions().to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vnsim",
        description="Simulate Vietnam's IT application market, online dossiers and UN EGDI "
        "rank under policy levers, and check them against the government's targets.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write a results folder")
    run.add_argument("scenario", nargs="?", help=f"scenario file (default {DEFAULT_SCENARIO})")
    run.add_argument("--draws", type=int, help="number of draws (default: the scenario's)")
    run.add_argument("--seed", type=int, help="seed (default: the scenario's)")
    run.add_argument("--out", help="write the run folder exactly here")
    run.add_argument("--force", action="store_true", help="replace an existing --out folder")
    run.add_argument("--results", default="results", help="root of run folders (default results)")
    run.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    run.add_argument("--executor", choices=["inprocess", "processes", "dask"],
                     default="inprocess", help="where chunks run (default inprocess)")
    run.add_argument("--scheduler", help="dask scheduler address (default: a LocalCluster)")
    run.add_argument("--workers", type=int, help="processes or LocalCluster workers")
    run.add_argument("--chunk-size", type=int, help="draws per chunk (default: by memory)")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check scenario files and list every problem")
    val.add_argument("files", nargs="+")
    val.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.set_defaults(func=cmd_schema)

    data = sub.add_parser("data", help="survey editions: list them, or add a UN CSV export")
    data_sub = data.add_subparsers(dest="action", required=True)
    add = data_sub.add_parser("add", help="add a UN EGOV_DATA_<year>.csv edition")
    add.add_argument("file")
    add.add_argument("--replace", action="store_true", help="replace an edition already added")
    data_sub.add_parser("list", help="list the editions in use")
    data.set_defaults(func=cmd_data)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


#: Functions adding further sub-commands (``register(subparsers)``), kept beside their modules.
EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vnsim`` command."""
    from model.datasets import DataError
    from model.documents import DocumentError
    from model.ensemble import ResourceError

    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        return args.func(args)
    except DocumentError as exc:
        print(exc.report(), file=sys.stderr)
    except (DataError, UserError, ResourceError) as exc:
        print(str(exc), file=sys.stderr)
    except KeyboardInterrupt:
        print("vnsim: interrupted; no results were written", file=sys.stderr)
        return 130
    except MemoryError:
        print("vnsim: out of memory; use fewer --draws or a smaller --chunk-size",
              file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("VNSIM_DEBUG"):
            raise
        print(f"vnsim: internal error: {type(exc).__name__}: {exc}\n"
              "  (set VNSIM_DEBUG=1 to see the traceback, and please report it)", file=sys.stderr)
        return 1
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
