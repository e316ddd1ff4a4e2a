"""Tests of vnsim.blocks.egov: UN normalisation, ranks, levers, reproducibility."""

from __future__ import annotations

import pickle
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from vnsim.blocks import egov
from vnsim.egdi import COMPONENTS, egdi_group, egdi_weights, rank_desc, rescale01
from vnsim.fit import pipeline
from vnsim.uncertainty import Streams


@pytest.fixture(scope="module")
def surveys() -> pd.DataFrame:
    with resources.files("vnsim").joinpath("data/un_egov_surveys.csv").open("rb") as f:
        return pd.read_csv(f)


@pytest.fixture(scope="module")
def model(surveys) -> egov.EgovModel:
    return egov.prepare(surveys, egov.Settings(origin=2022, editions=[2024, 2026]))


def _run(model, streams, shift=None):
    n, c = streams.n_draws, len(model.countries)
    state = egov.start(model, streams)
    out = [egov.observe(model, state)]
    for e in model.settings.editions:
        s = np.zeros((n, c, 3), np.float32) if shift is None else shift
        state = egov.advance(model, state, e, s, streams)
        out.append(egov.observe(model, state))
    return out


@pytest.mark.parametrize("edition", [2012, 2014, 2016, 2018, 2020, 2022])
def test_un_pipeline_reproduces_published_egdi_and_ranks(surveys, edition):
    pub = surveys[surveys["survey_year"] == edition].set_index("iso3")
    # the UN's min-max of its composite is affine, so the z-scores of the published index
    # rebuild it exactly (countries not assessed are published at 0 and take part)
    z = pipeline.zscore(pub[list(COMPONENTS)].to_numpy().T)
    index = rescale01(z, axis=-1)  # (comp, country)
    egdi = egdi_weights(edition) @ index
    ok = pub["egdi"].to_numpy() > 0
    assert np.abs(egdi - pub["egdi"].to_numpy())[ok].max() <= 1e-4
    ranks = rank_desc(egdi[ok])
    published = pub["egdi_rank"].to_numpy()[ok]
    # values rounded to 4 decimals: a rank may differ only by the number of countries within
    # rounding distance (the UN ranks unrounded scores)
    close = (np.abs(egdi[ok][:, None] - egdi[ok][None, :]) <= 2e-4).sum(1) - 1
    assert np.all(np.abs(ranks.astype(int) - published) <= close)
    assert np.mean(ranks == published) > 0.9


def test_observe_at_origin_is_published(model, surveys):
    o = egov.observe(model, egov.start(model, Streams(3, 0, 5)))
    pub = surveys[surveys["survey_year"] == 2022].set_index("iso3").loc[list(model.countries)]
    for k in (*COMPONENTS, "egdi"):
        assert o[k].dtype == np.float32 and o[k].shape == (5, len(model.countries))
        np.testing.assert_array_equal(
            o[k], np.broadcast_to(pub[k].to_numpy(np.float32), o[k].shape)
        )
    np.testing.assert_array_equal(o["egdi_rank"][0], pub["egdi_rank"].to_numpy())
    # 2022: SGP 12, MYS 53, THA 55, BRN 68, IDN 77 ahead of VNM 86 (data/SOURCES.md, press)
    assert set(o["asean_position"]) == {6}


def test_simulated_editions_obey_un_normalisation(model):
    out = _run(model, Streams(5, 0, 40))
    for o in out[1:]:
        for k in COMPONENTS:
            assert o[k].dtype == np.float32
            np.testing.assert_allclose(o[k].min(1), 0, atol=1e-6)
            np.testing.assert_allclose(o[k].max(1), 1, atol=1e-6)
        np.testing.assert_allclose(o["egdi"], (o["osi"] + o["tii"] + o["hci"]) / 3, atol=1e-6)
        assert o["egdi_rank"].dtype == np.int16
        n = o["egdi_rank"].shape[1]
        assert np.all(np.sort(o["egdi_rank"], 1) == np.arange(1, n + 1))
        assert o["asean_position"].min() >= 1 and o["asean_position"].max() <= 10


