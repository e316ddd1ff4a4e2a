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
# # What drives the outcomes, and what would it take to meet a target?
#
# **Questions.** (1) Of everything the scenario treats as uncertain — market base and growth,
# lever effect sizes, adoption speeds, the model's own year-to-year shocks — which matters most
# for each key outcome and for each 2025 target? (2) For a target that is not likely to be met,
# how much harder (or how much earlier) would one lever have to be pushed to reach a chosen
# probability, say 80 %?
#
# **Methods.**
#
# * *Variance-based (Sobol) sensitivity*, estimated with SALib: a Saltelli design over the
#   uncertain inputs, one engine run per design matrix. The **first-order index S1** of an input is
#   the share of the outcome's variance it explains on its own; the **total index ST** adds
#   everything it does in interaction with other inputs. An input with ST ≈ 0 can be fixed at
#   any value in its range without changing the answer; where ST is large, better data on that
#   input narrows the forecast most. The row `shocks` is the engine's own randomness (yearly
#   market shocks, survey noise), which no better data can remove.
# * *What it takes*: the probability of meeting a target is a function of a lever's intensity
#   scale (1 = as in the scenario) or of its start year. vnsim searches it with
#   `scipy.optimize.brentq` (scale) or bisection (start year), re-running the ensemble with the
#   **same draws and seed** at each step so only the lever changes. The answer is then confirmed
#   by an independent re-run.
#
# **How to read it.** Sensitivity tells you where uncertainty comes from, not what to do; "what
# it takes" tells you what one lever would have to do, within the model's assumed effect sizes —
# if those sizes are themselves uncertain inputs with a large ST, the answer inherits that
# uncertainty.

# %% tags=["parameters"]
import os

SCENARIO = "../scenarios/baseline.yaml"  # scenario file, relative to this notebook
TARGETS = "decision_942_2025"  # a shipped target set, or the path of a target file
DRAWS = int(os.environ.get("VNSIM_NOTEBOOK_DRAWS", 2000))  # ensemble size per evaluation
SEED = 0  # seed of the Sobol design, the engine and the bootstrap intervals
LANG = "en"  # chart labels: "en" or "vi"
SOBOL_N = None  # Sobol base sample, a power of 2 (None = about a quarter of DRAWS)
TARGET = "work_dossiers_commune_60_2025"  # target id in TARGETS for "what it takes"
LEVER = "shared_platforms"  # lever of the scenario to push
PROBABILITY = 0.8  # required P(met)
SEARCH = "scale"  # "scale": smallest intensity multiplier; "start": latest start year
BOUNDS = None  # search range; None = (0, 5) for a scale, the horizon for a start year

# %%
# %matplotlib inline
# ruff: noqa: E402, RUF100  (imports follow the parameters cell; E402 only applies to the .py)
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from vnsim.analysis.scorecard import attainment
from vnsim.analysis.sensitivity import key_outcomes, sobol_indices, target_outcomes
from vnsim.analysis.what_it_takes import what_it_takes
from vnsim.present import charts
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import load_scenario
from vnsim.spec.targets import load_targets

