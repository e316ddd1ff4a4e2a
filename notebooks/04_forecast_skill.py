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
# # Forecast skill: would the model have predicted past EGDI ranks?
#
# **Question.** The rank targets are judged on future UN surveys. Before trusting the model's
# rank probabilities, check how well the same method would have forecast the surveys we already
# have — and whether it does better than two simple rules anyone could apply.
#
# **Method: rolling-origin hindcast.** For each origin edition (2012, 2014, … 2020) the survey
# history is **cut at the origin**, the e-government block is refitted on that cut only, and the
# world ranks of every country are forecast one edition (2 years) and two editions (4 years)
# ahead. The forecasts are then scored against what the UN published. Levers are off: this tests
# the dynamics, not the policy assumptions. Two baselines are scored on the same targets:
#
# * **persistence** — every country keeps its origin rank (a point forecast);
# * **level-matched bootstrap** — each country's EGDI moves by a change drawn from countries
#   that started at a similar level in the last observed pair of editions.
#
# **Scores** (lower is better unless stated): `rank_crps` — the continuous ranked probability
# score of the rank distribution, in places (for a point forecast it is the absolute error), the
# main score because it rewards both accuracy and honest spread; `rank_mae` — error of the median
# rank; `cov80`/`cov95` — share of observed ranks inside the 80 %/95 % intervals (should be close
# to 0.80/0.95: lower means over-confident, higher means too cautious); `width80`/`width95` —
# interval widths in places; `brier_top50` — Brier score of P(top 50), the threshold of the 2025
# target.

# %% tags=["parameters"]
import os

DRAWS = int(os.environ.get("VNSIM_NOTEBOOK_DRAWS", 2000))  # draws per origin
SEED = 0
ORIGINS = (2012, 2014, 2016, 2018, 2020)  # origin editions (the data must hold them)
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
# Mean of each score over the origins, by method and horizon.

# %%
pooled = result.pooled()
pooled.round(3)

# %% [markdown]
# The same scores as bars. The dashed line on the coverage panel is the nominal 80 %;
# persistence has no interval (width 0), so its coverage is just the share of countries whose
# rank did not change.

# %%
display(plot_backtest(result, LANG))

# %% [markdown]
# ## Origin by origin
#
# A pooled mean can hide one lucky edition. The CRPS of each method at each origin and horizon
# (lower is better):

# %%
scores = result.scores
crps = scores[scores["metric"] == "rank_crps"].pivot_table(
    index=["horizon", "origin", "target_edition"], columns="method", values="value"
)
crps = crps[[m for m in ("model", "bootstrap", "persistence") if m in crps.columns]]
crps.round(2)

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
for horizon, table in crps.groupby(level="horizon"):
    for baseline in [m for m in ("persistence", "bootstrap") if m in table.columns]:
        pair = table[["model", baseline]].dropna()
        skill = 1 - pair["model"].mean() / pair[baseline].mean()
        wins = int((pair["model"] < pair[baseline]).sum())
        rows.append(
            {
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
skill_table = pd.DataFrame(rows).set_index(["horizon", "baseline"])
skill_table.round(3)

# %%
lines = []
for (horizon, baseline), row in skill_table.iterrows():
    years = 2 * horizon
    lines.append(
        f"- {years} years ahead vs **{baseline}**: {row['verdict']} "
        f"(skill {row['skill (CRPS)']:+.2f}, model wins {row['origins won']} origins)."
    )
# The median alone: is the model's central forecast better than "no change"?
mae = pooled["rank_mae"].unstack("method")
for horizon, row in mae.iterrows():
    lines.append(
        f"- Median rank, {2 * horizon} years ahead: off by {row['model']:.1f} places on average "
        f"(persistence {row['persistence']:.1f}, bootstrap {row['bootstrap']:.1f})."
    )
cov = pooled["cov80"].xs("model", level="method")
for horizon, c in cov.items():
    state = "over-confident" if c < 0.7 else "too cautious" if c > 0.9 else "about right"
    lines.append(
        f"- Model 80 % intervals, {2 * horizon} years ahead: cover {c:.0%} of observed ranks "
        f"({state})."
    )
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## How to use this when reading the rank forecasts
#
# * CRPS rewards an honest spread, which persistence lacks, so a model can beat persistence on
#   CRPS while its *median* is no closer than "no change" (compare the `rank_mae` lines). In that
#   case the honest summary of a rank forecast is "about where it is now, give or take the
#   interval": the model's value is then mainly the calibrated width of that interval.
# * Against the level-matched bootstrap — a forecast with a spread built from past changes only —
#   a skill near zero means the fitted dynamics add little beyond the history of changes.
# * If the model's 80 % intervals cover clearly less than 80 % of past ranks, its rank
#   probabilities (P(top 50), ASEAN position) are over-confident: widen the reading accordingly.
# * The hindcast scores all countries; Viet Nam is one mid-table country among them, where
#   ranks are dense and move most (`rank_mae_30_100` is the error for countries ranked 30–100).
# * Five origins are few: differences in skill of a few percent are within origin-to-origin
#   variation (see the table above).
