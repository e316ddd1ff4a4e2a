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
# # The 2025 targets after the fact, and the 2030 outlook
#
# **Question.** 2025 is over. Which of the plan's 2025 targets can now be judged from what was
# published, what would the model have said about them with the data of 2022 (when the targets
# were fresh), and how likely are the 2026 and 2030 targets from where Viet Nam stands today?
#
# **Method.** vnsim simulates an ensemble of possible futures ("draws"); the probability that a
# target is met, P(met), is the share of draws that meet it. Two runs of the same scenario are
# compared:
#
# * the **current baseline** starts from the latest UN E-Government Survey edition in the data
#   and keeps only the draws consistent with what has been observed since the base year (the
#   observations are weighted and resampled; `model/core/history.py` describes the rule);
# * the **2022 vintage** is the same scenario run with the data published by the end of 2022
#   (`as_of = 2022`): the forecast the plan's authors could have had.
#
# **How to read it.** A target whose indicator has been observed is **met** or **missed** from
# the observation, not from the draws. Beside it stands the probability the 2022 vintage gave it
# and the **PIT** of the outcome in the 2022 forecast (explained in section 2). Targets that no
# series measures, or whose figure is not yet published, are said to be so; targets still ahead
# keep a probability, conditional on the scenario's assumptions.
#
# Facts on outcomes come from the project's shared fact base, `shared/docs/outcomes_2022_2024.md`
# (UN survey §1, dossiers §2), and on later targets and the state's reorganisation from
# `shared/docs/targets_2026_2030.md` (§1 targets, §2 two-tier local government, §3 ASEAN).
#
# The first code cell holds the parameters (papermill injects values in the cell tagged
# `parameters`).

# %% tags=["parameters"]
import os

SCENARIO = "../scenarios/baseline.yaml"  # scenario file, relative to this notebook
TARGETS = None  # None = the default set (2025, 2026 and 2030 targets), or a set name or path
ALSO_JUDGED = "decision_749_2025"  # a second set whose observed targets are judged too, or None
VINTAGE = 2022  # the earlier vintage: the data published by the end of this year
DRAWS = int(os.environ.get("VNSIM_NOTEBOOK_DRAWS", 2000))  # ensemble size of each run
SEED = None  # None = the seed written in the scenario file
LANG = "en"  # labels of charts and tables: "en" or "vi"

# %%
# %matplotlib inline
# ruff: noqa: E402, RUF100  (imports follow the parameters cell; E402 only applies to the .py)
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from scipy.stats import binomtest
from vnsim import datasets
from vnsim.analysis import hindsight
from vnsim.analysis.scorecard import scorecard
from vnsim.present import charts
from vnsim.present.tables import format_scorecard
from vnsim.run.simulate import simulate
from vnsim.spec.scenario import load_scenario
from vnsim.spec.targets import load_targets

