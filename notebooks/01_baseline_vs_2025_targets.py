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
# # Does Viet Nam reach its 2025 digital-government targets? — the baseline
#
# **Question.** If the plan keeps being implemented at the pace seen so far (the *baseline*
# scenario), how likely is each quantified 2025 target of Decision 942/QĐ-TTg to be met?
#
# **Method.** vnsim simulates an ensemble of possible futures ("draws"). Each draw samples every
# uncertain input of the scenario (market base and growth, lever effect sizes, adoption speeds…)
# and the model's own year-to-year shocks, then runs the IT application market, the online-dossier
# adoption curves and the UN E-Government survey of *all* 193 member states (a rank depends on
# what every other country does). The probability that a target is met is the share of draws
# that meet it.
#
# **How to read it.** A probability is conditional on the scenario's assumptions: it says "if the
# world behaves like this scenario", not "will happen". The draws are a sample, so every
# probability carries Monte-Carlo error (shown in the scorecard); rerun with more draws for a
# briefing.
#
# The first code cell holds the parameters. To analyse another scenario, change `SCENARIO`
# (or inject parameters with papermill, which looks for the cell tagged `parameters`).

# %% tags=["parameters"]
import os

SCENARIO = "../scenarios/baseline.yaml"  # scenario file, relative to this notebook
TARGETS = "decision_942_2025"  # a shipped target set, or the path of a target file
DRAWS = int(os.environ.get("VNSIM_NOTEBOOK_DRAWS", 2000))  # ensemble size
SEED = None  # None = the seed written in the scenario file
LANG = "en"  # chart labels: "en" or "vi"

# %%
# %matplotlib inline
# ruff: noqa: E402, RUF100  (imports follow the parameters cell; E402 only applies to the .py)
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from scipy.stats import binomtest
from vnsim.analysis.scorecard import scorecard
from vnsim.analysis.summary import headline
from vnsim.present import charts
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import load_scenario
from vnsim.spec.targets import load_targets

scenario = load_scenario(SCENARIO)
ds = simulate(scenario, draws=DRAWS, seed=SEED)
display(Markdown(f"**{scenario.title}** — {scenario.description}"))
print(
    f"{ds.attrs['draws']} draws, seed {ds.attrs['seed']}, sampler {ds.attrs['sampler']}, "
    f"data: UN E-Government Survey {ds.attrs['data_editions']}"
)

# %% [markdown]
# ## The levers this scenario assumes
#
# Each lever is a programme of the plan with a dated intensity (1 = as planned, 0.5 = half of
# plan). The effects of each unit of intensity are uncertain inputs. A lever with a trigger only
# starts in the draws where its condition holds.

# %%
fired = ds["trigger_fired"].mean("draw").to_series()
rows = {}
for name, lever in scenario.levers.items():
    trigger = lever.trigger
    rows[name] = {
        "intensity by year": lever.schedule or "1 from its start",
        "start": lever.start or "",
        "trigger": ""
        if trigger is None
        else (
            f"{trigger.variable} in {trigger.year} "
            + (f"< {trigger.below}" if trigger.below is not None else f"> {trigger.above}")
        ),
        "share of draws where it fired": "" if trigger is None else f"{fired[name]:.2f}",
    }
pd.DataFrame.from_dict(rows, orient="index")

# %% [markdown]
# ## 1. The IT application market
#
# The fan chart shows the median path and the central 50 %, 80 % and 95 % of draws; the orange
# bar is the 25–30 bn USD target for 2025. If the target bar sits inside the dark band, the
# target is a central outcome; if it is only touched by the light band, it needs luck. The market
# has no official series under the plan's name (see the README): the base value is itself an
# uncertain input, which is one reason the band is wide from the start.

# %%
display(charts.market_fan(ds, LANG))
for target in headline(ds)["targets"]:
    if target["id"].startswith("market"):
        print(
            f"{target['description']}: P(met) = {target['probability']:.2f} "
            f"(median {target['median']:.2f}, 80 %: {target['low']:.2f}–{target['high']:.2f})"
        )

# %% [markdown]
# ## 2. Viet Nam's world rank in the UN E-Government Development Index
#
# Boxes hold the central 50 % of draws and whiskers 90 %; the number beside each box is the
# median rank. The 2022 edition is observed (no spread). A rank target "by 2025" is checked on
# the **2026** edition, because the UN survey of year E assesses portals and data of year E−1
# (the target file states this choice; switch its editions to 2024 for the stricter reading).
# The rank is relative: Viet Nam also moves when other countries improve faster.