@settings(max_examples=50, deadline=None)
@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 5), st.integers(2, 30)),
        elements=st.floats(-5, 5, width=32),
    )
)
def test_rescale_and_rank_invariants(x):
    if np.any(np.ptp(x, axis=1) == 0):
        return
    r = rescale01(x)
    np.testing.assert_allclose(r.min(1), 0)
    np.testing.assert_allclose(r.max(1), 1)
    ranks = rank_desc(x)
    brute = 1 + (x[:, None, :] > x[:, :, None]).sum(-1)
    np.testing.assert_array_equal(ranks, brute)
    if all(len(np.unique(row)) == row.size for row in x):
        assert np.all(np.sort(ranks, 1) == np.arange(1, x.shape[1] + 1))


def test_positive_shift_raises_vnm(model):
    n, c = 300, len(model.countries)
    v = model.country_index
    base = _run(model, Streams(9, 0, n))
    shift = np.zeros((n, c, 3), np.float32)
    shift[:, v, 0] = 0.1  # +0.1 OSI points
    lifted = _run(model, Streams(9, 0, n), shift)
    for b, lft in zip(base[1:], lifted[1:], strict=True):
        assert np.all(lft["osi"][:, v] >= b["osi"][:, v])
        assert lft["osi"][:, v].mean() > b["osi"][:, v].mean() + 0.05
        assert lft["egdi"][:, v].mean() > b["egdi"][:, v].mean()
        assert lft["egdi_rank"][:, v].mean() < b["egdi_rank"][:, v].mean() - 3
        assert np.all(lft["asean_position"] <= b["asean_position"])


def test_same_seed_identical_and_chunk_invariant(model):
    full = _run(model, Streams(21, 0, 300))
    again = _run(model, Streams(21, 0, 300))
    parts = [_run(model, Streams(21, a, b)) for a, b in ((0, 100), (100, 300))]
    other = _run(model, Streams(22, 0, 300))
    for f, g, p1, p2 in zip(full, again, *parts, strict=True):
        for k in f:
            np.testing.assert_array_equal(f[k], g[k])
            np.testing.assert_array_equal(f[k], np.concatenate([p1[k], p2[k]]))
    assert not np.array_equal(full[-1]["egdi"], other[-1]["egdi"])


def test_model_is_picklable_and_prepare_deterministic(model, surveys):
    again = egov.prepare(surveys, model.settings)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.fit.drift == again.fit.drift
    for k, o in again.fit.order.items():
        for name, value in vars(o).items():
            np.testing.assert_array_equal(getattr(restored.fit.order[k], name), value)
    np.testing.assert_array_equal(restored.fit.residual, again.fit.residual)


def test_settings_validation():
    with pytest.raises(pydantic.ValidationError):
        egov.Settings(unknown=1)
    with pytest.raises(pydantic.ValidationError):
        egov.Settings(origin=2022, editions=[2022, 2024])
    assert egov.Settings(asean=["THA", "VNM", "TLS"]).asean[-1] == "TLS"


def test_egdi_group_thresholds():
    g = egdi_group(np.array([0.0, 0.2499, 0.25, 0.5, 0.7499, 0.75, 1.0]))
    assert list(g) == ["low", "low", "middle", "high", "high", "very high", "very high"]


def test_tii_per_unit_is_the_pipeline_derivative(surveys):
    """One more unit of an indicator for one country moves the rebuilt TII by the stated
    amount (finite difference through the UN pipeline at the origin's data year)."""
    model = egov.prepare(surveys, egov.Settings(origin=2024), end_year=2030)
    frames = egov.subindicators(None)
    tables = {k: frames[k] for k in pipeline.TII_CAPS}
    table = pipeline.fill_median(pipeline.indicator_table(tables, model.countries, 2022))
    table = table.to_numpy(float).T
    v, checked = model.country_index, 0
    for i, (name, cap) in enumerate(pipeline.TII_CAPS.items()):
        if table[i, v] + 1 > (cap or np.inf) or table[i, v] + 1 >= table[i].max():
            continue  # at the cap or the maximum the derivative is not the linear one
        up = table.copy()
        up[i, v] += 1.0
        change = pipeline.tii(up)[v] - pipeline.tii(table)[v]
        assert change == pytest.approx(model.tii_points(name), rel=0.02), name
        checked += 1
        # an assumed sd twice the data's halves the points
        assert model.tii_points(name, 2 * model.tii_sd[name]) == pytest.approx(
            model.tii_points(name) / 2
        )
    assert checked >= 3  # Viet Nam's mobile-cellular subscriptions are above the 120 cap