# Labels of the tables and of the histogram, in both languages.
LABELS = {
    "en": {
        "edition": "edition",
        "country": "country",
        "egdi": "EGDI",
        "world_rank": "world rank",
        "asean_position": "position in ASEAN",
        "target": "target",
        "when": "when",
        "goal": "goal",
        "observed": "observed",
        "status": "status",
        "missed_by": "missed by",
        "vintage_p": "P(met), {v} vintage",
        "vintage_median": "median, {v} vintage",
        "vintage_interval": "80 % interval, {v} vintage",
        "pit": "PIT",
        "p_now": "P(met) now",
        "mc": "MC 95 % interval",
        "median": "median",
        "interval": "80 % interval",
        "why": "why there is no outcome",
        "note": "note",
        "met": "met",
        "missed": "missed",
        "forecast": "forecast",
        "not observable": "not observable",
        "no_market_series": "no official series of the IT application market",
        "no_level_series": "no national series of work dossiers by level was located",
        "district_gone": "district level abolished on 1 Jul 2025: no longer measurable",
        "not_yet": "no full-year {year} figure published in the data yet (latest: {latest})",
        "hist_title": "What the {v} vintage forecast for the rank of Viet Nam in the {e} edition",
        "hist_x": "World rank in the {e} UN survey edition (1 = best)",
        "hist_y": "Share of draws",
        "hist_observed": "observed: {r} (PIT {pit:.2f})",
        "hist_median": "forecast median: {m:.0f}",
        "hist_target": "target: top {n}",
    },
    "vi": {
        "edition": "kỳ khảo sát",
        "country": "quốc gia",
        "egdi": "EGDI",
        "world_rank": "thứ hạng thế giới",
        "asean_position": "vị trí trong ASEAN",
        "target": "mục tiêu",
        "when": "thời điểm",
        "goal": "chỉ tiêu",
        "observed": "quan sát",
        "status": "tình trạng",
        "missed_by": "còn thiếu",
        "vintage_p": "xác suất đạt, dự báo năm {v}",
        "vintage_median": "trung vị, dự báo năm {v}",
        "vintage_interval": "khoảng 80 %, dự báo năm {v}",
        "pit": "PIT",
        "p_now": "xác suất đạt hiện nay",
        "mc": "khoảng 95 % (sai số Monte Carlo)",
        "median": "trung vị",
        "interval": "khoảng 80 %",
        "why": "lý do chưa có kết quả",
        "note": "ghi chú",
        "met": "đạt",
        "missed": "không đạt",
        "forecast": "dự báo",
        "not observable": "không đo được",
        "no_market_series": "không có chuỗi số liệu chính thức về thị trường ứng dụng CNTT",
        "no_level_series": "chưa tìm thấy chuỗi số liệu quốc gia về hồ sơ công việc theo cấp",
        "district_gone": "cấp huyện đã chấm dứt hoạt động từ ngày 1/7/2025: không còn đo được",
        "not_yet": "chưa có số liệu cả năm {year} (số liệu gần nhất: {latest})",
        "hist_title": "Dự báo theo dữ liệu năm {v} về thứ hạng của Việt Nam trong kỳ khảo sát {e}",
        "hist_x": "Thứ hạng thế giới trong kỳ khảo sát {e} của LHQ (1 = cao nhất)",
        "hist_y": "Tỷ lệ số lượt mô phỏng",
        "hist_observed": "quan sát được: {r} (PIT {pit:.2f})",
        "hist_median": "trung vị dự báo: {m:.0f}",
        "hist_target": "mục tiêu: nhóm {n} nước dẫn đầu",
    },
}
L = LABELS[LANG]
DESCRIPTION = "description_vi" if LANG == "vi" else "description"


def shown(x, unit):
    """A value in its unit as text: whole places for ranks and positions, shares in percent."""
    if not np.isfinite(x):
        return "–"
    if unit in ("rank", "position"):
        return f"{x:.0f}"
    if unit.startswith("share"):
        return f"{x:.1%}"
    return f"{x:.1f}"


if datasets.latest_edition(VINTAGE) >= datasets.latest_edition():
    raise ValueError(
        f"VINTAGE {VINTAGE} already has the latest survey edition: choose an earlier year"
    )
scenario = load_scenario(SCENARIO)
ds = simulate(scenario, draws=DRAWS, seed=SEED)
vintage = hindsight.vintage_forecast(scenario, VINTAGE, DRAWS, SEED)
display(Markdown(f"**{scenario.title}** — {scenario.description}"))
for label, run in (("current baseline", ds), (f"{VINTAGE} vintage", vintage)):
    print(
        f"{label}: {run.attrs['draws']} draws, seed {run.attrs['seed']}, "
        f"data as of {run.attrs['as_of']}, UN E-Government Survey {run.attrs['data_editions']}, "
        f"simulated editions {', '.join(str(e) for e in run['edition'].values)}"
    )

# %% [markdown]
# ## 1. What was observed
#
# ### The UN E-Government Survey
#
# Viet Nam's world rank in the recent editions of the survey (all UN member states), then the
# ASEAN members in the latest edition, ordered by EGDI. The ASEAN position counts the members on the
# edition's publication date (Timor-Leste joined ASEAN on 26 Oct 2025, after the 2024 edition;
# `targets_2026_2030.md` §3). The survey figures themselves are in `model/data/` (sources in
# `outcomes_2022_2024.md` §1).

# %%
surveys = datasets.load_surveys()
latest = datasets.latest_edition()
vnm = surveys[surveys["iso3"] == "VNM"].set_index("survey_year").sort_index()
display(vnm.loc[vnm.index >= latest - 6, ["egdi", "egdi_rank"]].round(4))

