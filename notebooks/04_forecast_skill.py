# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Forecast skill: would the model have predicted past EGDI ranks and values?
#
# **Question.** The rank targets are judged on future UN surveys. Before trusting the model's
# rank probabilities, check how well the same method would have forecast the surveys we already
# have — and whether it does better than simple rules anyone could apply.
#
# **Method: rolling-origin hindcast.** For each origin edition (2014, 2016, … 2022) the survey
# rows are **cut to those published by the end of the origin year**, the e-government block is
# refitted on that cut only, and the world rank and EGDI of every country are forecast one
# edition (2 years) and two editions (4 years) ahead. The forecasts are then scored against
# what the UN published. Levers are off: this tests the dynamics, not the policy assumptions.
# Three baselines are scored on the same targets, each fitted only on editions up to the origin:
#
# * **persistence** — every country keeps its origin EGDI and rank (a point forecast);
# * **noisy persistence** — the origin EGDI plus Gaussian noise, its size chosen to give the
#   best rank scores over the past edition pairs;
# * **level-matched bootstrap** — each country's EGDI moves by a change drawn from countries
#   that started at a similar level in the last observed pair of editions.
#
# **Scores** (lower is better unless stated), for the world rank (in places) and the EGDI value
# (0–1): `crps` — the continuous ranked probability score, the main score because it rewards
# both accuracy and honest spread (for a point forecast it is the absolute error); `mae` — mean
# error of the median; `median_ae` — its median over countries; `cov80`/`cov95` — share of
# observations inside the 80 %/95 % intervals (should be close to 0.80/0.95: lower means
# over-confident, higher means too cautious).

# %% tags=["parameters"]
import os

DRAWS = int(os.environ.get("VNSIM_NOTEBOOK_DRAWS", 2000))  # draws per origin
SEED = 0
ORIGINS = (2014, 2016, 2018, 2020, 2022)  # origin editions (the data must hold a later one)
HORIZONS = (1, 2)  # editions ahead: 1 = 2 years, 2 = 4 years
LANG = "en"  # chart labels: "en" or "vi"

# %%
# %matplotlib inline
# ruff: noqa: E402, RUF100  (imports follow the parameters cell; E402 only applies to the .py)
import pandas as pd
from IPython.display import Markdown, display
from vnsim.analysis.backtest import run_backtest
from vnsim.datasets import load_surveys
from vnsim.present.charts import plot_backtest

surveys = load_surveys()
editions = sorted(surveys["survey_year"].unique())
print(f"UN E-Government Survey editions in the data: {editions[0]}–{editions[-1]}")
result = run_backtest(surveys, tuple(ORIGINS), tuple(HORIZONS), draws=DRAWS, seed=SEED)
print(f"{len(result.origins)} origins × {len(HORIZONS)} horizons, {DRAWS} draws each")

# %% [markdown]
# ## Pooled scores
#
# Each score over all countries and origins, by method and horizon; `rank_…` columns are in
# places, `value_…` columns in EGDI points.

# %%
pooled = result.pooled()
pooled.round(3)

# %% [markdown]
# The world-rank scores and the EGDI CRPS as bars. The dashed lines on the coverage panels are
# the nominal 80 % and 95 %; persistence has no interval, so its coverage is just the share of
# countries whose rank did not change.

# %%
display(plot_backtest(result, LANG))

# %% [markdown]
# ## Origin by origin
#
# A pooled mean can hide one lucky edition. The CRPS of each method at each origin and horizon
# (lower is better), for the world rank and the EGDI value:

# %%
summary = result.summary
by_origin = summary[summary["group"] == "origin"].pivot_table(
    index=["quantity", "horizon", "origin", "target"], columns="method", values="crps"
)
methods = ("model", "noisy_persistence", "bootstrap", "persistence")
by_origin = by_origin[[m for m in methods if m in by_origin.columns]]
by_origin.round(4)

