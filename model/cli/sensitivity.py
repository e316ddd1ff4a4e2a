"""``vnsim sensitivity [SCENARIO]``: Sobol indices of key outcomes and target attainment."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd
from vnsim.cli.inputs import DEFAULT_SCENARIO, power_of_two, scenario_path, seed

#: Indices below this are shown as zero and hidden unless ``--all``.
NEGLIGIBLE = 0.0005
#: A bootstrap half-width above this makes an index too uncertain to rank inputs by.
WIDE = 0.1


def register(sub: Any) -> None:
    """Add ``sensitivity`` to the sub-parsers ``sub``."""
    se = sub.add_parser("sensitivity", help="Sobol indices of key outcomes and targets")
    se.add_argument("scenario", nargs="?", help=f"scenario file (default {DEFAULT_SCENARIO})")
    se.add_argument("--n", type=power_of_two, default=256, help="base sample size (power of 2)")
    se.add_argument("--seed", type=seed, default=0)
    se.add_argument("--targets", help="target set file or name")
    se.add_argument("--out", help="also write the whole table as CSV")
    se.add_argument("--all", action="store_true", help="also show inputs with zero indices")
    se.add_argument("--json", action="store_true")
    se.set_defaults(func=command)


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """The indices by output, most influential input (total index ST) first."""
    order = table.assign(_o=pd.factorize(table["output"])[0])
    return (
        order.sort_values(["_o", "ST"], ascending=[True, False], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def doubts(table: pd.DataFrame) -> list[str]:
    """Why a table's indices should not be trusted yet: S1 above ST beyond the intervals, or
    intervals wider than :data:`WIDE`; [] if none."""
    out = []
    above = table[table["S1"] > table["ST"] + table[["S1_conf", "ST_conf"]].max(axis=1)]
    if len(above):
        r = above.iloc[0]
        out.append(
            f"S1 above ST in {len(above)} row(s) (e.g. {r['input']} on {r['output']}): "
            "the sample is too small; raise --n"
        )
    wide = table[table[["S1_conf", "ST_conf"]].max(axis=1) > WIDE]
    if len(wide):
        out.append(
            f"{len(wide)} row(s) have intervals wider than ±{WIDE:g}: the ranking of those "
            "inputs is uncertain; raise --n"
        )
    return out


def command(args: argparse.Namespace) -> int:
    """Print the ranked table of indices (or JSON records), warnings on stderr; with ``--out``
    also write the whole table as CSV."""
    from vnsim.analysis.sensitivity import sobol_indices
    from vnsim.spec.scenario import load_scenario

    scenario = load_scenario(scenario_path(args.scenario))
    for warning in scenario.warnings:
        print(f"  {warning}", file=sys.stderr)
    table = ranked(sobol_indices(scenario, n=args.n, seed=args.seed, targets=args.targets))
    if args.out:
        table.to_csv(args.out, index=False)
    if args.json:
        print(table.to_json(orient="records", indent=2))
        return 0
    shown = table if args.all else table[table[["S1", "ST"]].abs().max(axis=1) >= NEGLIGIBLE]
    print(shown.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if hidden := len(table) - len(shown):
        print(f"({hidden} rows with indices below {NEGLIGIBLE:g} hidden; --all shows them)")
    for doubt in doubts(table):
        print(f"vnsim sensitivity: warning: {doubt}", file=sys.stderr)
    return 0