members = datasets.members("asean", datasets.edition_date(latest))
asean = (
    surveys[(surveys["survey_year"] == latest) & surveys["iso3"].isin(members)]
    .set_index("iso3")[["country", "egdi", "egdi_rank"]]
    .sort_values("egdi", ascending=False)
)
asean.insert(0, "position", range(1, len(asean) + 1))
position = int(asean.loc["VNM", "position"])
rank_latest = int(vnm.loc[latest, "egdi_rank"])
n_countries = int((surveys["survey_year"] == latest).sum())
moved = int(vnm.loc[latest - 2, "egdi_rank"]) - rank_latest
print(
    f"In the {latest} edition Viet Nam ranked {rank_latest} of {n_countries} in the world "
    f"({'up' if moved >= 0 else 'down'} {abs(moved)} places since {latest - 2}) and "
    f"{position} of {len(members)} ASEAN members; ahead of it: "
    f"{', '.join(asean['country'].iloc[: position - 1])}."
)
asean.rename(
    columns={
        "position": L["asean_position"],
        "country": L["country"],
        "egdi": L["egdi"],
        "egdi_rank": L["world_rank"],
    }
).round(4)

# %% [markdown]
# ### The other observations, and what the run was conditioned on
#
# The table lists every observation in the data (`model/data/observations.csv`), with its
# observation error `sd` (one standard deviation) and its source. Only an observation of a
# series the model simulates, inside the simulated years and without random noise in its block,
# can condition the draws; the others inform the priors or give context (the rules are in the
# docstring of `model/core/history.py`). The mid-year reading of a year is superseded by its
# full-year figure, which measures the same dossiers.
#
# **Effective sample size (ESS).** Conditioning weights each draw by how well it reproduces the
# observation and resamples the inputs of the dossier block in proportion. The ESS says how many
# independent draws the weighted ensemble is worth; below the floor the model refuses to run,
# because the prior cannot reproduce what was seen.

# %%
observations = datasets.load_observations()
display(
    observations[
        ["series", "period_start", "period_end", "value", "unit", "sd", "source", "published"]
    ].assign(
        value=observations["value"].map("{:.4g}".format), sd=observations["sd"].map("{:.2g}".format)
    )
)
fully_online = observations[
    (observations["series"] == "admin_fully_online")
    & (observations["period_end"].dt.month == 12)
    & (observations["period_start"].dt.month == 1)
].sort_values("period_end")
last_full = fully_online.iloc[-1]
print(
    f"Dossiers processed fully online, {last_full['period_end'].year}: "
    f"{last_full['value']:.1%} (source: {last_full['source']})"
)
ess = float(ds.attrs["effective_sample_size"])
print(f"Current baseline conditioned on: {ds.attrs['conditioned_on']}")
print(
    f"Effective sample size: {ess:.0f} of {ds.attrs['draws']} draws "
    f"({ess / ds.attrs['draws']:.0%}); floor {float(ds.attrs['ess_floor']):.0f}"
)
print(f"{VINTAGE} vintage conditioned on: {vintage.attrs['conditioned_on']}")

# %% [markdown]
# ## 2. What the 2022 vintage said about the targets now judged
#
# The chart is the 2022 vintage's forecast of Viet Nam's world rank: the 2022 edition is
# observed (no spread), later editions are forecasts. Dashed lines mark the rank targets.

# %%
display(charts.rank_distribution(vintage, LANG))

# %% [markdown]
# The table lists every 2025 target whose indicator has now been observed, in the default set
# and in the Decision 749 set (the rank "by 2025" is the one in force at the end of 2025, the
# 2024 edition; the target files explain the choice). For each: the observed value, met or
# missed, by how much it was missed, and what the 2022 vintage forecast for the same indicator.
#
# **How to read the PIT.** The PIT (probability integral transform) is the share of the
# forecast's draws below the observed value, counting draws equal to it as half. A PIT of 0.5
# means the outcome fell on the forecast's median; near 0 or 1 it was a surprise the forecast
# barely allowed for. For a rank or a position, where a smaller number is better, a PIT below
# 0.5 means Viet Nam did **better** than the forecast's median. One PIT is one outcome: it says
# where the outcome fell, not whether the forecast was calibrated (notebook 04 scores the method
# on many countries and editions).

