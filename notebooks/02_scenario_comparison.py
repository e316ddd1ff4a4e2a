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
# # Scenario comparison: baseline, accelerated and stalled
#
# **Question.** How much does the pace of implementation change the odds of meeting the 2025
# targets? The three shipped scenarios bracket it:
#
# * **baseline** — the plan at the pace seen so far (levers at about half to four fifths of plan);
# * **accelerated** — every lever at full intensity from 2023 and 1.5 times it from 2025, with an
#   unconditional commune mandate;
# * **stalled** — levers two years late at a quarter to a half of plan, slower market growth, no
#   commune mandate.
#
# **Method.** Each scenario is simulated with the **same number of draws and the same seed**.
# The random streams depend only on the seed and the draw index, so draw *i* meets the same
# yearly shocks in every scenario (common random numbers): differences between scenarios are
# then mostly due to the assumptions, not to sampling noise. Inputs whose distribution differs
# between scenarios (here the stalled market growth) are sampled from their own distribution.
#
# **How to read it.** Compare columns, not single cells: a scenario is a set of assumptions, and
# the gap between two columns is what those assumptions are worth for a target.

# %% tags=["parameters"]
import os

SCENARIOS = [
    "../scenarios/baseline.yaml",
    "../scenarios/accelerated.yaml",
    "../scenarios/stalled.yaml",
]  # scenario files, relative to this notebook; the first is the reference
TARGETS = "decision_942_2025"  # a shipped target set, or the path of a target file
DRAWS = int(os.environ.get("VNSIM_NOTEBOOK_DRAWS", 2000))  # ensemble size of every scenario
SEED = None  # None = the seed of the first scenario, used for all (common random numbers)
LANG = "en"  # chart labels: "en" or "vi"

# %%
# %matplotlib inline
# ruff: noqa: E402, RUF100  (imports follow the parameters cell; E402 only applies to the .py)
import pandas as pd
from IPython.display import Markdown, display
from vnsim.analysis.scorecard import scorecard
from vnsim.present import charts
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import load_scenario
from vnsim.spec.targets import load_targets

scenarios = {s.name: s for s in map(load_scenario, SCENARIOS)}
reference = next(iter(scenarios))
seed = scenarios[reference].ensemble.seed if SEED is None else SEED
display(Markdown("\n".join(f"- **{s.name}**: {s.title}" for s in scenarios.values())))

# %% [markdown]
# ## What differs between the scenarios
#
# Lever schedules (intensity by year; 1 = as planned) side by side, then the uncertain inputs
# whose distribution is not the same in every scenario.


# %%
def schedule_text(lever) -> str:
    """'2022: 0.5, 2024: 0.8' (intensity from each year on), or the start year if undated."""
    if not lever.schedule:
        return f"1 from {lever.start}" if lever.start else "1"
    return ", ".join(f"{year}: {value:g}" for year, value in sorted(lever.schedule.items()))


pd.DataFrame(
    {
        name: {lever: schedule_text(lv) for lever, lv in s.levers.items()}
        for name, s in scenarios.items()
    }
)

# %%
inputs = sorted({k for s in scenarios.values() for k in s.uncertain})
differs = {
    k: {
        name: (
            s.uncertain[k].dist
            + " "
            + ", ".join(f"{p} {v:g}" for p, v in s.uncertain[k].params().items())
            if k in s.uncertain
            else "—"
        )
        for name, s in scenarios.items()
    }
    for k in inputs
    if len(
        {str(s.uncertain[k].model_dump()) if k in s.uncertain else "" for s in scenarios.values()}
    )
    > 1
}
pd.DataFrame.from_dict(differs, orient="index") if differs else Markdown(
    "All uncertain inputs have the same distribution in every scenario."
)

# %%
runs = {name: simulate(s, draws=DRAWS, seed=seed) for name, s in scenarios.items()}
print(f"{DRAWS} draws per scenario, seed {seed}")

# %% [markdown]
# ## The scorecard across scenarios
#
# Each cell is P(met) for a 2025 target (rows) under a scenario (columns); green is likely, red
# out of reach. The table underneath gives the same numbers and the change against the reference
# scenario, in probability points.

# %%
target_set = load_targets(TARGETS)
card = scorecard(runs, target_set)
# provenance for the chart's footnote (scorecard tables carry it in DataFrame.attrs)
first = runs[reference].attrs
card.attrs.update(
    draws=DRAWS,
    seed=seed,
    data_editions=first["data_editions"],
    package_version=first["package_version"],
)
display(charts.scorecard_heatmap(card, LANG))

# %%
p_met = card.pivot_table(index="target", columns="scenario", values="probability")
p_met = p_met.reindex(index=target_set.ids, columns=list(runs))
change = p_met.drop(columns=reference).sub(p_met[reference], axis=0)
pd.concat({"P(met)": p_met, f"change vs {reference}": change}, axis=1).round(2)

# %% [markdown]
# ## The market and the world rank, scenario by scenario
#
# Lines are medians and bands the central 80 % of draws. The market chart shows whether faster
# implementation moves the 2025 median into the 25–30 bn USD target range or only widens the
# upper tail; the rank chart (rank 1 at the top) shows how many places the levers buy by each
# survey edition. Ranks move slowly: the UN normalises each component across all countries, and
# the others improve too.

# %%
display(charts.scenario_comparison(runs, "market_size", LANG))

# %%
display(charts.scenario_comparison(runs, "egdi_rank", LANG, country="VNM"))

# %% [markdown]
# The commune level is where the scenarios differ most in their lever design (a mandate in the
# accelerated scenario, none in the stalled one):

# %%
display(charts.scenario_comparison(runs, "dossiers_online", LANG, level="commune"))

# %% [markdown]
# ## Medians and 80 % intervals
#
# The key outcomes in numbers, as "median (10th–90th percentile)". Ranks and positions are
# places (1 = best); shares are percent.

# %%
OUTCOMES = {
    "IT market 2025 (USD bn)": lambda ds: ds["market_size"].sel(year=2025),
    "IT market 2030 (USD bn)": lambda ds: ds["market_size"].sel(year=2030),
    "EGDI world rank, edition 2026": lambda ds: ds["egdi_rank"].sel(edition=2026, country="VNM"),
    "EGDI world rank, edition 2030": lambda ds: ds["egdi_rank"].sel(edition=2030, country="VNM"),
    "ASEAN position, edition 2026": lambda ds: ds["asean_position"].sel(edition=2026),
    "Admin dossiers fully online 2025 (%)": lambda ds: (
        100 * ds["admin_fully_online"].sel(year=2025)
    ),
    **{
        f"Work dossiers online 2025, {level} (%)": (
            lambda ds, level=level: 100 * ds["dossiers_online"].sel(year=2025, level=level)
        )
        for level in ("ministry_province", "district", "commune")
    },
}


def median_interval(da) -> str:
    """'median (p10–p90)' of a (draw,) DataArray."""
    lo, med, hi = da.astype(float).quantile([0.1, 0.5, 0.9], dim="draw").values
    digits = 0 if da.dtype.kind in "iu" or abs(med) >= 10 else 1
    return f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


pd.DataFrame(
    {
        name: {label: median_interval(f(ds)) for label, f in OUTCOMES.items()}
        for name, ds in runs.items()
    }
)

# %% [markdown]
# **Reading the comparison.** A target whose P(met) stays low even in the accelerated column is
# out of reach by implementation pace alone within these assumptions — it needs either a
# different lever (see notebook 03, "what it takes") or a reconsidered target. A target that is
# likely in the accelerated column but not in the baseline one is the place where delivery
# matters most. The stalled column is the downside to plan for.