# derived from the parameters here, after papermill has set them; the engine runs the Sobol
# base sample (number of inputs + 3) times
if SOBOL_N is None:
    SOBOL_N = 2 ** max(4, (DRAWS // 4).bit_length() - 1)
scenario = load_scenario(SCENARIO)
target_set = load_targets(TARGETS)
target = target_set[TARGET]
display(Markdown(f"**{scenario.title}**; target set: {target_set.title}"))

# %% [markdown]
# ## 1. Sobol sensitivity of the key outcomes and of the 2025 targets
#
# The outcomes are the 2025 market size, Viet Nam's world rank and ASEAN position in the 2026
# survey edition, the 2025 dossier shares, and, for each target of the set, the 0/1 indicator
# "this draw meets the target" (named `met:<target>`; its variance is P(1 − P), so these indices
# say what decides *whether* the target is met). With a small `SOBOL_N` the confidence
# intervals are wide: read the ranking of the largest indices, not the second decimal.

# %%
outputs = {**key_outcomes(target_set), **target_outcomes(target_set)}
indices = sobol_indices(scenario, outputs, n=SOBOL_N, seed=SEED, targets=target_set)
indices.attrs.update(scenario=scenario.name, draws=SOBOL_N, seed=SEED)
n_inputs = indices["input"].nunique() - 1  # minus the shocks row
print(f"{n_inputs} uncertain inputs: {n_inputs + 3} engine runs of {SOBOL_N} draws each")

# %% [markdown]
# The three most influential inputs (by total index ST) for each output. An output with no
# variance (a target met in every draw, or in none) has no indices and is listed as such.

# %%
top = (
    indices.dropna(subset=["ST"])
    .sort_values(["output", "ST"], ascending=[True, False])
    .groupby("output", sort=False)
    .head(3)
)
constant = sorted(set(indices["output"]) - set(top["output"]))
if constant:
    display(Markdown("No variance (no indices): " + ", ".join(f"`{o}`" for o in constant)))
top.set_index(["output", "input"])[["S1", "S1_conf", "ST", "ST_conf"]].round(2)

# %% [markdown]
# The bars show S1 and ST with their 95 % bootstrap intervals for three outputs: the market,
# the world rank and the target chosen for the "what it takes" search below. A long ST bar with
# a short S1 bar means the input acts mainly through interactions (for instance a lever effect
# that only matters when adoption is already fast). Only the `TOP_INPUTS` inputs with the largest
# ST are drawn; the others have ST near zero (see `indices` for all of them).

# %%
TOP_INPUTS = 8
for output in ("market_size 2025 [USD bn]", "egdi_rank VNM edition 2026 [rank]", f"met:{TARGET}"):
    table = indices[indices["output"] == output]
    if table["ST"].notna().any():
        display(charts.sensitivity_bars(table.nlargest(TOP_INPUTS, "ST"), LANG, output=output))
    else:
        display(Markdown(f"`{output}` does not vary in this scenario: no indices to show."))

# %% [markdown]
# ## 2. What it takes: one lever, one target
#
# The search below finds the smallest multiplier of the lever's intensity schedule (or the
# latest start year) at which P(met) reaches the required level. "Not reachable" means that even
# at the upper bound of the search the probability stays below it: the lever, with the effect
# sizes the scenario assumes, cannot deliver the target alone.

# %%
baseline_p = attainment(simulate(scenario, DRAWS, SEED), target)
lever = scenario.levers[LEVER]
display(
    Markdown(
        f"**Target** — {target.description} (`{target.id}`, {target.when_label}).  \n"
        f"**Lever** — `{LEVER}`: {lever.description}; schedule "
        f"{dict(sorted(lever.schedule.items())) or 'intensity 1'}.  \n"
        f"P(met) in the scenario as written: **{baseline_p:.2f}** ({DRAWS} draws, seed {SEED})."
    )
)
found = what_it_takes(
    scenario,
    target,
    LEVER,
    PROBABILITY,
    search=SEARCH,
    bounds=BOUNDS,
    draws=DRAWS,
    seed=SEED,
)
print(found.message)
print(f"{found.evaluations} ensemble runs of {found.draws} draws")

# %% [markdown]
# Every evaluation of the search: P(met) against the lever setting. P(met) is a share of draws,
# so the curve is a staircase; with common random numbers it rises (for a scale) or falls (for a
# later start) monotonically unless a lever also has side effects through triggers.

# %%
history = pd.DataFrame(found.history, columns=[SEARCH, "P(met)"]).sort_values(SEARCH)
fig, ax = plt.subplots(figsize=(4.5, 2.8), layout="constrained")
ax.step(history[SEARCH], history["P(met)"], where="post", marker="o", ms=3)
ax.axhline(PROBABILITY, color="#c4402f", ls="--", lw=0.8, label=f"required P = {PROBABILITY:g}")
if found.value is not None:
    ax.axvline(found.value, color="#1b9e5a", lw=0.8, label=f"found: {found.value:.3g}")
ax.set_xlabel("lever intensity multiplier" if SEARCH == "scale" else "lever start year")
ax.set_ylabel("P(met)")
ax.set_ylim(-0.02, 1.02)
ax.set_title(f"{TARGET} vs {LEVER}", fontsize=9)
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## 3. Confirmation by an independent re-run
#
# The lever setting found is applied in a fresh `simulate` call with the same draws and seed. The
# re-run must give P(met) at or above the requested level; the nearest failing setting the
# search tried (just below the scale found, or one year later) must stay below it.

# %%
if found.value is None:
    display(Markdown(f"**Not reachable** with `{LEVER}` alone within {found.bounds}."))
else:
    setting = (
        {"lever_scale": {LEVER: found.value}}
        if SEARCH == "scale"
        else {"lever_start": {LEVER: int(found.value)}}
    )
    confirmed = attainment(simulate(scenario, found.draws, found.seed, **setting), target)
    rows = {"found": (found.value, confirmed)}
    if found.below is not None:
        failing = (
            {"lever_scale": {LEVER: found.below}}
            if SEARCH == "scale"
            else {"lever_start": {LEVER: int(found.below)}}
        )
        rows["nearest failing"] = (
            found.below,
            attainment(simulate(scenario, found.draws, found.seed, **failing), target),
        )
    check = pd.DataFrame.from_dict(rows, orient="index", columns=[SEARCH, "P(met) re-run"])
    check["meets P >= required"] = check["P(met) re-run"] >= PROBABILITY
    display(check)
    assert confirmed >= PROBABILITY, "the re-run does not confirm the search"
    if SEARCH == "scale":
        display(
            Markdown(
                f"Meeting `{TARGET}` with P ≥ {PROBABILITY:g} takes `{LEVER}` at "
                f"**{found.value:.2f} ×** its scheduled intensity (in every year of its "
                "schedule), other levers as in the scenario."
            )
        )

# %% [markdown]
# **Caveats.** The multiplier applies to the whole schedule of the lever, so a value of 2 means
# twice the intensity in every year, which may not be deliverable; the effect of one unit of
# intensity is an uncertain input of the scenario (see its ST above); and the search holds every
# other lever fixed. Try another `LEVER`, or `SEARCH = "start"` for the latest start year that
# still gives the required probability.