# %%
target_set = load_targets(TARGETS)
judged_sets = [target_set] + ([load_targets(ALSO_JUDGED)] if ALSO_JUDGED else [])
name = scenario.name
cards = [
    scorecard({name: ds}, targets, vintages={name: vintage}).merge(
        scorecard({name: vintage}, targets)[["target", "median", "low", "high"]],
        on="target",
        suffixes=("", "_vintage"),
    )
    for targets in judged_sets
]
judged_rows = (
    pd.concat(cards)
    .query("status in ['met', 'missed']")
    .drop_duplicates("target")
    .set_index("target")
)
gap = np.where(
    judged_rows["comparison"].str.startswith("<"),
    judged_rows["observed"] - judged_rows["threshold"],
    judged_rows["threshold"] - judged_rows["observed"],
)
judged_rows["missed_by"] = np.where(judged_rows["status"] == "missed", gap, 0)
vintage_table = pd.DataFrame(
    {
        L["target"]: judged_rows[DESCRIPTION],
        L["when"]: judged_rows["when"].str.replace("edition", L["edition"]),
        L["goal"]: judged_rows["comparison"] + " " + judged_rows["threshold"].map("{:g}".format),
        L["observed"]: judged_rows["observed"],
        L["status"]: judged_rows["status"].map(L),
        L["missed_by"]: judged_rows["missed_by"],
        L["vintage_p"].format(v=VINTAGE): judged_rows["vintage_probability"],
        L["vintage_median"].format(v=VINTAGE): [
            shown(m, unit)
            for m, unit in zip(judged_rows["median_vintage"], judged_rows["unit"], strict=True)
        ],
        L["vintage_interval"].format(v=VINTAGE): [
            f"{shown(lo, unit)} – {shown(hi, unit)}"
            for lo, hi, unit in zip(
                judged_rows["low_vintage"],
                judged_rows["high_vintage"],
                judged_rows["unit"],
                strict=True,
            )
        ],
        L["pit"]: judged_rows["vintage_pit"],
    }
)
vintage_table.round(3)

# %%
lines = []
for _, row in judged_rows.iterrows():
    verdict = f"missed by {row['missed_by']:g}" if row["status"] == "missed" else "met"
    lines.append(
        f"- **{row['description']}** ({row['when']}): observed "
        f"{shown(row['observed'], row['unit'])}, {verdict}. The {VINTAGE} vintage gave it "
        f"P(met) = {row['vintage_probability']:.3f}; its median was "
        f"{shown(row['median_vintage'], row['unit'])} and the outcome sat at PIT "
        f"{row['vintage_pit']:.2f}."
    )
display(Markdown("\n".join(lines)))

# %% [markdown]
# The histogram shows the same forecast as a distribution: every draw of the 2022 vintage's
# world rank for the latest observed edition, with the observed rank as a solid line and the
# rank targets judged on that edition as dashed lines. Bars left of the solid line are draws in
# which Viet Nam would have ranked better than it did.

# %%
edition = int(latest)
draws_rank = vintage["egdi_rank"].sel(country="VNM", edition=edition).values.astype(float)
observed_rank = float(vnm.loc[edition, "egdi_rank"])
rank_pit = hindsight.pit(draws_rank, observed_rank)
thresholds = sorted(
    {
        int(row["threshold"])
        for _, row in judged_rows.iterrows()
        if row["indicator"] == "egdi_rank" and row["when"] == f"edition {edition}"
    }
)
fig, ax = plt.subplots(figsize=(7.5, 3.6))
bins = np.arange(draws_rank.min() - 0.5, draws_rank.max() + 1.5)
ax.hist(
    draws_rank, bins=bins, weights=np.full(draws_rank.size, 1 / draws_rank.size), color="#7ea6cf"
)
ax.axvline(
    observed_rank,
    color="#c0392b",
    lw=2,
    label=L["hist_observed"].format(r=f"{observed_rank:.0f}", pit=rank_pit),
)
ax.axvline(
    np.median(draws_rank),
    color="#34495e",
    lw=1,
    ls=":",
    label=L["hist_median"].format(m=np.median(draws_rank)),
)
for n in thresholds:
    ax.axvline(n, color="#777777", lw=1, ls="--")
    ax.annotate(
        L["hist_target"].format(n=n),
        (n, 1),
        xycoords=("data", "axes fraction"),
        xytext=(-2, -4),
        textcoords="offset points",
        ha="right",
        va="top",
        rotation=90,
        fontsize=8,
        color="#555555",
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
    )
ax.set_xlabel(L["hist_x"].format(e=edition))
ax.set_ylabel(L["hist_y"])
ax.set_title(L["hist_title"].format(v=VINTAGE, e=edition), fontsize=10)
ax.legend(loc="upper right", fontsize=8, frameon=False)
fig.tight_layout()
plt.show()
better = float(np.mean(draws_rank < observed_rank))
worse = float(np.mean(draws_rank > observed_rank))
print(
    f"Draws of the {VINTAGE} vintage: {better:.1%} ranked better than the observed "
    f"{observed_rank:.0f}, {1 - better - worse:.1%} equal, {worse:.1%} worse (PIT {rank_pit:.2f})."
)