# --- the origin is the latest observed edition -----------------------------------------------

SHIPPED = ("baseline", "accelerated", "stalled")


def _run_shipped(name: str, out, draws: int = 16):
    import xarray as xr
    from vnsim.cli import main
    from vnsim.datasets import shipped_scenarios

    scenario = str(shipped_scenarios() / f"{name}.yaml")
    assert main(["run", scenario, "--draws", str(draws), "--out", str(out), "--quiet"]) == 0
    return xr.open_dataset(out / "ensemble.nc", engine="h5netcdf")


def test_shipped_scenarios_start_at_the_latest_observed_edition(tmp_path):
    from vnsim import datasets

    origin = datasets.latest_edition()
    assert origin == 2024  # the packaged data run to the 2024 edition
    ds = _run_shipped("baseline", tmp_path / "r", draws=32)
    assert list(ds.edition.values) == [2024, 2026, 2028, 2030]
    assert (ds.egdi_rank.sel(country="VNM", edition=2024) == 71).all()  # observed, every draw
    assert ds.attrs["data_editions"] == "2003–2024"


def test_a_newer_edition_added_by_the_user_becomes_the_origin(tmp_path, monkeypatch):
    """A synthetic 2026 edition (tests/fixtures/data, made from 2024 with noise, not real data)
    added with `vnsim data add` makes every shipped scenario start from it, unedited."""
    from vnsim.cli import main

    monkeypatch.setenv("VNSIM_DATA_HOME", str(tmp_path / "home"))
    path = Path(__file__).parent / "fixtures" / "data" / "EGOV_DATA_2026.csv"
    assert main(["data", "add", str(path)]) == 0
    for name in SHIPPED:
        ds = _run_shipped(name, tmp_path / name)
        assert list(ds.edition.values) == [2026, 2028, 2030], name
        assert ds.attrs["data_editions"] == "2003–2026"
        assert np.ptp(ds.egdi_rank.sel(country="VNM", edition=2026).values) == 0  # observed


def test_asean_counts_its_members_on_each_edition_date(surveys):
    model = egov.prepare(surveys, egov.Settings(origin=2024), end_year=2030)
    sizes = {e: len(m) for e, m in model.asean_index.items()}
    assert sizes == {2024: 10, 2026: 11, 2028: 11, 2030: 11}  # Timor-Leste from 26 Oct 2025
    tls = model.countries.index("TLS")
    assert tls in model.asean_index[2026] and tls not in model.asean_index[2024]


def test_an_observed_edition_listed_as_simulated_is_refused_with_the_fix(surveys):
    from vnsim.datasets import EditionError

    with pytest.raises(EditionError, match=r"already observed.*Fix: remove egov\.editions"):
        egov.prepare(surveys, egov.Settings(editions=[2024, 2026]), end_year=2030)


def test_lever_years_already_seen_by_the_origin_are_not_counted_again(surveys):
    """The observed origin edition already holds the policy up to origin - lag: a lever's
    effect counts from the year after it, so a 2024 origin sees only 2024 onwards."""
    from vnsim.blocks.block import Effects

    model = egov.prepare(surveys, egov.Settings(origin=2024), end_year=2030)
    years = np.arange(2022, 2031)
    # one index point a year on VNM's OSI to 2023, two from 2024 (the effort doubles)
    paths = np.where(years >= 2024, 2.0, 1.0)[None, :, None]
    shift, raw = egov.lever_shift(model, Effects(years, (("egov.osi", "VNM"),), paths), 2026)
    vnm = model.countries.index("VNM")
    # edition 2026 sees policy to 2025: the years 2024 and 2025, each one point beyond the
    # effort of 2023, which the 2024 edition already holds
    assert shift[0, vnm, 0] == pytest.approx(2.0) and raw is None
    assert np.count_nonzero(shift) == 1


