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
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_SCENARIO = Path("scenarios") / "baseline.yaml"
MAX_DRAWS = 10_000_000  # as the scenario schema
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


def _print_summary(head: dict[str, Any], folder: Path, out=None) -> None:
    out = out or sys.stdout
    print(
        f"vnsim run: {head['scenario']}, {head['draws']} draws, seed {head['seed']} -> {folder}",
        file=out,
    )
    for r in head.get("egdi_rank", [])[1:]:
        print(
            f"  EGDI rank {r['edition']} ({head['focus_country']}): median {r['median']:.0f} "
            f"(80 %: {r['p10']:.0f}-{r['p90']:.0f})",
            file=out,
        )
    print(f"  Targets ({head['target_set']}), P(met):", file=out)
    for t in head["targets"]:
        print(f"    {t['description']} ({t['when']}): {t['probability']:.2f}", file=out)


def cmd_run(args: argparse.Namespace) -> int:
    from vnsim.analysis import summary
    from vnsim.core import engine
    from vnsim.run import executors, store
    from vnsim.spec.scenario import file_hash, load_scenario

    path = _scenario_path(args.scenario)
    scenario = load_scenario(path)
    draws = scenario.ensemble.draws if args.draws is None else args.draws
    if not 1 <= draws <= MAX_DRAWS:
        raise UserError(f"--draws must be between 1 and {MAX_DRAWS:,} (got {draws:,})")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise UserError(f"--chunk-size must be at least 1 (got {args.chunk_size})")
    folder = _run_folder(scenario.name, args.out, Path(args.results))
    # check sizes with a one-draw plan first: sampling ten million draws takes a minute
    probe = engine.plan(scenario, 1, args.seed)
    executors.check_resources(probe, folder, chunk_size=args.chunk_size, draws=draws)
    p = engine.plan(scenario, draws, args.seed)
    attrs = store.provenance(p, args.executor)
    progress = not (args.quiet or args.json) and sys.stderr.isatty()
    try:
        run = store.RunFolder(folder, force=args.force)
    except FileExistsError as exc:
        raise UserError(str(exc)) from None
    with run as tmp:
        writer = store.EnsembleFile(tmp / "ensemble.nc", p, attrs)
        try:
            executors.run(
                p,
                executor=args.executor,
                chunk_size=args.chunk_size,
                progress=progress,
                sink=writer.write,
                scheduler=args.scheduler,
                workers=args.workers,
                stopped=args.stopped,
            )
            if args.stopped():  # a signal after the last chunk: nothing may look finished
                raise KeyboardInterrupt
        except BaseException:
            writer.abort()
            raise
        summary_ds = writer.close()
        summary.summarise(summary_ds).to_csv(tmp / "summary.csv", index=False)
        head = summary.headline(summary_ds)
        store.write_json(tmp / "headline.json", head)
        store.write_json(
            tmp / "manifest.json", store.manifest(p, attrs, str(path), file_hash(path))
        )
    if args.json:
        json.dump({"run": str(folder), **head}, sys.stdout, indent=2)
        print()
    elif not args.quiet:
        _print_summary(head, folder)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from vnsim.spec.documents import DocumentError
    from vnsim.spec.scenario import load_scenario

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
    if args.targets:
        from vnsim.spec.targets import targets_json_schema as json_schema
    else:
        from vnsim.spec.scenario import json_schema

    json.dump(json_schema(), sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from vnsim import datasets

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


def _open_runs(folders: list[str]) -> dict[str, Any]:
    """Run folders by scenario name (made unique), each opened lazily."""
    from vnsim.run import store

    runs: dict[str, Any] = {}
    for folder in folders:
        path = Path(folder)
        if not (path / "ensemble.nc").is_file():
            raise UserError(f"{folder}: not a vnsim run folder (no ensemble.nc)")
        ds = store.open_run(path)
        name = str(ds.attrs.get("scenario", path.name))
        key, n = name, 1
        while key in runs:
            n += 1
            key = f"{name} ({n})"
        runs[key] = ds
    return runs


def cmd_targets(args: argparse.Namespace) -> int:
    from vnsim.analysis import scorecard
    from vnsim.present import tables
    from vnsim.spec import targets

    runs = _open_runs(args.runs)
    try:
        target_set = targets.load_targets(args.targets)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    card = scorecard.scorecard(runs, target_set)
    if args.json:
        json.dump(scorecard.scorecard_to_json(card), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(tables.format_scorecard(card, lang=args.lang))
    return 0


def cmd_charts(args: argparse.Namespace) -> int:
    from vnsim.present import charts

    (ds,) = _open_runs([args.run]).values()
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    bad = sorted(set(formats) - {"png", "svg", "pdf"})
    if bad:
        raise UserError(f"--format: unknown format(s) {', '.join(bad)}; use png, svg, pdf")
    out = Path(args.out) if args.out else Path(args.run) / "charts"
    written = charts.render_all(ds, out, lang=args.lang, formats=formats)
    for path in written:
        print(path)
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from vnsim import datasets
    from vnsim.analysis import backtest
    from vnsim.present import charts

    result = backtest.run_backtest(datasets.load_surveys(), draws=args.draws, seed=args.seed)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2, default=float)
        print()
    else:
        print(result.pooled().to_string())
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        result.scores.to_csv(out / "backtest_scores.csv", index=False)
        result.pooled().to_csv(out / "backtest_pooled.csv")
        fig = charts.plot_backtest(result, lang=args.lang)
        fig.savefig(out / "backtest.png", dpi=200)
        print(
            f"wrote {out}/backtest_scores.csv, backtest_pooled.csv, backtest.png", file=sys.stderr
        )
    return 0


def cmd_what_it_takes(args: argparse.Namespace) -> int:
    from vnsim.analysis.what_it_takes import what_it_takes
    from vnsim.spec.scenario import load_scenario

    scenario = load_scenario(_scenario_path(args.scenario))
    if args.lever not in scenario.levers:
        from vnsim.spec.documents import suggest

        raise UserError(
            f"no lever {args.lever!r}{suggest(args.lever, scenario.levers)}; "
            f"levers: {', '.join(scenario.levers)}"
        )
    try:
        found = what_it_takes(
            scenario,
            args.target,
            args.lever,
            args.probability,
            search=args.search,
            draws=args.draws,
            seed=args.seed,
            targets=args.targets,
        )
    except (KeyError, FileNotFoundError) as exc:
        raise UserError(str(exc).strip("'\"")) from None
    if args.json:
        json.dump(found.to_dict(), sys.stdout, indent=2, default=float)
        print()
    else:
        print(
            f"what it takes: {found.target} with lever {found.lever} "
            f"({found.search} search, P(met) >= {found.probability:g}, "
            f"{found.draws:,} draws, seed {found.seed})"
        )
        print(f"  {found.message}")
        print(f"  {found.evaluations} evaluations of the ensemble")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from vnsim.analysis.sensitivity import sobol_indices
    from vnsim.spec.scenario import load_scenario

    scenario = load_scenario(_scenario_path(args.scenario))
    table = sobol_indices(scenario, n=args.n, seed=args.seed, targets=args.targets)
    if args.out:
        table.to_csv(args.out, index=False)
    if args.json:
        print(table.to_json(orient="records", indent=2))
    else:
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from vnsim.present.report import cmd_report as write

    path = write(args.run_dirs, args.out, args.lang, args.targets)
    print(f"vnsim report: {path} (scorecard.csv, scorecard.xlsx beside it)")
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
    run.add_argument(
        "--executor",
        choices=["inprocess", "processes", "dask"],
        default="inprocess",
        help="where chunks run (default inprocess)",
    )
    run.add_argument("--scheduler", help="dask scheduler address (default: a LocalCluster)")
    run.add_argument("--workers", type=int, help="processes or LocalCluster workers")
    run.add_argument("--chunk-size", type=int, help="draws per chunk (default: by memory)")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check scenario files and list every problem")
    val.add_argument("files", nargs="+")
    val.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.add_argument("--targets", action="store_true", help="of target files instead")
    schema.set_defaults(func=cmd_schema)

    data = sub.add_parser("data", help="survey editions: list them, or add a UN CSV export")
    data_sub = data.add_subparsers(dest="action", required=True)
    add = data_sub.add_parser("add", help="add a UN EGOV_DATA_<year>.csv edition")
    add.add_argument("file")
    add.add_argument("--replace", action="store_true", help="replace an edition already added")
    data_sub.add_parser("list", help="list the editions in use")
    data.set_defaults(func=cmd_data)

    from vnsim.run import verify

    verify.register(sub)

    tg = sub.add_parser("targets", help="target scorecard: P(met) per target and run")
    tg.add_argument("runs", nargs="+", metavar="RUN_DIR")
    tg.add_argument("--targets", help="target set file or name (default decision_942_2025)")
    tg.add_argument("--lang", choices=["en", "vi"], default="en")
    tg.add_argument("--json", action="store_true")
    tg.set_defaults(func=cmd_targets)

    ch = sub.add_parser("charts", help="briefing charts of a run (PNG, SVG, PDF)")
    ch.add_argument("run", metavar="RUN_DIR")
    ch.add_argument("--lang", choices=["en", "vi"], default="en")
    ch.add_argument("--format", default="png,svg,pdf", help="comma-separated (default all)")
    ch.add_argument("--out", help="folder (default RUN_DIR/charts)")
    ch.set_defaults(func=cmd_charts)

    bt = sub.add_parser("backtest", help="rolling-origin hindcast of EGDI ranks vs baselines")
    bt.add_argument("--draws", type=int, default=1000)
    bt.add_argument("--seed", type=int, default=0)
    bt.add_argument("--json", action="store_true")
    bt.add_argument("--out", help="also write scores (CSV) and a chart (PNG) to this folder")
    bt.add_argument("--lang", choices=["en", "vi"], default="en")
    bt.set_defaults(func=cmd_backtest)

    wt = sub.add_parser(
        "what-it-takes", help="smallest lever intensity (or latest start) meeting a target"
    )
    wt.add_argument("scenario", nargs="?", help=f"scenario file (default {DEFAULT_SCENARIO})")
    wt.add_argument("--target", required=True, help="target id in the target set")
    wt.add_argument("--lever", required=True)
    wt.add_argument("--probability", type=float, default=0.8)
    wt.add_argument("--search", choices=["scale", "start"], default="scale")
    wt.add_argument("--targets", help="target set file or name (default decision_942_2025)")
    wt.add_argument("--draws", type=int)
    wt.add_argument("--seed", type=int)
    wt.add_argument("--json", action="store_true")
    wt.set_defaults(func=cmd_what_it_takes)

    rp = sub.add_parser("report", help="self-contained HTML briefing page for run folders")
    rp.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    rp.add_argument("--lang", choices=["en", "vi"], default="en")
    rp.add_argument("--out", help="HTML file (default: <first RUN_DIR>/report-<lang>.html)")
    rp.add_argument("--targets", help="target set file or name (default decision_942_2025)")
    rp.set_defaults(func=cmd_report)

    se = sub.add_parser("sensitivity", help="Sobol indices of key outcomes and targets")
    se.add_argument("scenario", nargs="?", help=f"scenario file (default {DEFAULT_SCENARIO})")
    se.add_argument("--n", type=int, default=256, help="base sample size (power of 2)")
    se.add_argument("--seed", type=int, default=0)
    se.add_argument("--targets", help="target set file or name")
    se.add_argument("--out", help="also write the table as CSV")
    se.add_argument("--json", action="store_true")
    se.set_defaults(func=cmd_sensitivity)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vnsim`` command."""
    args = build_parser().parse_args(argv)
    received: list[int] = []

    def interrupted(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt

    def unraisable(info) -> None:
        # The handler's KeyboardInterrupt is lost when it lands in a weakref callback or
        # __del__ (Python only prints it): print nothing; `args.stopped()` catches it later.
        if not (received and isinstance(info.exc_value, KeyboardInterrupt)):
            default_unraisable(info)

    # long-running commands check `args.stopped()` between chunks of work
    args.stopped = lambda: bool(received)
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {}
    default_unraisable = sys.unraisablehook
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, interrupted) for sig in handled}
        sys.unraisablehook = unraisable
    try:
        return _dispatch(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if previous:
            sys.unraisablehook = default_unraisable


def _dispatch(args: argparse.Namespace) -> int:
    """Run a command; turn the user's mistakes into messages and exit statuses."""
    from vnsim.datasets import DataError
    from vnsim.errors import InputError
    from vnsim.run.executors import ResourceError
    from vnsim.spec.documents import DocumentError

    try:
        return args.func(args)
    except DocumentError as exc:
        print(exc.report(), file=sys.stderr)
    except (DataError, UserError, ResourceError) as exc:
        print(str(exc), file=sys.stderr)
    except InputError as exc:
        print(
            f"vnsim: the scenario's inputs are not usable in some draws: {exc}\n"
            "  (narrow the distribution in its `uncertain:` entry)",
            file=sys.stderr,
        )
    except BrokenPipeError:
        # output piped into e.g. `head`, which stopped reading: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("vnsim: interrupted; no results were written", file=sys.stderr)
        return 130
    except MemoryError:
        print("vnsim: out of memory; use fewer --draws or a smaller --chunk-size", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("VNSIM_DEBUG"):
            raise
        print(
            f"vnsim: internal error: {type(exc).__name__}: {exc}\n"
            "  (set VNSIM_DEBUG=1 to see the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