# %% [markdown]
# ## 3. Targets not observable, or not yet observed
#
# The other 2025 targets have no outcome to judge. The reasons differ and matter for how the
# numbers are read:
#
# * **IT application market.** No official series is published under that name
#   (`outcomes_2022_2024.md` §4): the model's market is its own construction, so its 2025
#   targets stay a forecast and can never be checked against an official figure.
# * **Dossiers processed fully online in 2025.** Measured (the national monitoring system),
#   but no full-year 2025 figure is in the data yet (`outcomes_2022_2024.md` §2).
# * **Work dossiers by level.** No national series by level was located for 2022–2024
#   (`outcomes_2022_2024.md` §2). The district level itself was abolished on 1 Jul 2025 with
#   the move to two-tier local government (`targets_2026_2030.md` §2): a district target for
#   2025 can no longer be observed, and the 2030 district target lapses.
#
# The probability shown is the current baseline's forecast, conditional on the scenario.

# %%
latest_full = int(last_full["period_end"].year)


def why(target, row):
    """Why a 2025 target has no observed outcome, in the language of the labels."""
    if row["status"] == "not observable":
        return L["no_market_series"] if target.indicator.startswith("market") else L[row["status"]]
    if target.level == "district":
        return L["district_gone"]
    if target.level is not None:
        return L["no_level_series"]
    return L["not_yet"].format(year=target.when, latest=latest_full)


card = cards[0].set_index("target")
open_2025 = [
    t
    for t in target_set.targets
    if t.when <= 2025 and card.loc[t.id, "status"] not in ("met", "missed")
]
pd.DataFrame(
    {
        L["target"]: [card.loc[t.id, DESCRIPTION] for t in open_2025],
        L["status"]: [L[card.loc[t.id, "status"]] for t in open_2025],
        L["why"]: [why(t, card.loc[t.id]) for t in open_2025],
        L["p_now"]: [card.loc[t.id, "probability"] for t in open_2025],
        L["median"]: [shown(card.loc[t.id, "median"], t.unit) for t in open_2025],
    },
    index=[t.id for t in open_2025],
).round(3)

# %% [markdown]
# ## 4. The outlook: the 2026 edition and 2030
#
# The current baseline starts from the latest observed edition. The next edition (2026)
# assesses 2025 and carries Resolution 02/NQ-CP of 2026: at least two places up, read as rank
# 69 or better (`targets_2026_2030.md` §1; the arithmetic is the target file's reading). The
# 2030 targets come from Resolutions 57-NQ/TW and 03/NQ-CP and Decisions 942 and 749; a 2030
# rank is checked on the 2030 edition, which reflects 2029 (see `scenarios/targets/`).
#
# The rank chart has the same layout as the one above: boxes hold the central 50 % of draws,
# whiskers 90 %, the number beside each box is the median rank, dashed lines mark the targets.

# %%
display(charts.rank_distribution(ds, LANG))

# %% [markdown]
# Each cell of the heatmap is the probability that Viet Nam holds that position among the ASEAN
# members in that edition; the dashed line marks the target of third place (the 2030 target is
# worded for South-East Asia, which the model counts as the ASEAN members on the edition date,
# eleven from 2026). Third place means overtaking all but two of the members printed ahead of
# Viet Nam in section 1.

# %%
display(charts.asean_position(ds, LANG))

# %% [markdown]
# Work dossiers by level and administrative-procedure dossiers processed fully online, with
# their targets as diamonds. Only the fully-online share has an observation the draws are
# conditioned on; the work-dossier shares have none of their own and move only as far as they
# share inputs with it.

# %%
display(charts.dossier_shares(ds, LANG))

# %% [markdown]
# The outlook table: every target after 2025, P(met) in the current baseline and in the 2022
# vintage (how far observing the years since 2022 moved it), the median and 80 % interval of
# the indicator now.
#
# **Monte-Carlo error.** The draws are a sample, so P(met) carries sampling error; the column
# `MC 95 % interval` is a Wilson interval for it (the error of the estimate, not uncertainty
# about the world). For the rank and position targets it uses the number of draws. For the
# dossier targets it uses the effective sample size, because the inputs of the dossier block
# were resampled to fit the observation and repeat across draws. Probabilities whose intervals
# overlap widely should not be ranked against each other.

