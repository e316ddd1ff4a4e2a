"""Target files, attainment and the scorecard, on small Datasets built to the results contract."""

from __future__ import annotations

import json
import operator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import vnsim
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from vnsim.analysis.scorecard import (
    SCORECARD_COLUMNS,
    NotMeasured,
    attainment,
    indicator_values,
    met,
    scorecard,
    scorecard_to_json,
)
from vnsim.datasets import shipped_scenarios
from vnsim.present.tables import format_scorecard, write_scorecard
from vnsim.spec.documents import DocumentError
from vnsim.spec.targets import (
    DEFAULT_SETS,
    DEFAULT_TARGETS,
    INDICATORS,
    TARGET_SETS,
    Target,
    TargetSet,
    combined,
    load_targets,
    target_file,
    targets_json_schema,
)

FIXTURES = Path(__file__).parent / "fixtures" / "targets"
COUNTRIES = ["DNK", "SGP", "THA", "VNM"]
LEVELS = ["ministry_province", "district", "commune"]


def contract_run(draws: int = 100, seed: int = 0, editions=(2022, 2024, 2026)) -> xr.Dataset:
    """A Dataset with the contract's variables and known values per draw.

    market_size in 2025 is 20 + 0.1·draw (so P(>= 25) is known exactly), Viet Nam's EGDI rank in
    the last edition is 1 + draw (P(<= 50) = 0.5 at 100 draws), the other countries' ranks are
    constant, and dossier shares rise with the level index and the draw.
    """
    rng = np.random.default_rng(seed)
    years = np.arange(2022, 2031)
    d = np.arange(draws)
    market = np.empty((draws, years.size))
    market[:] = 10.0 + (years - 2022) * 3.0
    market[:, years == 2025] = (20 + 0.1 * d)[:, None]
    growth = np.full_like(market, np.nan)
    growth[:, 1:] = market[:, 1:] / market[:, :-1] - 1
    ed = np.array(editions)
    rank = np.zeros((draws, ed.size, len(COUNTRIES)), np.int16)
    rank[:, :, 0], rank[:, :, 1], rank[:, :, 2] = 1, 2, 60
    rank[:, :, 3] = 90
    rank[:, -1, 3] = 1 + d
    egdi = rng.uniform(0.4, 0.9, (draws, ed.size, len(COUNTRIES))).astype("float32")
    dossiers = np.broadcast_to(
        np.minimum(0.3 + 0.2 * np.arange(3)[None, None, :] + 0.004 * d[:, None, None], 1.0),
        (draws, years.size, 3),
    ).copy()
    admin = np.tile(np.linspace(0.1, 0.9, draws)[:, None], (1, years.size))
    asean = np.where(d < 30, 3, 5)[:, None].repeat(ed.size, 1).astype(np.int16)
    ds = xr.Dataset(
        {
            "market_size": (("draw", "year"), market, {"units": "USD bn", "description": "m"}),
            "market_growth": (("draw", "year"), growth, {"units": "share/yr", "description": "g"}),
            "egdi": (("draw", "edition", "country"), egdi, {"units": "index 0-1"}),
            "egdi_rank": (("draw", "edition", "country"), rank, {"units": "rank (1 = best)"}),
            "asean_position": (("draw", "edition"), asean, {"units": "position"}),
            "dossiers_online": (("draw", "year", "level"), dossiers, {"units": "share 0-1"}),
            "admin_fully_online": (("draw", "year"), admin, {"units": "share 0-1"}),
        },
        coords={"draw": d, "year": years, "edition": ed, "country": COUNTRIES, "level": LEVELS},
        attrs={"scenario": "test", "seed": seed, "draws": draws},
    )
    return ds


def target(**kw) -> Target:
    base = {
        "id": "t",
        "description": "d",
        "description_vi": "đ",
        "indicator": "market_size",
        "comparison": ">=",
        "threshold": 25.0,
        "unit": "USD bn",
        "year": 2025,
        "source": {"decision": "test", "confidence": "V"},
    }
    base.update(kw)
    return Target.model_validate(base)


# --- target files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TARGET_SETS)
def test_shipped_sets_load_from_their_one_copy(name):
    ts = load_targets(name)
    assert ts.name == name
    assert len(ts.ids) == len(set(ts.ids)) >= 1
    path = target_file(name)
    assert path == shipped_scenarios() / "targets" / f"{name}.yaml"
    copies = [p for p in Path(vnsim.__file__).parent.rglob(f"{name}.yaml")]
    assert copies == [], f"a second copy of the target set inside the package: {copies}"
    text = path.read_text(encoding="utf-8")
    assert (
        text.splitlines()[0] == "# yaml-language-server: $schema=../../schema/targets.schema.json"
    )
    # every threshold line carries a comment with its source
    for line in text.splitlines():
        if line.strip().startswith("threshold:"):
            assert "#" in line and "§" in line, line