# %% [markdown]
# ## Does the model beat the baselines?
#
# The **skill score** against a baseline is 1 − CRPS(model) / CRPS(baseline): positive means the
# model is better, 0.10 means 10 % lower error. "Wins" counts the origins at which the model's
# CRPS is lower. The verdict below is computed from these numbers, so it stays honest when the
# data, the draws or the model change: it calls the model better only if the pooled skill is at
# least `MATERIAL` (5 % lower error, a reading aid, not a statistical test) *and* the model wins
# at most origins; symmetrically for "baseline better"; anything else is "no material
# difference".

# %%
MATERIAL = 0.05
rows = []
for (quantity, horizon), table in by_origin.groupby(level=["quantity", "horizon"]):
    for baseline in [m for m in methods[1:] if m in table.columns]:
        pair = table[["model", baseline]].dropna()
        skill = 1 - pair["model"].mean() / pair[baseline].mean()
        wins = int((pair["model"] < pair[baseline]).sum())
        rows.append(
            {
                "quantity": quantity,
                "horizon": horizon,
                "baseline": baseline,
                "skill (CRPS)": skill,
                "origins won": f"{wins} of {len(pair)}",
                "verdict": (
                    "model better"
                    if skill >= MATERIAL and wins > len(pair) / 2
                    else "baseline better"
                    if skill <= -MATERIAL and wins < len(pair) / 2
                    else "no material difference"
                ),
            }
        )
skill_table = pd.DataFrame(rows).set_index(["quantity", "horizon", "baseline"])
skill_table.round(3)

# %%
lines = []
for (quantity, horizon, baseline), row in skill_table.iterrows():
    lines.append(
        f"- {quantity}, {2 * horizon} years ahead vs **{baseline}**: {row['verdict']} "
        f"(skill {row['skill (CRPS)']:+.2f}, model wins {row['origins won']} origins)."
    )
# The median alone: is the model's central rank forecast better than "no change"?
for horizon in HORIZONS:
    row = pooled.xs(horizon, level="horizon")["rank_mae"]
    lines.append(
        f"- Median rank, {2 * horizon} years ahead: off by {row['model']:.1f} places on average "
        f"(persistence {row['persistence']:.1f}, noisy persistence "
        f"{row['noisy_persistence']:.1f}, bootstrap {row['bootstrap']:.1f})."
    )
for quantity in ("rank", "value"):
    cov = pooled[f"{quantity}_cov80"].xs("model", level="method")
    for horizon, c in cov.items():
        state = "over-confident" if c < 0.7 else "too cautious" if c > 0.9 else "about right"
        lines.append(
            f"- Model 80 % intervals for the {quantity}, {2 * horizon} years ahead: cover {c:.0%} "
            f"of the outcomes ({state})."
        )
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## How to use this when reading the rank forecasts
#
# * CRPS rewards an honest spread, which persistence lacks, so a model can beat persistence on
#   CRPS while its *median* is no closer than "no change" (compare the `rank_mae` lines). In that
#   case the honest summary of a rank forecast is "about where it is now, give or take the
#   interval": the model's value is then mainly the calibrated width of that interval.
# * Against noisy persistence and the level-matched bootstrap — forecasts with a spread built
#   from past changes only — a skill near zero means the fitted dynamics add little beyond the
#   history of changes.
# * If the model's 80 % intervals cover clearly less than 80 % of the outcomes, its probabilities
#   are over-confident: widen the reading accordingly. If the outcomes of the EGDI *value* pile
#   up above the model's 90th percentile, the model misses the world's rising average: quote
#   ranks, not levels.
# * The hindcast scores all countries; Viet Nam is one mid-table country among them, where
#   ranks are dense and move most (`vnsim backtest --out DIR` writes the scores by third of the
#   table).
# * Five origins are few: differences in skill of a few percent are within origin-to-origin
#   variation (see the table above).
