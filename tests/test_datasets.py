"""Tests of vnsim.datasets: packaged data, validation, UN CSV import and user editions."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vnsim import datasets as ds

FIXTURES = Path(__file__).parent / "fixtures" / "data"
_spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)
EDITIONS = [2003, 2004, 2005, 2008, 2010, 2012, 2014, 2016, 2018, 2020, 2022]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty user data folder, also set as $VNSIM_DATA_HOME."""
    folder = tmp_path / "vnsim_home"
    monkeypatch.setenv("VNSIM_DATA_HOME", str(folder))
    return folder


@functools.cache
def _packaged() -> pd.DataFrame:
    return ds.load_surveys(data_home=Path("/nonexistent/vnsim"))


def packaged(year: int | None = None) -> pd.DataFrame:
    df = _packaged()
    df = df if year is None else df[df["survey_year"] == year]
    return df.reset_index(drop=True).copy()


def write_un(surveys: pd.DataFrame, path: Path) -> Path:
    """Write rows in the UN Data Center layout with UN country names (as the UN does)."""
    path.write_text(make_fixtures.to_un_layout(surveys).to_csv(index=False), encoding="utf-8")
    return path


# --- packaged data -------------------------------------------------------------------------


def test_manifest_checksums_match_packaged_files():
    manifest = json.loads((resources.files("vnsim") / "data" / "manifest.json").read_text())
    for name, entry in manifest["files"].items():
        data = (resources.files("vnsim") / "data" / name).read_bytes().replace(b"\r\n", b"\n")
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
    assert ds.DATA_VERSION.startswith(manifest["version"] + "-")


def test_packaged_surveys_load_and_match_sources(home):
    s = ds.load_surveys()
    assert list(s.columns) == ds.SURVEY_COLUMNS
    assert sorted(s["survey_year"].unique()) == EDITIONS
    assert s["iso3"].nunique() == 193
    sizes = s.groupby("survey_year").size()
    assert sizes.loc[[2003, 2004, 2005]].eq(191).all() and sizes.loc[[2008, 2010]].eq(192).all()
    assert sizes.loc[2012:].eq(193).all()
    vnm = s[s["iso3"] == "VNM"].set_index("survey_year")
    assert vnm.loc[2022, "egdi_rank"] == 86 and vnm.loc[2022, "egdi"] == pytest.approx(0.6787)
    assert vnm.loc[2020, "egdi"] == pytest.approx(0.6667)
    assert vnm.loc[[2014, 2016, 2018], "egdi_rank"].tolist() == [99, 89, 88]
    assert s.equals(s.sort_values(["survey_year", "egdi_rank"], kind="stable", ignore_index=True))
    assert s.groupby("iso3")["country"].nunique().eq(1).all()  # one name per country


def test_internet_users_load(home):
    iu = ds.load_internet_users()
    assert list(iu.columns) == ds.INTERNET_COLUMNS
    vnm = iu[iu["iso3"] == "VNM"].set_index("year")["internet_users_pct"]
    assert vnm.loc[[2020, 2021, 2022]].tolist() == [70.3, 74.21, 78.59]
    assert set(packaged()["iso3"]) <= set(iu["iso3"])
    assert iu["year"].max() == 2022


def test_user_internet_users_cannot_duplicate_packaged_rows(home):
    home.mkdir()
    (home / "itu_internet_users_pct.csv").write_text(
        "iso3,entity,year,internet_users_pct\nVNM,Vietnam,2022,80.0\nVNM,Vietnam,2023,82.0\n"
    )
    with pytest.raises(ds.DataError, match=r"duplicate \(iso3, year\)") as err:
        ds.load_internet_users()
    assert "VNM" in str(err.value)
    (home / "itu_internet_users_pct.csv").write_text(
        "iso3,entity,year,internet_users_pct\nVNM,Vietnam,2023,82.0\n"
    )
    iu = ds.load_internet_users()
    assert iu.loc[(iu["iso3"] == "VNM") & (iu["year"] == 2023), "internet_users_pct"].item() == 82
    assert ds.data_version().startswith(ds.DATA_VERSION + "+userITU.")


def test_user_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("VNSIM_DATA_HOME", str(tmp_path))
    assert ds.user_data_home() == tmp_path
    monkeypatch.delenv("VNSIM_DATA_HOME")
    assert ds.user_data_home().name.lower() == "vnsim"
    inside = Path(str(resources.files("vnsim"))) / "data"
    monkeypatch.setenv("VNSIM_DATA_HOME", str(inside))
    with pytest.raises(ValueError, match="inside the installed package"):
        ds.user_data_home()