def test_default_scorecard_is_2025_then_2026_then_2030():
    assert DEFAULT_TARGETS.name == "decision_942_2025.yaml"
    ts = load_targets()
    parts = [load_targets(name) for name in DEFAULT_SETS]
    assert [p.name for p in parts] == ["decision_942_2025", "resolution_02_2026", "targets_2030"]
    assert ts.ids == [i for p in parts for i in p.ids]
    by_id = {t.id: t for t in ts.targets}
    assert by_id["egdi_rank_top50_2025"].threshold == 50
    assert by_id["egdi_rank_top50_2025"].edition == 2024  # the rank in force at the end of 2025
    assert by_id["egdi_rank_up2_2026"].threshold == 69
    ts = parts[0]  # the 2025 targets of Decision 942
    assert by_id["egdi_rank_top50_2025"].country == "VNM"
    assert {t.threshold for t in ts.targets if t.indicator == "market_size"} == {25, 30}
    dossiers = {t.level: t.threshold for t in ts.targets if t.indicator == "dossiers_online"}
    assert dossiers == {"ministry_province": 0.9, "district": 0.8, "commune": 0.6}
    assert by_id["admin_fully_online_80_2025"].threshold == 0.8
    assert by_id["asean_top3_2025"].source.confidence == "U"
    assert load_targets("decision_749_2025")["egdi_rank_top70_2025"].threshold == 70
    later = load_targets("targets_2030")
    assert sorted(t.threshold for t in later.targets if t.indicator == "egdi_rank") == [30, 50]
    assert {t.source.confidence for t in later.targets if t.indicator == "dossiers_online"} == {"V"}
    assert all(
        any("ạ" <= ch <= "ỹ" or ch in "ăâđêôơư" for ch in t.description_vi) for t in ts.targets
    )


def test_target_file_by_name_and_path(tmp_path):
    assert target_file("decision_749_2025.yaml") == target_file("decision_749_2025")
    with pytest.raises(FileNotFoundError, match="did you mean 'decision_942_2025'"):
        target_file("decision_924_2025")
    copy = tmp_path / "mine.yaml"
    copy.write_bytes(DEFAULT_TARGETS.read_bytes())
    assert load_targets(copy).name == "decision_942_2025"


def test_broken_file_reports_every_problem_with_its_line():
    with pytest.raises(DocumentError) as err:
        load_targets(FIXTURES / "broken_targets.yaml")
    where = {(p.line, p.field): p.message for p in err.value.problems}
    assert "did you mean 'threshold'" in where[(12, "targets[0].threshhold")]
    assert "0.9, not 90" in where[(21, "targets[1].threshold")]
    assert "did you mean 'egdi_rank'" in where[(28, "targets[2].indicator")]
    assert (34, "targets[2].source.confidence") in where
    assert "needs 'level'" in where[(35, "targets[3].level")]
    assert "'position', not 'rank'" in where[(50, "targets[4].unit")]
    assert "remove it" in where[(51, "targets[4].year")]
    assert "already used (line 6)" in where[(53, "targets[5].id")]
    assert "broken_targets.yaml:12: targets[0].threshhold" in str(err.value)


def test_json_schema_is_closed():
    schema = targets_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"name", "targets"}


# --- measuring ---------------------------------------------------------------------------------


def test_indicator_values_pick_the_selection():
    ds = contract_run()
    rank = target(
        indicator="egdi_rank",
        country="VNM",
        comparison="<=",
        threshold=50,
        unit="rank",
        year=None,
        edition=2026,
    )
    np.testing.assert_array_equal(indicator_values(ds, rank), 1 + np.arange(100))
    thai = rank.model_copy(update={"country": "THA"})
    assert (indicator_values(ds, thai) == 60).all()
    commune = target(indicator="dossiers_online", level="commune", threshold=0.6, unit="share 0-1")
    np.testing.assert_allclose(
        indicator_values(ds, commune), np.minimum(0.7 + 0.004 * np.arange(100), 1)
    )


