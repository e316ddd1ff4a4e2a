"""``vnsim backtest``: rolling-origin hindcast of EGDI world ranks and values against baselines.

Prints the pooled scores in plain words and one verdict line per quantity; with ``--out`` it
writes each origin's forecasts (``forecast_<origin>.nc``), the score tables (CSV), a chart and
``backtest.md``, the report ``docs/backtest.md`` is a verbatim copy of (``--docs``); ``--readme``
also rewrites the backtest section of the README between its markers. So one command
regenerates every published number::

    vnsim backtest --draws 400 --out results/backtest --docs docs/backtest.md --readme README.md
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
from vnsim.cli.inputs import LANGUAGES, count, seed, vintage
from vnsim.errors import UserError

#: The issue's five origins (:data:`vnsim.analysis.backtest.DEFAULT_ORIGINS`, repeated here so
#: the command line does not import the analysis to show its help).
DEFAULT_ORIGINS = (2014, 2016, 2018, 2020, 2022)
METHOD_NAMES = {
    "model": "model",
    "noisy_persistence": "noisy persistence",
    "bootstrap": "level-matched bootstrap",
    "persistence": "persistence",
}
#: What each quantity is called, its unit, and the baseline its verdict compares with.
QUANTITY = {
    "rank": ("world rank", "places", "noisy_persistence", "noisy persistence"),
    "value": ("EGDI value", "EGDI points (0-1)", "persistence", "persistence's absolute error"),
}
#: Columns of the score tables: summary column -> heading.
COLUMNS = {
    "crps": "CRPS",
    "mae": "mean error of the median",
    "median_ae": "median abs. error",
    "cov80": "80 % coverage",
    "cov95": "95 % coverage",
    "pit": "PIT histogram, % per tenth",
}
HOW_TO_READ = (
    "Lower is better for the CRPS and the two errors; coverage is best close to its nominal "
    "80 % or 95 % (below: intervals too narrow); a calibrated forecast puts 10 % of PIT values "
    "in each tenth (a U shape: too narrow; a hump: too wide; a slope: biased)."
)
README_BEGIN = "<!-- backtest:begin (written by `vnsim backtest --readme`; edit the command) -->"
README_END = "<!-- backtest:end -->"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]  # str.capitalize would lower "EGDI"


def _number(value: float, quantity: str) -> str:
    return f"{value:.2f}" if quantity == "rank" else f"{value:.4f}"


def score_table(summary: pd.DataFrame, quantity: str, group: str = "pooled") -> pd.DataFrame:
    """Pooled scores of one quantity as display strings: one row per method and horizon.

    ``summary`` is :attr:`vnsim.analysis.backtest.BacktestResult.summary`.
    """
    s = summary[(summary["group"] == group) & (summary["quantity"] == quantity)]
    rows = []
    for _, r in s.sort_values("horizon", kind="stable").iterrows():
        pit = " ".join(f"{100 * r[f'pit_{k}']:.0f}" for k in range(10))
        rows.append(
            {
                "method": METHOD_NAMES.get(r["method"], r["method"]),
                "editions ahead": str(r["horizon"]),
                **{COLUMNS[c]: _number(r[c], quantity) for c in ("crps", "mae", "median_ae")},
                COLUMNS["cov80"]: f"{100 * r['cov80']:.0f} %",
                COLUMNS["cov95"]: f"{100 * r['cov95']:.0f} %",
                COLUMNS["pit"]: pit,
            }
        )
    return pd.DataFrame(rows)


def readable(summary: pd.DataFrame) -> str:
    """The pooled scores of world rank and EGDI value as plain tables, saying which way is
    better."""
    parts = []
    for quantity, (name, unit, _, _) in QUANTITY.items():
        parts.append(f"{_capital(name)} ({unit}), pooled over origins:")
        parts.append(score_table(summary, quantity).to_string(index=False))
    parts.append(HOW_TO_READ)
    return "\n".join(parts)


def _crps(summary: pd.DataFrame, quantity: str, horizon: int, group: str) -> pd.DataFrame:
    """CRPS by method (columns), one row per origin (or one pooled row)."""
    s = summary[
        (summary["group"] == group)
        & (summary["quantity"] == quantity)
        & (summary["horizon"] == horizon)
    ]
    index = "origin" if group == "origin" else "group"
    return s.pivot_table(index=index, columns="method", values="crps", aggfunc="first")


def verdict(summary: pd.DataFrame, quantity: str) -> str:
    """One line: the model's CRPS one edition ahead against its baseline, pooled, as a % change,
    and the origins where it loses (rank: noisy persistence; value: persistence, whose CRPS is
    its absolute error)."""
    name, unit, base, base_name = QUANTITY[quantity]
    pooled = _crps(summary, quantity, 1, "pooled").iloc[0]
    model, other = float(pooled["model"]), float(pooled[base])
    change = (model - other) / other
    word = (
        "better than" if change <= -0.05 else "worse than" if change >= 0.05 else "no better than"
    )
    by_origin = _crps(summary, quantity, 1, "origin")
    losses = [str(int(o)) for o, r in by_origin.iterrows() if r["model"] > r[base]]
    lost = f"{len(losses)} of {len(by_origin)} origins" + (
        f" ({', '.join(losses)})" if losses else ""
    )
    return (
        f"Verdict, {name} one edition ahead (CRPS, lower is better): the model is {word} "
        f"{base_name}: {_number(model, quantity)} vs {_number(other, quantity)} {unit}, a "
        f"change of {100 * change:+.1f} %; it loses at {lost}."
    )


def calibration(summary: pd.DataFrame, quantity: str) -> str:
    """One line: how well the model's spread matched the outcomes one edition ahead, pooled
    (80 % coverage and the PIT's outer tenths, 10 % each when calibrated)."""
    name = QUANTITY[quantity][0]
    s = summary[
        (summary["group"] == "pooled")
        & (summary["quantity"] == quantity)
        & (summary["horizon"] == 1)
        & (summary["method"] == "model")
    ].iloc[0]
    low, high = s["pit_0"], s["pit_9"]
    reading = (
        "the forecast is biased low"
        if high - low > 0.1
        else "the forecast is biased high"
        if low - high > 0.1
        else "its intervals are too narrow"
        if s["cov80"] < 0.7
        else "its intervals are too wide"
        if s["cov80"] > 0.9
        else "about right"
    )
    return (
        f"Calibration, {name} one edition ahead: the model's 80 % intervals hold "
        f"{100 * s['cov80']:.0f} % of the outcomes; {100 * high:.0f} % fall above its 90th "
        f"percentile and {100 * low:.0f} % below its 10th (10 % each if calibrated): {reading}."
    )


def _paragraph(text: str, bullet: str = "") -> str:
    """``text`` wrapped at 100 characters (the README's width), as a list item if ``bullet``."""
    indent = " " * len(bullet)
    return textwrap.fill(
        text,
        100,
        initial_indent=bullet,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def markdown_table(table: pd.DataFrame) -> str:
    """A pipe table of ``table``'s strings (columns as headings)."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.to_numpy()]
    return "\n".join(lines)


def origin_table(summary: pd.DataFrame, quantity: str) -> pd.DataFrame:
    """CRPS of every method at every origin and horizon, with the model's change against its
    baseline and whether it lost there."""
    _, _, base, base_name = QUANTITY[quantity]
    s = summary[(summary["group"] == "origin") & (summary["quantity"] == quantity)]
    wide = s.pivot_table(index=["horizon", "origin", "target"], columns="method", values="crps")
    rows = []
    for (h, origin, target), r in wide.iterrows():
        change = (r["model"] - r[base]) / r[base]
        rows.append(
            {
                "origin → target": f"{origin} → {target}",
                "editions ahead": str(h),
                **{
                    METHOD_NAMES[m]: _number(r[m], quantity)
                    for m in METHOD_NAMES
                    if m in wide.columns
                },
                f"model vs {base_name}": f"{100 * change:+.1f} % "
                + ("(loss)" if r["model"] > r[base] else "(win)"),
            }
        )
    return pd.DataFrame(rows)


def third_table(summary: pd.DataFrame) -> pd.DataFrame:
    """CRPS one edition ahead of every method by third of the table (origin rank), and the
    model's 80 % coverage in each third."""
    s = summary[(summary["group"] == "third") & (summary["horizon"] == 1)]
    rows = []
    for quantity in QUANTITY:
        q = s[s["quantity"] == quantity]
        for third in ("top", "middle", "bottom"):
            t = q[q["third"] == third].set_index("method")
            crps = t["crps"]
            rows.append(
                {
                    "quantity": QUANTITY[quantity][0],
                    "third (origin rank)": third,
                    **{
                        METHOD_NAMES[m]: _number(crps[m], quantity)
                        for m in METHOD_NAMES
                        if m in t.index
                    },
                    "model 80 % coverage": f"{100 * t.loc['model', 'cov80']:.0f} %",
                }
            )
    return pd.DataFrame(rows)


def _sd_table(result: Any) -> pd.DataFrame:
    rows = []
    for origin, ds in (result.forecasts or {}).items():
        sds = list(ds.attrs["noisy_persistence_sd"])[:2]
        rows.append(
            {"origin": str(origin), **{f"sd, h = {h + 1}": f"{v:.4f}" for h, v in enumerate(sds)}}
        )
    return pd.DataFrame(rows).fillna("—")


PROTOCOL = """\
* **No look-ahead.** For each origin the survey rows are cut to those *published* by 31 December
  of the origin's year (`backtest.vintage`, the mechanism of `vnsim run --as-of`) before anything
  is fitted; the e-government model (no levers) and every baseline are refitted on that cut
  only, and the model reads the other data it uses as published by then. The observed targets
  are attached afterwards, for scoring. A test replaces every row after the origin with noise
  and gets identical forecasts.
* **Targets.** Every later edition is forecast; the next one (h = 1, two years, the headline)
  and the one after (h = 2, four years) are scored, for the world rank and the EGDI value of
  every country assessed (EGDI > 0) at both the origin and the target. Ranks are recomputed
  among those countries; the observed order is the UN's published rank order.
* **Methods.** *model*: vnsim's e-government block. *persistence*: the origin's EGDI and rank
  (one member, so its CRPS is its absolute error). *noisy persistence*: the origin's EGDI plus
  Gaussian noise, its sd (table below) chosen on a grid to minimise the world-rank CRPS over the
  edition pairs h apart from 2008 to the origin. *level-matched bootstrap*: each country's EGDI
  z-score moves by a change of one of the 40 countries that started closest to its level in the
  last observed pair, mapped back to EGDI with the origin's mean and sd.
* **Scores.** CRPS: the fair ensemble CRPS (`scoringrules`, PWM estimator), in places or EGDI
  points; it rewards accuracy and honest spread at once. Errors: of the ensemble median.
  Coverage: share of observations inside the central 80 % / 95 % intervals (`inverted_cdf`
  quantiles). PIT: randomised for integer ranks. Pooled = over all countries and origins; the
  thirds of the table are cut on the origin rank."""

RESCORE = """\
Each `forecast_<origin>.nc` holds the model's `osi`, `tii`, `hci`, `egdi` and `egdi_rank` over
`(draw, edition, country)`, the baselines' `egdi_noisy_persistence`, `egdi_bootstrap` and
`egdi_persistence` (one member, over `(edition, country)`), the origin's `origin_egdi` and
`origin_egdi_rank`, and the published `observed_egdi` and `observed_egdi_rank` of every target;
its attributes say how it was made. Re-scoring needs no vnsim:

```python
import scoringrules
import xarray as xr

ds = xr.open_dataset("forecast_2020.nc", engine="h5netcdf").sel(edition=2022)
ok = (ds.origin_egdi > 0) & (ds.observed_egdi > 0)
crps = scoringrules.crps_ensemble(
    ds.observed_egdi[ok].values, ds.egdi[:, ok].values, m_axis=0, estimator="pwm"
)
print(crps.mean())  # the model's EGDI value CRPS one edition ahead
```

`backtest_scores.csv` has one row per method, quantity, origin, target and country;
`backtest_summary.csv` pools it (group `pooled`, `origin`, `third`)."""


def report(result: Any, command: str) -> str:
    """The Markdown report of a backtest (``DIR/backtest.md``, copied verbatim to
    ``docs/backtest.md``)."""
    s = result.summary
    origins = ", ".join(map(str, result.origins))
    parts = [
        "# Forecast skill of the EGDI model: rolling-origin backtest",
        _paragraph(
            f"This file was written by `{command}` (vnsim {_version()}; {result.draws} draws, "
            f"seed {result.seed}, origins {origins}). Run that command again, with the same "
            "vnsim version and data, to reproduce it."
        ),
        "## Verdict",
        "\n".join(_paragraph(f(s, q), "* ") for f in (verdict, calibration) for q in QUANTITY),
        "## How it was done",
        PROTOCOL,
    ]
    for quantity, (name, unit, _, _) in QUANTITY.items():
        parts += [
            f"## {_capital(name)}, pooled over origins",
            _paragraph(f"In {unit}. {HOW_TO_READ}"),
            markdown_table(score_table(s, quantity)),
        ]
    for quantity, (name, unit, _, base_name) in QUANTITY.items():
        parts += [
            f"## {_capital(name)} origin by origin",
            _paragraph(
                f"CRPS in {unit}, lower is better; the last column is the model's change against "
                f"{base_name} (a loss where the model's CRPS is higher)."
            ),
            markdown_table(origin_table(s, quantity)),
        ]
    parts += [
        "## By third of the table, one edition ahead",
        "CRPS, lower is better; thirds by the country's rank at the origin. The last column is "
        "the share of the third's outcomes inside the model's central 80 % interval.",
        markdown_table(third_table(s)),
        "## Noise of noisy persistence",
        "The sd chosen for each origin (EGDI points), from edition pairs up to the origin only.",
        markdown_table(_sd_table(result)),
        "## Files and re-scoring",
        RESCORE,
    ]
    return "\n\n".join(parts) + "\n"


def readme_section(result: Any, command: str) -> str:
    """The README's backtest section: the pooled headline scores and the verdicts."""
    s = result.summary[result.summary["group"] == "pooled"]
    rows = []
    for (method, h), r in s.pivot_table(
        index=["method", "horizon"], columns="quantity", values=["crps", "mae", "cov80"]
    ).iterrows():
        rows.append((list(METHOD_NAMES).index(method), h, method, r))
    table = pd.DataFrame(
        [
            {
                "method": METHOD_NAMES[m],
                "editions ahead": str(h),
                "rank CRPS": _number(r[("crps", "rank")], "rank"),
                "rank error of the median": _number(r[("mae", "rank")], "rank"),
                "rank 80 % coverage": f"{100 * r[('cov80', 'rank')]:.0f} %",
                "EGDI CRPS": _number(r[("crps", "value")], "value"),
                "EGDI 80 % coverage": f"{100 * r[('cov80', 'value')]:.0f} %",
            }
            for _, h, m, r in sorted(rows, key=lambda x: (x[1], x[0]))
        ]
    )
    origins = ", ".join(map(str, result.origins))
    intro = (
        f"**Forecast skill (backtest).** `vnsim backtest` refits the model on the survey rows "
        f"published by the end of each origin's year ({origins}), forecasts the world rank and "
        f"EGDI of every country one and two editions ahead, and scores them against persistence, "
        f"noisy persistence and a level-matched bootstrap ({result.draws} draws, seed "
        f"{result.seed}; pooled over origins; lower CRPS is better, coverage is best near 80 %; "
        f"full tables in `docs/backtest.md`). Regenerated by `{command}`:"
    )
    lines = "\n".join(
        _paragraph(f(result.summary, q), "- ") for f in (verdict, calibration) for q in QUANTITY
    )
    section = f"{_paragraph(intro)}\n\n{markdown_table(table)}\n\n{lines}"
    return f"{README_BEGIN}\n{section}\n{README_END}"


def replace_section(text: str, section: str) -> str:
    """``text`` with the part between the README markers (included) replaced by ``section``."""
    if README_BEGIN not in text or README_END not in text:
        raise UserError(f"--readme: the file has no backtest markers ({README_BEGIN!r} … )")
    head, rest = text.split(README_BEGIN, 1)
    return head + section + rest.split(README_END, 1)[1]


def _version() -> str:
    from vnsim import __version__

    return __version__


def register(sub: Any) -> None:
    """Add ``backtest`` to the sub-parsers ``sub``."""
    bt = sub.add_parser(
        "backtest", help="rolling-origin hindcast of EGDI ranks and values vs baselines"
    )
    bt.add_argument("--draws", type=count, default=1000)
    bt.add_argument("--seed", type=seed, default=0)
    bt.add_argument(
        "--origins",
        type=vintage,
        nargs="+",
        metavar="EDITION",
        default=list(DEFAULT_ORIGINS),
        help="origin editions; each forecasts from the data published by the end of its year "
        "(as `vnsim run --as-of`); default %(default)s",
    )
    bt.add_argument("--json", action="store_true", help="print the summary table as JSON")
    bt.add_argument(
        "--out",
        help="write forecast_<origin>.nc, backtest_scores.csv, backtest_summary.csv, "
        "backtest.png and backtest.md to this folder",
    )
    bt.add_argument("--docs", help="also write the Markdown report to this file")
    bt.add_argument("--readme", help="also rewrite the backtest section of this README")
    bt.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the chart")
    bt.set_defaults(func=command)


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (what the report says produced it)."""
    words = ["vnsim", "backtest", "--origins", *map(str, args.origins)]
    words += ["--draws", str(args.draws), "--seed", str(args.seed)]
    for flag in ("out", "docs", "readme"):
        if getattr(args, flag):
            words += [f"--{flag}", getattr(args, flag)]
    return shlex.join(words)


def command(args: argparse.Namespace) -> int:
    """Print the pooled scores and verdicts (or the summary as JSON); write the files asked."""
    from vnsim.analysis import backtest
    from vnsim.present import charts

    readme = Path(args.readme) if args.readme else None
    if readme is not None:  # checked before the run, not after it
        if not readme.is_file():
            raise UserError(f"--readme: {readme}: no such file")
        replace_section(readme.read_text(encoding="utf-8"), "")
    try:
        result = backtest.run_backtest(None, tuple(args.origins), draws=args.draws, seed=args.seed)
    except ValueError as exc:
        raise UserError(f"--origins: {exc}") from None
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2, default=float)
        print()
    else:
        print(readable(result.summary))
        for line in (verdict, calibration):
            for quantity in QUANTITY:
                print(line(result.summary, quantity))
    text = report(result, command_line(args))
    written = []
    if args.out:
        out = Path(args.out)
        written += result.write(out)
        (out / "backtest.md").write_text(text, encoding="utf-8")
        fig = charts.plot_backtest(result, lang=args.lang)
        fig.savefig(out / "backtest.png", dpi=200)
        written += [out / "backtest.md", out / "backtest.png"]
    if args.docs:
        Path(args.docs).write_text(text, encoding="utf-8")
        written.append(Path(args.docs))
    if readme is not None:
        section = readme_section(result, command_line(args))
        readme.write_text(replace_section(readme.read_text(encoding="utf-8"), section), "utf-8")
        written.append(readme)
    if written:
        print("wrote " + ", ".join(map(str, written)), file=sys.stderr)
    return 0
