"""``vnsim terms``: which terms of the e-government model the rolling-origin backtest keeps."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vnsim.cli.inputs import count, seed, vintage
from vnsim.errors import UserError

ORIGINS = (2014, 2016, 2018, 2020, 2022)


def register(sub: Any) -> None:
    """Add ``terms`` to the sub-parsers ``sub``."""
    tm = sub.add_parser(
        "terms",
        help="rolling-origin scores of the e-government model's term variants, and the choice "
        "each origin would have made from the origins before it",
    )
    tm.add_argument("--origins", type=vintage, nargs="+", default=list(ORIGINS))
    tm.add_argument("--draws", type=count, default=1000)
    tm.add_argument("--seed", type=seed, default=0)
    tm.add_argument("--out", help="also write every score to this CSV file")
    tm.set_defaults(func=command)


def markdown(study, nested) -> str:
    """The study as Markdown: world-rank CRPS per variant (pooled, per origin), the nested
    choice, and how both compare with noisy persistence."""
    from vnsim.analysis.terms import BASELINE
    from vnsim.cli.backtest import markdown_table

    rank = study.pivot(index="variant", columns="origin", values="rank_crps")
    rank.insert(0, "pooled", rank.mean(axis=1))
    rank = rank.sort_values("pooled")
    shown = rank.map(lambda x: f"{x:.2f}").rename(columns=str).reset_index()
    lines = ["World-rank CRPS one edition ahead (lower is better):", "", markdown_table(shown)]
    base = rank.loc[BASELINE, "pooled"]
    picks = ", ".join(f"{o}: {v}" for o, v in zip(nested["origin"], nested["variant"], strict=True))
    for label, value in (
        ("default", rank.loc["default", "pooled"]),
        ("nested choice", nested["rank_crps"].mean()),
    ):
        lines.append("")
        lines.append(
            f"{label}: {value:.3f} against {base:.3f} for noisy persistence "
            f"({100 * (value / base - 1):+.2f} %)"
        )
    lines.append(f"nested picks: {picks}")
    return "\n".join(lines)


def command(args: argparse.Namespace) -> int:
    """Run the term study and print it."""
    from vnsim import datasets
    from vnsim.analysis import terms

    try:
        study = terms.term_study(
            datasets.load_surveys(), args.origins, draws=args.draws, seed=args.seed
        )
    except ValueError as exc:
        raise UserError(f"--origins: {exc}") from None
    print(markdown(study, terms.nested_choice(study)))
    if args.out:
        study.to_csv(Path(args.out), index=False)
    return 0