def test_attainment_known_values():
    ds = contract_run()
    # market 2025 = 20 + 0.1 d: >= 25 for d >= 50 -> 50 of 100 draws; >= 30 never (max 29.9)
    assert attainment(ds, target(threshold=25)) == pytest.approx(0.5)
    assert attainment(ds, target(threshold=30)) == 0.0
    rank = target(
        indicator="egdi_rank",
        country="VNM",
        comparison="<=",
        threshold=50,
        unit="rank",
        year=None,
        edition=2026,
    )
    assert attainment(ds, rank) == pytest.approx(0.5)
    assert attainment(ds, rank.model_copy(update={"edition": 2024})) == 0.0  # rank 90
    asean = target(
        indicator="asean_position",
        comparison="<=",
        threshold=3,
        unit="position",
        year=None,
        edition=2026,
    )
    assert attainment(ds, asean) == pytest.approx(0.3)
    assert met(ds, asean).dtype == bool


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30),
    threshold=st.floats(0, 100),
    comparison=st.sampled_from([">=", "<=", ">", "<"]),
)
def test_attainment_is_the_share_of_draws_passing(values, threshold, comparison):
    v = np.array(values)
    ds = xr.Dataset(
        {"market_size": (("draw", "year"), v[:, None])},
        coords={"draw": np.arange(v.size), "year": [2025]},
    )
    t = target(comparison=comparison, threshold=threshold)
    ops = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
    assert attainment(ds, t) == pytest.approx(np.mean(ops[comparison](v, threshold)))
    flipped = {">=": "<", "<=": ">", ">": "<=", "<": ">="}[comparison]
    assert attainment(ds, t) + attainment(
        ds, target(comparison=flipped, threshold=threshold)
    ) == pytest.approx(1)


def test_not_measured_reasons():
    ds = contract_run(editions=(2022, 2024))
    with pytest.raises(NotMeasured, match="edition 2026 is not in the run"):
        indicator_values(
            ds,
            target(
                indicator="egdi_rank",
                country="VNM",
                comparison="<=",
                threshold=50,
                unit="rank",
                year=None,
                edition=2026,
            ),
        )
    with pytest.raises(NotMeasured, match="country LAO"):
        indicator_values(
            ds,
            target(
                indicator="egdi_rank",
                country="LAO",
                comparison="<=",
                threshold=50,
                unit="rank",
                year=None,
                edition=2024,
            ),
        )
    with pytest.raises(NotMeasured, match="no variable 'osi'"):
        indicator_values(
            ds,
            target(
                indicator="osi",
                country="VNM",
                threshold=0.5,
                unit="index 0-1",
                year=None,
                edition=2024,
            ),
        )
    with pytest.raises(NotMeasured, match="year 2035"):
        indicator_values(ds, target(year=2035))


# --- scorecard ---------------------------------------------------------------------------------


def sets_2025_2026() -> TargetSet:
    return combined([load_targets("decision_942_2025"), load_targets("resolution_02_2026")])


def test_scorecard_rows_columns_and_missing_targets():
    good, short = (
        contract_run(),
        contract_run(editions=(2022, 2024)).drop_vars("admin_fully_online"),
    )
    ts = sets_2025_2026()
    df = scorecard({"good": good, "short": short}, ts)
    assert list(df.columns) == SCORECARD_COLUMNS
    assert len(df) == 2 * len(ts.targets)
    g = df[df.scenario == "good"].set_index("target")
    assert g.loc["market_25bn_2025", "probability"] == pytest.approx(0.5)
    assert g.loc["market_25bn_2025", "median"] == pytest.approx(20 + 0.1 * 49.5)
    assert g.loc["market_25bn_2025", "low"] == pytest.approx(
        np.quantile(20 + 0.1 * np.arange(100), 0.1)
    )
    assert g.loc["egdi_rank_top50_2025", "when"] == "edition 2024"
    # judged on the observed 2024 edition, whatever the run holds
    assert tuple(g.loc["egdi_rank_top50_2025", ["status", "observed"]]) == ("missed", 71)
    assert g.loc["egdi_rank_up2_2026", "probability"] == pytest.approx(0.69)
    assert g.loc["egdi_rank_up2_2026", "status"] == "forecast"
    assert (g["reason"] == "").all() and g["probability"].notna().all()
    assert (g["low"] <= g["median"]).all() and (g["median"] <= g["high"]).all()
    s = df[df.scenario == "short"].set_index("target")
    assert np.isnan(s.loc["egdi_rank_up2_2026", "probability"])
    assert "edition 2026" in s.loc["egdi_rank_up2_2026", "reason"]
    assert "no variable 'admin_fully_online'" in s.loc["admin_fully_online_80_2025", "reason"]
    assert s.loc["market_25bn_2025", "probability"] == pytest.approx(0.5)