# --- validation ----------------------------------------------------------------------------


def _problem(err: pytest.ExceptionInfo, start: str) -> str:
    found = [p for p in err.value.problems if p.startswith(start)]
    assert found, f"no problem starting {start!r} in {err.value.problems}"
    return found[0]


def test_validate_reports_every_problem_with_rows():
    df = packaged(2022)
    df.loc[0, "iso3"] = "dnk"
    df["osi"] = df["osi"].astype(object)
    df.loc[5, "osi"] = "high"
    df.loc[7, "hci"] = -0.2
    df.loc[9, "egdi_rank"] = 500
    df.loc[11, "survey_year"] = 2007
    df.loc[12, "egdi"] = 0.5  # off the mean of its components, and out of rank order
    df = pd.concat([df, df.iloc[[20]]], ignore_index=True)  # duplicate (year, iso3)
    with pytest.raises(ds.DataError) as err:
        ds.validate_surveys(df, "my_file.csv")
    text = str(err.value)
    assert "my_file.csv" in text
    assert "dnk" in _problem(err, "iso3: not 3 upper-case letters")
    assert "high" in _problem(err, "osi: empty or not a number")
    assert "-0.2" in _problem(err, "hci: outside [0, 1]")
    assert "500" in _problem(err, "egdi_rank: not an integer in 1..n")
    assert "2007" in _problem(err, "survey_year: not a UN survey edition")
    assert df.loc[12, "iso3"] in _problem(err, "egdi: differs from the weighted mean")
    assert df.loc[12, "iso3"] in _problem(err, "egdi_rank: order contradicts egdi")
    assert text.count(df.loc[20, "iso3"]) >= 2  # both copies shown
    assert len(err.value.problems) >= 8


def test_validate_missing_column_and_row_cap():
    df = packaged(2022).drop(columns="epi")
    df["tii"] = 1.5
    with pytest.raises(ds.DataError) as err:
        ds.validate_surveys(df, "x.csv")
    assert "['epi']" in _problem(err, "missing column")
    tii = _problem(err, "tii: outside [0, 1]")
    assert "(193 row(s))" in tii and f"... and {193 - ds.MAX_ROWS_SHOWN} more row(s)" in tii


def test_validate_accepts_published_exceptions_only_where_published():
    s = packaged()
    assert ds.validate_surveys(s, "packaged").shape == s.shape  # 2008/2010 weights, EGDI=0 rows
    moved = s.copy()
    # Cameroon's 2008 gap from the formula is a published exception; the same gap in 2022 is not.
    cmr22 = (moved["survey_year"] == 2022) & (moved["iso3"] == "CMR")
    moved.loc[cmr22, "osi"] = moved.loc[cmr22, "osi"] + 0.036
    with pytest.raises(ds.DataError, match="weighted mean") as err:
        ds.validate_surveys(moved, "x")
    assert "CMR" in _problem(err, "egdi: differs")


@settings(max_examples=40, deadline=None)
@given(
    row=st.integers(0, 192),
    col=st.sampled_from(ds.INDEX_COLUMNS),
    value=st.one_of(st.floats(-10, -1e-6), st.floats(1 + 1e-6, 10)),
)
def test_any_index_outside_unit_interval_is_reported_with_its_row(row, col, value):
    df = packaged(2022)
    df.loc[row, col] = value
    with pytest.raises(ds.DataError) as err:
        ds.validate_surveys(df, "corrupt.csv")
    problem = _problem(err, f"{col}: outside [0, 1]")
    assert "(1 row(s))" in problem and df.loc[row, "iso3"] in problem


# --- UN CSV import -------------------------------------------------------------------------


def test_un_csv_round_trip_of_2022(tmp_path):
    p22 = packaged(2022)
    path = write_un(p22, tmp_path / "EGOV_DATA_2022.csv")
    assert "Georgia (Country)" in path.read_text(encoding="utf-8")
    back = ds.read_un_csv(path)
    pd.testing.assert_frame_equal(back, p22)


def test_un_csv_year_from_file_name_and_mismatch(tmp_path):
    un = pd.read_csv(FIXTURES / "EGOV_DATA_2024.csv", encoding="utf-8-sig")
    un.columns = un.columns.str.strip()
    un.drop(columns="Survey Year").to_csv(tmp_path / "EGOV_DATA_2024.csv", index=False)
    assert set(ds.read_un_csv(tmp_path / "EGOV_DATA_2024.csv")["survey_year"]) == {2024}
    un.to_csv(tmp_path / "EGOV_DATA_2026.csv", index=False)
    with pytest.raises(ds.DataError, match=r"differs from the file name \(2026\)"):
        ds.read_un_csv(tmp_path / "EGOV_DATA_2026.csv")