# %%
vintage_card = scorecard({name: vintage}, target_set).set_index("target")
later = [t for t in target_set.targets if t.when > 2025]
# a target whose series has ended (the district level after 2025) has no probability: say why
ahead = [t for t in later if np.isfinite(card.loc[t.id, "probability"])]
for t in later:
    if t not in ahead:
        print(f"{card.loc[t.id, DESCRIPTION]}: {card.loc[t.id, 'reason']}")


def mc_interval(p, target):
    """A 95 % Wilson interval of P(met) and the number of draws it rests on."""
    n = int(card.loc[target.id, "draws"]) if target.edition is not None else round(ess)
    ci = binomtest(round(p * n), n).proportion_ci(method="wilson")
    return n, ci.low, ci.high


mc = [mc_interval(card.loc[t.id, "probability"], t) for t in ahead]
outlook = pd.DataFrame(
    {
        L["target"]: [card.loc[t.id, DESCRIPTION] for t in ahead],
        L["when"]: [card.loc[t.id, "when"].replace("edition", L["edition"]) for t in ahead],
        L["p_now"]: [card.loc[t.id, "probability"] for t in ahead],
        L["mc"]: [f"{lo:.2f}–{hi:.2f} (n = {n})" for n, lo, hi in mc],
        L["vintage_p"].format(v=VINTAGE): [vintage_card.loc[t.id, "probability"] for t in ahead],
        L["median"]: [shown(card.loc[t.id, "median"], t.unit) for t in ahead],
        L["interval"]: [
            f"{shown(card.loc[t.id, 'low'], t.unit)} – {shown(card.loc[t.id, 'high'], t.unit)}"
            for t in ahead
        ],
        L["note"]: [L["district_gone"] if t.level == "district" else "" for t in ahead],
    },
    index=[t.id for t in ahead],
)
outlook.round(3)

# %%
first = next((t for t in ahead if t.edition is not None), None)
if first is None:
    print("The target set has no survey target after 2025.")
else:
    p_first = card.loc[first.id, "probability"]
    n_first, lo_first, hi_first = mc_interval(p_first, first)
    print(
        f"{card.loc[first.id, 'description']}: P(met) = {p_first:.2f} from {n_first} draws; "
        f"the Monte-Carlo error alone puts it between {lo_first:.2f} and {hi_first:.2f} (95 %, "
        f"Wilson). Quadrupling the draws roughly halves that interval."
    )

# %% [markdown]
# The whole scorecard as one text table, as the command line prints it (`vnsim run` then
# `vnsim targets`): judged targets show the observed value and, below the table, their source
# and what the 2022 vintage gave them.

# %%
print(
    format_scorecard(
        cards[0].drop(columns=["median_vintage", "low_vintage", "high_vintage"]),
        LANG,
        vintage=VINTAGE,
    )
)

# %% [markdown]
# ## 5. Limits of this reading
#
# * **The 2022 vintage is not the forecast anyone made in 2022.** It uses the data published by
#   the end of 2022 but today's model and today's priors, which were widened after 2023–2024
#   were seen (for instance the market's growth bands). A vintage built this way is
#   out-of-sample in its data, not in its modelling choices, so its PIT is probably kinder than
#   a true 2022 forecast would have been.
# * **One outcome per target.** A PIT places one outcome in one forecast. Whether the model's
#   rank intervals are calibrated is a question for many outcomes: notebook 04 scores the same
#   method on past editions for every country.
# * **The market is not conditioned on anything.** No official series measures the IT
#   application market, so nothing observed narrows its draws; the revenue of the ICT sector
#   and the digital-economy shares in the observation table are evidence for the priors only.
#   Its probabilities are as uncertain as its inputs.
# * **Dossier shares rest on one reading.** The draws are conditioned on a single full-year
#   figure of the fully-online share; work dossiers by level have no series at all, so nothing
#   observed narrows their shares beyond the inputs they share with it (`docs/dossiers.md`).
#   After the 2025 mergers the communes are much larger units, a break in any commune series
#   (`targets_2026_2030.md` §2).
# * **Reading the targets.** A rank "by 2025" is checked on the 2024 edition and a rank "by
#   2030" on the 2030 edition, one year short of the deadline; the 2026 target of two places up
#   is an arithmetic reading of the resolution; the source of the 2025 ASEAN target was not
#   located. The target files in `scenarios/targets/` record each choice and how to change it.
# * **Scenario, not prophecy.** Every probability of a target still ahead holds if the world
#   behaves like the baseline scenario (the plan at the pace seen so far); notebooks 02 and 03
#   show how much other scenarios and lever intensities move them.
