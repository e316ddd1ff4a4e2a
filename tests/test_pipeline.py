"""The UN pipeline for TII and HCI: pinned on hand-computed values and on the published index."""

import numpy as np
import pandas as pd
import pytest
from vnsim import datasets
from vnsim.fit import pipeline


def test_zscore_uses_population_sd():
    z = pipeline.zscore(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(z, [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])


def test_tii_matches_a_hand_computation_with_the_cap():
    # three countries; mobile 150 is capped at 120, so its z-scores are those of (120, 100, 80)
    raw = np.array(
        [
            [90.0, 60.0, 30.0],  # internet users
            [150.0, 100.0, 80.0],  # mobile cellular
            [100.0, 100.0, 40.0],  # active mobile broadband
            [40.0, 10.0, 1.0],  # fixed broadband
        ]
    )
    cols = (raw[0], np.array([120.0, 100, 80]), raw[2], raw[3])
    z = [(r - r.mean()) / r.std() for r in cols]
    c = np.mean(z, axis=0)
    np.testing.assert_allclose(pipeline.tii(raw), (c - c.min()) / (c.max() - c.min()))


def test_cap_makes_gains_above_120_worthless():
    raw = np.array([[50.0, 70.0, 90.0], [130.0, 90.0, 60.0], [80, 90, 100], [5.0, 10, 30]])
    more = raw.copy()
    more[1, 0] = 180.0
    np.testing.assert_allclose(pipeline.tii(raw), pipeline.tii(more))
    uncapped = pipeline.tii(more, caps=[None] * 4)
    assert not np.allclose(uncapped, pipeline.tii(raw))


def test_hci_weights_literacy_a_third():
    lit = np.array([50.0, 75.0, 100.0])
    other = np.array([[1.0, 0.0, 2.0]] * 3)
    raw = np.vstack([lit, other])
    z_lit = (lit - lit.mean()) / lit.std()
    z_oth = (other[0] - other[0].mean()) / other[0].std()
    c = z_lit / 3 + 2 / 3 * z_oth
    np.testing.assert_allclose(pipeline.hci(raw), (c - c.min()) / (c.max() - c.min()))


def test_pipeline_vectorises_over_draws():
    rng = np.random.default_rng(1)
    raw = rng.uniform(1, 130, (5, 4, 20))
    batched = pipeline.tii(raw)
    for d in range(5):
        np.testing.assert_allclose(batched[d], pipeline.tii(raw[d]))
    assert np.allclose(batched.min(-1), 0) and np.allclose(batched.max(-1), 1)


def test_indicator_table_carries_and_respects_the_vintage():
    f = pd.DataFrame({"iso3": ["A", "A", "B"], "year": [2018, 2020, 2015], "value": [1, 2, 3.0]})
    t = pipeline.indicator_table({"x": f}, ["A", "B", "C"], 2020, carry=3)
    assert t.loc["A", "x"] == 2 and np.isnan(t.loc["B", "x"]) and np.isnan(t.loc["C", "x"])
    t = pipeline.indicator_table({"x": f}, ["A"], 2020, published_through={"x": 2019})
    assert t.loc["A", "x"] == 1
    assert pipeline.fill_median(t.assign(y=[np.nan]), {"y": 7.0}).loc["A", "y"] == 7.0


@pytest.mark.parametrize("edition", [2020, 2022])
def test_rebuilt_indices_correlate_with_the_published(edition):
    """Data year E − 2, countries with every input: the UN's own formula, Pearson ≥ 0.98 / 0.96."""
    surveys = datasets.load_surveys()
    pub = surveys[surveys["survey_year"] == edition].set_index("iso3")
    frames = {k: datasets.load_subindicator(k) for k in pipeline.TII_CAPS}
    t = pipeline.indicator_table(frames, pub.index, edition - 2).dropna()
    tii = pd.Series(pipeline.tii(t.to_numpy().T), t.index)
    assert pipeline.correlation(tii, pub["tii"])["pearson"] > 0.98
    names = ["adult_literacy_pct", "expected_years_schooling", "mean_years_schooling"]
    frames = {k: datasets.load_subindicator(k) for k in names}
    h = pipeline.indicator_table(frames, pub.index, edition - 2, carry_by={names[0]: 20})
    h = h.dropna()
    hci = pd.Series(pipeline.hci(h.to_numpy().T, [1 / 3, 2 / 9, 2 / 9]), h.index)
    r = pipeline.correlation(hci, pub["hci"])
    assert r["pearson"] > 0.96 and r["n"] > 130