def test_un_fixture_with_bom_crlf_and_padded_names_reads():
    s = ds.read_un_csv(FIXTURES / "EGOV_DATA_2024.csv")
    assert len(s) == 193 and set(s["survey_year"]) == {2024}
    assert set(s["iso3"]) == set(packaged(2022)["iso3"])
    assert s.loc[s["iso3"] == "GEO", "country"].item() == "Georgia"
    assert s.loc[s["iso3"] == "VNM", "subregion"].item() == "South-eastern Asia"


@pytest.mark.parametrize(
    ("fault", "problem", "shown"),
    [
        ("missing_column", "missing column(s) ['Human Capital Index']", "Online Service Index"),
        ("text_in_number", "osi: empty or not a number", "n.a."),
        ("duplicate_country", "duplicate (survey_year, iso3)", "EST"),
        ("out_of_range", "tii: outside [0, 1]", "SWE"),
        ("unknown_country", "country: unknown name 'Denmrak' on line 4", "['Denmark']"),
        ("rank_range", "egdi_rank: not an integer in 1..n", "FIN"),
    ],
)
def test_broken_un_files_are_refused_with_rows_shown(fault, problem, shown, home):
    path = FIXTURES / f"EGOV_DATA_2024_broken_{fault}.csv"
    with pytest.raises(ds.DataError) as err:
        ds.add_edition(path)
    assert str(path) in str(err.value)
    assert shown in _problem(err, problem)
    assert not (home / "surveys").exists() or not list((home / "surveys").iterdir())


# --- user editions -------------------------------------------------------------------------


def test_add_edition_then_load_list_and_version(home):
    before = ds.data_version()
    assert before == ds.DATA_VERSION
    target = ds.add_edition(FIXTURES / "EGOV_DATA_2024.csv")
    assert target.parent == home / "surveys" and target.exists()
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp file left
    s = ds.load_surveys()
    assert sorted(s["survey_year"].unique()) == [*EDITIONS, 2024]
    s24 = s[s["survey_year"] == 2024].reset_index(drop=True)
    pd.testing.assert_frame_equal(s24, ds.read_un_csv(FIXTURES / "EGOV_DATA_2024.csv"))
    editions = ds.list_editions()
    assert editions.iloc[-1].to_dict() == {
        "edition": 2024, "countries": 193, "origin": "user", "path": str(target),
    }  # fmt: skip
    assert (editions["origin"] == "packaged").sum() == len(EDITIONS)
    after = ds.data_version()
    assert after != before and after.startswith(before + "+user2024.")


def test_add_edition_refuses_duplicates_unless_replace(home, tmp_path):
    ds.add_edition(FIXTURES / "EGOV_DATA_2024.csv")
    version = ds.data_version()
    with pytest.raises(FileExistsError, match="already added"):
        ds.add_edition(FIXTURES / "EGOV_DATA_2024.csv")
    changed = pd.read_csv(FIXTURES / "EGOV_DATA_2024.csv", encoding="utf-8-sig")
    changed.columns = changed.columns.str.strip()
    changed["E-Participation Index"] = (changed["E-Participation Index"] * 0.9).round(4)
    changed.to_csv(tmp_path / "EGOV_DATA_2024.csv", index=False)
    ds.add_edition(tmp_path / "EGOV_DATA_2024.csv", replace=True)
    assert ds.data_version() != version
    with pytest.raises(FileExistsError, match="packaged"):
        ds.add_edition(write_un(packaged(2022), tmp_path / "EGOV_DATA_2022.csv"), replace=True)


def test_load_surveys_checks_user_files(home):
    (home / "surveys").mkdir(parents=True)
    bad = packaged(2022).assign(survey_year=2024)
    bad.loc[3, "osi"] = 7.0
    bad.to_csv(home / "surveys" / "un_egov_2024.csv", index=False)
    with pytest.raises(ds.DataError, match=r"un_egov_2024\.csv") as err:
        ds.load_surveys()
    assert bad.loc[3, "iso3"] in _problem(err, "osi: outside [0, 1]")
    (home / "surveys" / "un_egov_2024.csv").unlink()
    packaged(2022).to_csv(home / "surveys" / "un_egov_2022.csv", index=False)
    with pytest.raises(ds.DataError, match="packaged and cannot be replaced"):
        ds.load_surveys()