def test_scorecard_skips_missing_draws_and_says_so():
    ds = contract_run()
    ds["market_size"][:10, 3] = np.nan  # year 2025, draws 0-9
    ts = TargetSet(name="m", title="m", title_vi="m", targets=[target(threshold=25)])
    row = scorecard({"x": ds}, ts).iloc[0]
    assert row["draws"] == 90
    assert row["probability"] == pytest.approx(50 / 90)
    assert "10 of 100 draws" in row["reason"]
    ds["market_size"][:, 3] = np.nan
    row = scorecard({"x": ds}, ts).iloc[0]
    assert np.isnan(row["probability"]) and "every draw" in row["reason"]
    with pytest.raises(NotMeasured):
        attainment(ds, ts.targets[0])


def test_write_scorecard_csv_and_xlsx(tmp_path):
    df = scorecard(
        {"good": contract_run(), "short": contract_run(editions=(2022,))}, load_targets()
    )
    paths = write_scorecard(df, tmp_path / "out")
    assert [p.name for p in paths] == ["scorecard.csv", "scorecard.xlsx"]
    # the CSV starts with a BOM (Excel reads it as UTF-8); the XLSX is checked in test_tables
    back = pd.read_csv(paths[0], keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    assert list(back.columns) == SCORECARD_COLUMNS
    np.testing.assert_allclose(back["probability"], df["probability"])
    assert back["description_vi"].tolist() == df["description_vi"].tolist()
    xl = pd.read_excel(paths[1], sheet_name="Scorecard")
    assert len(xl) == len(df)


def test_scorecard_json_and_text():
    df = scorecard(
        {"good": contract_run(), "short": contract_run(editions=(2022,))}, sets_2025_2026()
    )
    doc = scorecard_to_json(df)
    text = json.dumps(doc, allow_nan=False)
    assert json.loads(text)["rows"][0]["target"] == "market_25bn_2025"
    assert any(r["probability"] is None and r["reason"] for r in doc["rows"])
    assert doc["interval"] == 0.8
    en, vi = format_scorecard(df, "en"), format_scorecard(df, "vi")
    assert "P(met)" in en and "50%" in en and "edition 2026" in en and "Notes:" in en
    assert "Xác suất đạt" in vi and "kỳ khảo sát 2026" in vi and "Ghi chú:" in vi
    judged = df["status"].isin(["met", "missed"]).sum()
    not_observable = ((df["status"] == "not observable") & df["probability"].notna()).sum()
    notes = (df["reason"] != "").sum() + not_observable
    assert judged and "Judged after the fact" in en
    assert len(en.splitlines()) == 2 + len(df) + (2 + judged) + (2 + notes)
    with pytest.raises(ValueError):
        format_scorecard(df, "fr")  # type: ignore[arg-type]


def test_every_indicator_has_a_contract_dimension():
    ds = contract_run()
    for name, ind in INDICATORS.items():
        if name in ds:
            assert ind.when in ds[name].dims
            if ind.select:
                assert ind.select in ds[name].dims


def test_broken_file_reports_every_problem_in_vietnamese():
    from vnsim.present.i18n import translator

    with pytest.raises(DocumentError) as err:
        load_targets(FIXTURES / "broken_targets.yaml")
    vi = err.value.report_in(translator("vi")).splitlines()
    assert vi[0] == f"Tìm thấy {len(err.value.problems)} vấn đề:"
    where = f"  {FIXTURES / 'broken_targets.yaml'}"
    for line in [
        f"{where}:12: targets[0].threshhold: khóa không xác định (có phải ý bạn là 'threshold'?)",
        f"{where}:21: targets[1].threshold: admin_fully_online có đơn vị share 0-1 và nằm trong "
        "[0; 1]; 80 nằm ngoài khoảng này (tỷ lệ viết là 0.9, không phải 90) (giá trị đã cho: 80)",
        f"{where}:35: targets[3].level: dossiers_online cần có 'level' (giá trị đã cho: None)",
        f"{where}:53: targets[5].id: id 'rank_typo' đã được dùng (dòng 6); các id không được "
        "trùng nhau",
    ]:
        assert line in vi
    assert not any("did you mean" in line or "Input should" in line for line in vi)


def test_unknown_target_set_in_vietnamese():
    from vnsim.present.i18n import translator

    with pytest.raises(FileNotFoundError) as err:
        target_file("decision_924_2025")
    message = err.value.args[0]
    assert message.render(translator("vi")).startswith(
        "không có bộ mục tiêu 'decision_924_2025' (có phải ý bạn là 'decision_942_2025'?)"
    )
