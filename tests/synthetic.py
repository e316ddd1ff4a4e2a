"""Small deterministic results Datasets that follow the results contract, for chart tests.

The values are synthetic (not model output): 2022 EGDI components are the observed UN 2022
values from the packaged data, later editions follow a per-scenario drift plus random shocks,
and ranks are counted against the 2022 EGDI of every other member state (shifted by a common
drift), so Viet Nam's world rank starts at its observed 86. Market and dossier paths are
smooth curves with per-draw shocks. Randomness comes from :class:`vnsim.uncertainty.Streams`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import vnsim
import xarray as xr
from vnsim.uncertainty import Streams

ASEAN = ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM")
EXTRA = ("DNK", "KOR", "EST")
LEVELS = ("ministry_province", "district", "commune")
LEVERS = ("broadband_subsidy", "online_services_programme")
INPUTS = ("market_base_usd_bn", "market_growth_mean", "osi_effect")
EDITIONS = np.arange(2022, 2031, 2)
YEARS = np.arange(2022, 2031)
DISTRICT_LAST_YEAR = 2025

#: Per-scenario drifts: (VNM index points per edition, market growth share/yr, dossier speed).
SCENARIOS = {
    "baseline": (0.020, 0.17, 0.45),
    "accelerated": (0.035, 0.24, 0.70),
    "stalled": (0.008, 0.10, 0.25),
}


def _survey_2022() -> pd.DataFrame:
    path = Path(vnsim.__file__).parent / "data" / "un_egov_surveys.csv"
    table = pd.read_csv(path)
    return table[table["survey_year"] == 2022].set_index("iso3")


def synthetic_run(scenario: str = "baseline", draws: int = 40, seed: int = 2022) -> xr.Dataset:
    """A results Dataset for ``scenario`` with every contract variable, coordinate and attr."""
    vnm_drift, growth, speed = SCENARIOS[scenario]
    survey = _survey_2022()
    vnm_rank = survey.loc["VNM", "egdi_rank"]
    above = survey[survey["egdi_rank"] < vnm_rank].sort_values("egdi_rank").index[-5:]
    countries = np.array(sorted({*ASEAN, *EXTRA, *above}))
    streams = Streams(seed, 0, draws)
    n_ed, n_c = len(EDITIONS), len(countries)
    drift = np.where(countries == "VNM", vnm_drift, 0.012)

    comps = {}
    for var in ("osi", "tii", "hci"):
        base = survey.loc[countries, var].to_numpy()
        shocks = 0.015 * streams.normal(f"synthetic.{var}", (n_ed - 1, n_c))
        steps = np.concatenate([np.zeros((draws, 1, n_c)), drift + shocks], axis=1)
        comps[var] = np.clip(base + np.cumsum(steps, axis=1), 0, 1).astype("float32")
    egdi = ((comps["osi"] + comps["tii"] + comps["hci"]) / 3).astype("float32")

    others = survey.loc[~survey.index.isin(countries), "egdi"].to_numpy()
    world = others[None, :] + 0.012 * np.arange(n_ed)[:, None]  # (edition, other)
    better_in_set = (egdi[:, :, None, :] > egdi[:, :, :, None]).sum(axis=-1)
    better_outside = (world[None, :, None, :] > egdi[..., None]).sum(axis=-1)
    egdi_rank = (1 + better_in_set + better_outside).astype("int16")
    asean_idx = np.isin(countries, ASEAN)
    vnm = countries == "VNM"
    asean_position = (1 + (egdi[:, :, asean_idx] > egdi[:, :, vnm]).sum(axis=-1)).astype("int16")

    t = YEARS - YEARS[0]
    rates = growth + 0.04 * streams.normal("synthetic.growth_mean")[:, None]
    rates = rates + 0.03 * streams.normal("synthetic.growth_shock", (len(YEARS) - 1,))
    base_market = 13.0 * np.exp(0.08 * streams.normal("synthetic.market_base"))
    market = base_market[:, None] * np.concatenate(
        [np.ones((draws, 1)), np.cumprod(1 + rates, axis=1)], axis=1
    )
    market_growth = np.full_like(market, np.nan)
    market_growth[:, 1:] = market[:, 1:] / market[:, :-1] - 1

    start = np.array([0.55, 0.40, 0.22])
    pace = speed * np.exp(0.25 * streams.normal("synthetic.dossier_pace"))  # (draw,)
    logit0 = np.log(start / (1 - start))
    dossiers = 1 / (1 + np.exp(-(logit0[None, None, :] + pace[:, None, None] * t[None, :, None])))
    admin = 1 / (1 + np.exp(-(np.log(0.2 / 0.8) + 0.9 * pace[:, None] * t[None, :])))
    # as in real runs, the district level ends with its abolition in 2025 (two-tier reform)
    dossiers[:, YEARS > DISTRICT_LAST_YEAR, LEVELS.index("district")] = np.nan

    ramp = np.clip((YEARS - 2023) / 3, 0, 1)
    intensity = np.broadcast_to(ramp[None, :, None], (draws, len(YEARS), len(LEVERS))).copy()
    fired = streams.uniform("synthetic.trigger", (len(LEVERS),)) < 0.4
    trigger_year = np.where(
        fired, 2024 + streams.integers("synthetic.trigger_year", 5, (len(LEVERS),)), -1
    ).astype("int16")
    inputs = streams.uniform("synthetic.inputs", (len(INPUTS),))

    def var(dims, data, units, description):
        return xr.Variable(dims, data, {"units": units, "description": description})

    de, dy = ("draw", "edition", "country"), ("draw", "year")
    return xr.Dataset(
        {
            "market_size": var(dy, market, "USD bn", "IT application market"),
            "market_growth": var(dy, market_growth, "share/yr", "growth over previous year"),
            "osi": var(de, comps["osi"], "index 0-1", "Online Service Index"),
            "tii": var(de, comps["tii"], "index 0-1", "Telecommunication Infrastructure Index"),
            "hci": var(de, comps["hci"], "index 0-1", "Human Capital Index"),
            "egdi": var(de, egdi, "index 0-1", "E-Government Development Index"),
            "egdi_rank": var(de, egdi_rank, "rank (1 = best)", "EGDI world rank"),
            "asean_position": var(
                ("draw", "edition"), asean_position, "rank (1 = best)", "VNM position in ASEAN"
            ),
            "dossiers_online": var(
                (*dy, "level"), dossiers, "share 0-1", "work dossiers processed online"
            ),
            "admin_fully_online": var(
                dy, admin, "share 0-1", "admin-procedure dossiers processed fully online"
            ),
            "lever_intensity": var((*dy, "lever"), intensity, "intensity", "lever intensity"),
            "trigger_fired": var(("draw", "lever"), fired, "", "trigger fired"),
            "trigger_year": var(("draw", "lever"), trigger_year, "year", "-1 = did not fire"),
            "inputs": var(("draw", "input"), inputs, "", "sampled uncertain inputs"),
        },
        coords={
            "draw": np.arange(draws),
            "year": YEARS,
            "edition": EDITIONS,
            "country": countries,
            "level": list(LEVELS),
            "lever": list(LEVERS),
            "input": list(INPUTS),
        },
        attrs={
            "scenario": scenario,
            "scenario_file": f"scenarios/{scenario}.yaml",
            "scenario_hash": "3f9a1c27e5b04d6a",
            "seed": seed,
            "draws": draws,
            "sampler": "monte_carlo",
            "data_version": "2024.1",
            "data_editions": "2003–2022",
            "package_version": "0.1.0",
            "created": "2025-01-01T00:00:00+00:00",
        },
    )


def synthetic_scorecard(datasets: dict[str, xr.Dataset]) -> pd.DataFrame:
    """P(target met) per scenario, counted over the synthetic draws (not model output)."""
    rows = []
    for name, ds in datasets.items():
        vnm_rank = ds["egdi_rank"].sel(country="VNM")
        checks = {
            "egdi_top50_2026": (
                "EGDI world rank ≤ 50 (2026 edition)",
                "Thứ hạng EGDI ≤ 50 (kỳ 2026)",
                vnm_rank.sel(edition=2026) <= 50,
            ),
            "egdi_top30_2030": (
                "EGDI world rank ≤ 30 (2030 edition)",
                "Thứ hạng EGDI ≤ 30 (kỳ 2030)",
                vnm_rank.sel(edition=2030) <= 30,
            ),
            "asean_top3_2026": (
                "Top 3 in ASEAN (2026 edition)",
                "Top 3 ASEAN (kỳ 2026)",
                ds["asean_position"].sel(edition=2026) <= 3,
            ),
            "market_25bn_2025": (
                "IT application market ≥ 25 bn USD in 2025",
                "Thị trường ứng dụng CNTT ≥ 25 tỷ USD năm 2025",
                ds["market_size"].sel(year=2025) >= 25,
            ),
            "admin_online_80_2025": (
                "Admin dossiers fully online ≥ 80% in 2025",
                "Hồ sơ TTHC trực tuyến toàn trình ≥ 80% năm 2025",
                ds["admin_fully_online"].sel(year=2025) >= 0.8,
            ),
            "commune_60_2025": (
                "Commune work dossiers online ≥ 60% in 2025",
                "Hồ sơ công việc cấp xã trực tuyến ≥ 60% năm 2025",
                ds["dossiers_online"].sel(year=2025, level="commune") >= 0.6,
            ),
        }
        for target, (desc, desc_vi, met) in checks.items():
            rows.append(
                {
                    "scenario": name,
                    "target": target,
                    "description": desc,
                    "description_vi": desc_vi,
                    "probability": float(met.mean()),
                }
            )
    frame = pd.DataFrame(rows)
    first = next(iter(datasets.values())).attrs
    frame.attrs = {k: first[k] for k in ("package_version", "seed", "draws", "data_editions")}
    return frame


def synthetic_sensitivity() -> pd.DataFrame:
    """Sobol indices of the Ishigami function (SALib), a known analytic sensitivity case."""
    from SALib.analyze import sobol
    from SALib.sample import sobol as sobol_sample
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": list(INPUTS), "bounds": [[-np.pi, np.pi]] * 3}
    x = sobol_sample.sample(problem, 256, seed=7)
    result = sobol.analyze(problem, Ishigami.evaluate(x), seed=7)
    frame = pd.DataFrame(
        {
            "input": list(INPUTS),
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
            "output": "market_size",
        }
    )
    frame.attrs = {"package_version": "0.1.0", "seed": 7, "draws": len(x)}
    return frame