def test_keeping_the_usual_effort_adds_nothing_and_cutting_it_subtracts(surveys):
    """Levers count only the effort beyond the one in force when the origin was assessed: the
    history and the fitted dynamics already carry that one."""
    from vnsim.blocks.block import Effects

    model = egov.prepare(surveys, egov.Settings(origin=2024), end_year=2030)
    years = np.arange(2022, 2031)
    keys = (("egov.tii", "VNM"), ("egov.fixed_broadband_per100", "VNM"))
    steady = np.ones((1, len(years), 2))
    shift, raw = egov.lever_shift(model, Effects(years, keys, steady), 2030)
    assert not shift.any() and not raw.any()
    cut = np.where(years >= 2025, 0.5, 1.0)[None, :, None].repeat(2, axis=2)
    shift, raw = egov.lever_shift(model, Effects(years, keys, cut), 2030)
    vnm = model.countries.index("VNM")
    assert shift[0, vnm, 1] == pytest.approx(-0.5 * 5)  # 2025-2029, seen by the 2030 edition
    # the 2030 edition reads raw indicators of 2028: 2025-2028 below the effort of 2022
    fibre = list(pipeline.TII_CAPS).index("fixed_broadband_per100")
    assert raw[0, fibre, vnm] == pytest.approx(-0.5 * 4)
    assert np.count_nonzero(raw) == 1


def test_a_raw_indicator_lever_moves_the_tii_through_the_pipeline_and_its_cap(model):
    """Fixed broadband per 100 raises Viet Nam's TII and rank; mobile-cellular subscriptions
    above the UN's 120 cap (Viet Nam: about 130 per 100) gain nothing."""
    n, c = 200, len(model.countries)
    v, zero = model.country_index, np.zeros((n, c, 3), np.float32)
    k = {name: i for i, name in enumerate(pipeline.TII_CAPS)}

    def run(indicator=None, amount=0.0):
        streams = Streams(4, 0, n)
        state = egov.start(model, streams)
        raw = np.zeros((n, 4, c), np.float32)
        if indicator:
            raw[:, k[indicator], v] = amount
        return egov.observe(model, egov.advance(model, state, 2024, zero, streams, raw))

    base = run()
    fibre = run("fixed_broadband_per100", 5.0)
    mobile = run("mobile_cellular_per100", 5.0)
    assert np.all(fibre["tii"][:, v] > base["tii"][:, v])
    assert fibre["egdi_rank"][:, v].mean() < base["egdi_rank"][:, v].mean()
    # the same in every draw but the few whose revision error takes the 2022 value (138 per
    # 100) below the cap
    assert np.mean(mobile["tii"][:, v] == base["tii"][:, v]) > 0.9


def test_published_itu_data_of_the_next_data_year_are_used_in_a_run(tmp_path, monkeypatch):
    """ITU values of 2024 put in the data folder (test-made: every country's latest value
    again, Viet Nam's fixed broadband at 60 per 100) are the data year of the 2026 edition:
    the shipped baseline uses them as published, so Viet Nam's 2026 TII rises."""
    from vnsim import datasets

    tii = {}
    for case in ("packaged", "with 2024"):
        home = tmp_path / case
        home.mkdir()
        monkeypatch.setenv("VNSIM_DATA_HOME", str(home))
        if case == "with 2024":
            for name in pipeline.TII_CAPS:
                f = datasets.load_subindicator(name)
                latest = f.sort_values("year").groupby("iso3").tail(1)
                made = latest[latest["year"] < 2024].assign(year=2024)[["iso3", "year", "value"]]
                if name == "fixed_broadband_per100":
                    made.loc[made["iso3"] == "VNM", "value"] = 60.0
                made.to_csv(home / f"subindicator_{name}.csv", index=False)
        ds = _run_shipped("baseline", tmp_path / f"run {case}", draws=64)
        assert ds.attrs["data_version"] == datasets.data_version()
        tii[case] = ds.tii.sel(country="VNM", edition=2026).median().item()
    assert tii["with 2024"] > tii["packaged"] + 0.02
