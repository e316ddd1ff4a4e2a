"""``vnsim sensitivity [SCENARIO]``: Sobol indices of key outcomes and target attainment."""

from __future__ import annotations

import argparse
from typing import Any

from vnsim.cli.inputs import DEFAULT_SCENARIO, power_of_two, scenario_path, seed


def register(sub: Any) -> None:
    """Add ``sensitivity`` to the sub-parsers ``sub``."""
    se = sub.add_parser("sensitivity", help="Sobol indices of key outcomes and targets")
    se.add_argument("scenario", nargs="?", help=f"scenario file (default {DEFAULT_SCENARIO})")
    se.add_argument("--n", type=power_of_two, default=256, help="base sample size (power of 2)")
    se.add_argument("--seed", type=seed, default=0)
    se.add_argument("--targets", help="target set file or name")
    se.add_argument("--out", help="also write the table as CSV")
    se.add_argument("--json", action="store_true")
    se.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Print the table of indices (or JSON records); with ``--out`` also write it as CSV."""
    from vnsim.analysis.sensitivity import sobol_indices
    from vnsim.spec.scenario import load_scenario

    scenario = load_scenario(scenario_path(args.scenario))
    table = sobol_indices(scenario, n=args.n, seed=args.seed, targets=args.targets)
    if args.out:
        table.to_csv(args.out, index=False)
    if args.json:
        print(table.to_json(orient="records", indent=2))
    else:
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return 0