# %%
display(charts.rank_distribution(ds, LANG))
rank = ds["egdi_rank"].sel(country="VNM")
pd.DataFrame(
    {
        "median rank": rank.median("draw").to_series(),
        "P(top 70)": (rank <= 70).mean("draw").to_series(),
        "P(top 50)": (rank <= 50).mean("draw").to_series(),
        "P(top 30)": (rank <= 30).mean("draw").to_series(),
    }
).round(2)

# %% [markdown]
# ## 3. Position within ASEAN
#
# Each column is a survey edition; each cell the probability that Viet Nam holds that position
# among the ten ASEAN members. The dashed line marks the 2025 aim of third place (its source was
# not located; treat it as indicative). Singapore, Malaysia and Thailand have led in every recent
# edition, so a top-3 place means overtaking one of them.

# %%
display(charts.asean_position(ds, LANG))

# %% [markdown]
# ## 4. Dossiers processed online
#
# Top panel: work dossiers handled online at ministry/province, district and commune level, with
# the 2025 targets of 90 %, 80 % and 60 % as diamonds. Bottom panel: administrative-procedure
# dossiers processed fully online (target 80 %). The shares follow logistic adoption curves
# whose base, ceiling and speed are uncertain (few official data points exist; see
# `docs/dossiers.md`); a conditional commune mandate can add a jump.

# %%
display(charts.dossier_shares(ds, LANG))

# %% [markdown]
# ## 5. The 2025 scorecard
#
# One row per target: P(met) is the share of draws that meet it, next to the median and the 80 %
# interval of the indicator itself (how far from the threshold the typical outcome is). The
# columns `MC low`–`MC high` are a 95 % (Wilson) interval for P(met) given the number of draws:
# the Monte-Carlo error of the estimate, not uncertainty about the world. Two probabilities whose
# intervals overlap widely should not be ranked against each other.

# %%
target_set = load_targets(TARGETS)
card = scorecard({scenario.name: ds}, target_set)
mc = [
    binomtest(round(p * n), n).proportion_ci(method="wilson") if n else None
    for p, n in zip(card["probability"], card["draws"], strict=True)
]
card["mc_low"] = [ci.low if ci else np.nan for ci in mc]
card["mc_high"] = [ci.high if ci else np.nan for ci in mc]
display(Markdown(f"**{target_set.title}**"))
card[
    [
        "target",
        "when",
        "comparison",
        "threshold",
        "unit",
        "probability",
        "mc_low",
        "mc_high",
        "median",
        "low",
        "high",
    ]
].rename(
    columns={
        "probability": "P(met)",
        "mc_low": "MC low",
        "mc_high": "MC high",
        "low": "p10",
        "high": "p90",
    }
).set_index("target").round(3)

# %% [markdown]
# ## Which targets are within reach?
#
# The classification below is computed from the scorecard, so it stays right when the scenario
# or the draws change. The bands are a reading aid, not a model output: **likely** P ≥ 0.8,
# **possible** 0.5–0.8, **a stretch** 0.2–0.5, **out of reach** P < 0.2 (on this scenario's
# assumptions). For a target that is a stretch or out of reach, notebook 03 asks what lever
# intensity would bring it to P ≥ 0.8; notebook 02 shows how much the accelerated and stalled
# scenarios move it.

# %%
bands = pd.cut(
    card["probability"],
    [-0.01, 0.2, 0.5, 0.8, 1.0],
    labels=["out of reach", "a stretch", "possible", "likely"],
)
lines = [
    f"- **{band}** (P = {p:.2f}, MC interval {lo:.2f}–{hi:.2f}): {desc}"
    for desc, p, lo, hi, band in sorted(
        zip(
            card["description"],
            card["probability"],
            card["mc_low"],
            card["mc_high"],
            bands,
            strict=True,
        ),
        key=lambda row: -row[1],
    )
]
display(Markdown("\n".join(lines)))

# %% [markdown]
# **Caveats for the reader.** (1) The market targets are attributed to a ministry directive whose
# text could not be confirmed, and the market definition is the model's choice; (2) the dossier
# shares start from few official data points, so their uncertain inputs are partly assumptions
# (each is labelled in the scenario file); (3) the rank forecasts are scored against past survey
# editions in notebook 04 — read them with that track record in mind.
