"""Tests of vnsim.datasets: packaged data, validation, UN CSV import and user editions."""

from __future__ import annotations

import datetime as dt
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
from vnsim.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "data"
_spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)
EDITIONS = [2003, 2004, 2005, 2008, 2010, 2012, 2014, 2016, 2018, 2020, 2022, 2024]
#: A synthetic newer edition (tests/fixtures/data/make_fixtures.py), never real data.
SYNTHETIC_2026 = FIXTURES / "EGOV_DATA_2026.csv"


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
    """Packaged survey rows in the file layout (:data:`ds.SURVEY_COLUMNS`, no release date)."""
    df = _packaged()[ds.SURVEY_COLUMNS]
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
    assert list(s.columns) == [*ds.SURVEY_COLUMNS, ds.PUBLISHED]
    assert sorted(s["survey_year"].unique()) == EDITIONS
    assert s["iso3"].nunique() == 193
    sizes = s.groupby("survey_year").size()
    assert sizes.loc[[2003, 2004, 2005]].eq(191).all() and sizes.loc[[2008, 2010]].eq(192).all()
    assert sizes.loc[2012:].eq(193).all()
    vnm = s[s["iso3"] == "VNM"].set_index("survey_year")
    assert vnm.loc[2022, "egdi_rank"] == 86 and vnm.loc[2022, "egdi"] == pytest.approx(0.6787)
    assert vnm.loc[2020, "egdi"] == pytest.approx(0.6667)
    assert vnm.loc[[2014, 2016, 2018], "egdi_rank"].tolist() == [99, 89, 88]
    # 2024 edition (outcomes_2022_2024.md section 1): 71st, EGDI 0.7709, 5th in ASEAN
    assert vnm.loc[2024, "egdi_rank"] == 71 and vnm.loc[2024, "egdi"] == pytest.approx(0.7709)
    assert vnm.loc[2024, ["osi", "hci", "tii"]].tolist() == pytest.approx([0.7081, 0.7267, 0.878])
    assert vnm.loc[2024, "published"] == pd.Timestamp("2024-09-17")
    assert vnm.loc[2022, "published"] == pd.Timestamp("2022-09-28")
    assert s.equals(s.sort_values(["survey_year", "egdi_rank"], kind="stable", ignore_index=True))
    assert s.groupby("iso3")["country"].nunique().eq(1).all()  # one name per country


def test_internet_users_load(home):
    iu = ds.load_internet_users()
    assert list(iu.columns) == [*ds.INTERNET_COLUMNS, ds.PUBLISHED]
    vnm = iu[iu["iso3"] == "VNM"].set_index("year")["internet_users_pct"]
    assert vnm.loc[[2020, 2021, 2022]].tolist() == [70.3, 74.21, 78.59]
    assert set(packaged()["iso3"]) <= set(iu["iso3"])
    assert iu["year"].max() == 2023
    # ITU figures of year Y are taken as published at the end of Y + 1 (series_releases.csv)
    assert (iu["published"] == pd.to_datetime((iu["year"] + 1).astype(str) + "-12-31")).all()
    assert ds.load_internet_users(as_of=2022)["year"].max() == 2021


def test_user_internet_users_cannot_duplicate_packaged_rows(home):
    home.mkdir()
    (home / "itu_internet_users_pct.csv").write_text(
        "iso3,entity,year,internet_users_pct\nVNM,Vietnam,2022,80.0\nVNM,Vietnam,2024,82.0\n"
    )
    with pytest.raises(ds.DataError, match=r"duplicate \(iso3, year\)") as err:
        ds.load_internet_users()
    assert "VNM" in str(err.value)
    (home / "itu_internet_users_pct.csv").write_text(
        "iso3,entity,year,internet_users_pct\nVNM,Vietnam,2024,82.0\n"
    )
    iu = ds.load_internet_users()
    assert iu.loc[(iu["iso3"] == "VNM") & (iu["year"] == 2024), "internet_users_pct"].item() == 82
    assert ds.load_internet_users(as_of=2024)["year"].max() == 2023  # 2024 figures: end of 2025
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
    target = ds.add_edition(SYNTHETIC_2026)
    assert target.parent == home / "surveys" and target.exists()
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp file left
    s = ds.load_surveys()
    assert sorted(s["survey_year"].unique()) == [*EDITIONS, 2026]
    s26 = s[s["survey_year"] == 2026].reset_index(drop=True)
    pd.testing.assert_frame_equal(s26.drop(columns="published"), ds.read_un_csv(SYNTHETIC_2026))
    assert (s26["published"] == pd.Timestamp("2026-12-31")).all()  # default: in its own year
    editions = ds.list_editions()
    assert editions.iloc[-1].to_dict() == {
        "edition": 2026, "countries": 193, "origin": "user", "published": "2026-12-31",
        "path": str(target),
    }  # fmt: skip
    assert (editions["origin"] == "packaged").sum() == len(EDITIONS)
    after = ds.data_version()
    assert after != before and after.startswith(before + "+user2026.")


def test_added_newer_edition_becomes_the_latest_observed(home):
    assert ds.latest_edition() == 2024
    ds.add_edition(SYNTHETIC_2026, published="2026-10-15")
    assert ds.latest_edition() == 2026
    assert ds.observed_editions()[-2:] == [2024, 2026]
    assert ds.latest_edition(as_of=2025) == 2024  # not yet published at the end of 2025
    assert ds.latest_edition(as_of=2026) == 2026
    assert ds.editions_after(ds.latest_edition(), 2030) == [2028, 2030]
    assert ds.list_editions().iloc[-1]["published"] == "2026-10-15"


def test_add_edition_refuses_duplicates_unless_replace(home, tmp_path):
    ds.add_edition(SYNTHETIC_2026)
    version = ds.data_version()
    with pytest.raises(FileExistsError, match="already added"):
        ds.add_edition(SYNTHETIC_2026)
    changed = pd.read_csv(SYNTHETIC_2026, encoding="utf-8-sig")
    changed.columns = changed.columns.str.strip()
    changed["E-Participation Index"] = (changed["E-Participation Index"] * 0.9).round(4)
    changed.to_csv(tmp_path / "EGOV_DATA_2026.csv", index=False)
    ds.add_edition(tmp_path / "EGOV_DATA_2026.csv", replace=True)
    assert ds.data_version() != version
    for year in (2022, 2024):  # packaged editions, 2024 included
        with pytest.raises(FileExistsError, match="packaged"):
            ds.add_edition(write_un(packaged(year), tmp_path / f"EGOV_DATA_{year}.csv"))


@pytest.mark.parametrize("year", [10000, 2102])
def test_add_edition_refuses_a_year_it_could_never_load(home, tmp_path, year):
    un = pd.read_csv(SYNTHETIC_2026, encoding="utf-8-sig")
    un.columns = un.columns.str.strip()
    un["Survey Year"] = year
    un.to_csv(tmp_path / "future_survey.csv", index=False)
    with pytest.raises(ds.DataError, match=f"survey_year {year}: vnsim reads editions 2003-2100"):
        ds.add_edition(tmp_path / "future_survey.csv")
    assert not (home / "surveys").exists()


def test_add_edition_refuses_a_release_before_the_edition_year(home):
    with pytest.raises(ds.DataError, match="before the 2026 edition year"):
        ds.add_edition(SYNTHETIC_2026, published="2025-12-31")
    assert not (home / "surveys").exists()


def test_load_surveys_checks_user_files(home):
    (home / "surveys").mkdir(parents=True)
    bad = packaged(2024).assign(survey_year=2026)
    bad.loc[3, "osi"] = 7.0
    bad.to_csv(home / "surveys" / "un_egov_2026.csv", index=False)
    with pytest.raises(ds.DataError, match=r"un_egov_2026\.csv") as err:
        ds.load_surveys()
    assert bad.loc[3, "iso3"] in _problem(err, "osi: outside [0, 1]")
    packaged(2024).assign(survey_year=2026, published="soon").to_csv(
        home / "surveys" / "un_egov_2026.csv", index=False
    )
    with pytest.raises(ds.DataError, match="published: not a date"):
        ds.load_surveys()
    (home / "surveys" / "un_egov_2026.csv").unlink()
    packaged(2022).to_csv(home / "surveys" / "un_egov_2022.csv", index=False)
    with pytest.raises(ds.DataError, match="packaged and cannot be replaced"):
        ds.load_surveys()


# --- vintages and editions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "latest"), [(2022, 2022), (2023, 2022), (2024, 2024), (2025, 2024), (None, 2024)]
)
def test_vintage_keeps_editions_published_by_the_end_of_the_year(home, as_of, latest):
    s = ds.load_surveys(as_of=as_of)
    assert s["survey_year"].max() == latest == ds.latest_edition(as_of)
    assert ds.observed_editions(as_of) == [e for e in EDITIONS if e <= latest]
    if as_of is not None:
        assert (s["published"] <= pd.Timestamp(as_of, 12, 31)).all()


@settings(max_examples=12, deadline=None)
@given(a=st.integers(2000, 2026), b=st.integers(2000, 2026))
def test_a_later_vintage_sees_everything_an_earlier_one_saw(a, b):
    early, late = sorted((a, b))
    assert set(ds.observed_editions(early, Path("/nonexistent"))) <= set(
        ds.observed_editions(late, Path("/nonexistent"))
    )
    obs_early = ds.load_observations(early, latest=False)
    obs_late = ds.load_observations(late, latest=False)
    keys = ["series", "period_end", "published"]
    assert set(map(tuple, obs_early[keys].to_numpy())) <= set(map(tuple, obs_late[keys].to_numpy()))
    assert (obs_early["published"] <= pd.Timestamp(early, 12, 31)).all()
    ger_early = ds.load_subindicator("gross_enrolment_tertiary_pct", early)
    assert len(ger_early) <= len(ds.load_subindicator("gross_enrolment_tertiary_pct", late))


def test_every_packaged_edition_has_a_release_date_in_its_year():
    releases = ds.edition_releases()
    assert releases["edition"].tolist() == EDITIONS
    assert (releases["published"].dt.year == releases["edition"]).all()
    assert set(releases["precision"]) <= {"day", "year"}
    assert releases["source"].str.len().gt(10).all()


def test_a_vintage_before_the_first_edition_is_refused_with_a_message(home):
    assert ds.load_surveys(as_of=2002).empty
    with pytest.raises(InputError, match="no UN survey edition had been published by the end"):
        ds.latest_edition(as_of=2002)
    for bad in (1800, 2024.5, "2024", True):
        with pytest.raises(InputError, match="as_of"):
            ds.load_surveys(as_of=bad)


def test_editions_after_the_origin():
    assert ds.editions_after(2024, 2030) == [2026, 2028, 2030]
    assert ds.editions_after(2022, 2025) == [2024]
    assert ds.editions_after(2024, 2025) == []
    assert ds.editions_after(2003, 2010) == [2004, 2005, 2008, 2010]


@settings(max_examples=60, deadline=None)
@given(origin=st.integers(2003, 2090), span=st.integers(0, 20))
def test_editions_after_lists_every_survey_year_in_range(origin, span):
    editions = ds.editions_after(origin, origin + span)
    assert all(origin < e <= origin + span and ds.is_survey_year(e) for e in editions)
    gaps = [y for y in range(origin + 1, origin + span + 1) if y not in editions]
    assert not any(ds.is_survey_year(y) for y in gaps)
    if origin >= 2008 and span >= 2:
        assert editions  # biennial: never two survey years without an edition


def test_simulated_editions_already_observed_or_too_early_are_refused_with_the_fix():
    observed = EDITIONS
    ds.check_simulated_editions([2026, 2028, 2030], observed)  # no error
    with pytest.raises(ds.EditionError) as err:
        ds.check_simulated_editions([2024, 2026], observed, source="scenarios/x.yaml egov.editions")
    text = str(err.value)
    assert text.startswith("scenarios/x.yaml egov.editions: [2024] already observed")
    assert "as_of to a year before 2024" in text and "simulate every survey year after 2024" in text
    with pytest.raises(ds.EditionError, match=r"\[2019, 2021\] lie before"):
        ds.check_simulated_editions([2019, 2021, 2026], observed)
    with pytest.raises(
        ds.EditionError, match=r"\[1999\] lie before the data \(first edition 2003\)"
    ):
        ds.check_simulated_editions([1999], observed)
    with pytest.raises(ds.EditionError, match=r"\[2027\] are not UN survey years"):
        ds.check_simulated_editions([2026, 2027], observed)
    assert isinstance(err.value, InputError)  # exit status 2 with the message


# --- sub-indicators ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ds.SUBINDICATORS)
def test_subindicators_load_with_release_dates_within_the_packaged_vintage(name):
    df = ds.load_subindicator(name)
    assert list(df.columns) == ["iso3", "year", "value", "published"]
    assert df["iso3"].str.fullmatch(r"[A-Z]{3}").all() and df["value"].notna().all()
    assert not df.duplicated(["iso3", "year"]).any()
    assert set(df["iso3"]) <= set(packaged()["iso3"])
    assert (df["published"] <= pd.Timestamp("2024-12-31")).all()  # nothing after 2024 shipped
    assert (df["published"].dt.year > df["year"]).all() | name.startswith("gross_enrolment")
    early = ds.load_subindicator(name, as_of=2020)
    assert (early["published"] <= pd.Timestamp("2020-12-31")).all() and len(early) < len(df)


def test_subindicator_spot_values_match_sources():
    def vnm(name: str, year: int) -> float:
        df = ds.load_subindicator(name)
        return df.loc[(df["iso3"] == "VNM") & (df["year"] == year), "value"].item()

    # subindicators/SOURCES.md, "Checks"
    assert vnm("internet_users_pct", 2023) == pytest.approx(78.08)
    assert vnm("mobile_cellular_per100", 2021) == pytest.approx(136.8, abs=0.05)
    assert vnm("active_mobile_broadband_per100", 2021) == pytest.approx(86.5, abs=0.05)
    assert vnm("fixed_broadband_per100", 2022) == pytest.approx(21.4, abs=0.05)
    assert vnm("adult_literacy_pct", 2019) == pytest.approx(95.75)
    assert vnm("expected_years_schooling", 2021) == pytest.approx(13.05, abs=0.005)
    assert vnm("mean_years_schooling", 2021) == pytest.approx(8.46, abs=0.005)
    ger = ds.load_subindicator("gross_enrolment_tertiary_pct")
    assert ger["published"].max() == pd.Timestamp("2024-10-07")  # capped by the copy's date


def test_unknown_subindicator_suggests_the_name():
    with pytest.raises(KeyError, match="did you mean 'internet_users_pct'"):
        ds.load_subindicator("internet_user_pct")


# --- dated groups --------------------------------------------------------------------------


def test_asean_membership_is_dated():
    before, after = ds.members("asean", "2025-10-25"), ds.members("asean", dt.date(2025, 10, 26))
    assert len(before) == 10 and "TLS" not in before
    assert len(after) == 11 and set(after) - set(before) == {"TLS"}
    assert "VNM" not in ds.members("asean", "1995-07-27")
    assert "VNM" in ds.members("asean", "1995-07-28")
    assert len(ds.members("asean", "1967-08-08")) == 5


def test_asean_counted_at_each_edition(home):
    assert len(ds.members("asean", ds.edition_date(2024))) == 10
    assert ds.edition_date(2024) == pd.Timestamp("2024-09-17")
    assert len(ds.members("asean", ds.edition_date(2026))) == 11  # future: end of 2026
    ds.add_edition(SYNTHETIC_2026, published="2026-09-01")
    assert ds.edition_date(2026) == pd.Timestamp("2026-09-01")
    assert "TLS" in ds.members("asean", ds.edition_date(2026))


def test_south_eastern_asia_is_the_survey_subregion():
    s24 = packaged(2024)
    survey = set(s24.loc[s24["subregion"] == "South-eastern Asia", "iso3"])
    assert set(ds.members("south_eastern_asia", "2024-09-17")) == survey
    assert len(survey) == 11
    # the 2024 press: Viet Nam 5th of the 11 in South-East Asia (outcomes_2022_2024.md)
    sea = s24[s24["iso3"].isin(survey)].sort_values("egdi", ascending=False)
    assert sea["iso3"].tolist().index("VNM") + 1 == 5
    with pytest.raises(KeyError, match="groups: asean"):
        ds.members("asia", "2024-01-01")


# --- observations --------------------------------------------------------------------------


def test_observations_carry_definition_source_date_and_error():
    obs = ds.load_observations(latest=False)
    assert list(obs.columns) == ds.OBSERVATION_COLUMNS
    assert obs[["definition", "source", "unit"]].apply(lambda c: c.str.len().gt(3)).all().all()
    assert (obs["sd"] > 0).all() and (obs["period_start"] <= obs["period_end"]).all()
    assert (obs["published"] >= obs["period_start"]).all()
    shares = obs["unit"] == "share 0-1"
    assert obs.loc[shares, "value"].between(0, 1).all()
    assert set(obs["unit"]) == {"share 0-1", "VND bn", "share/yr"}


def test_observations_by_vintage():
    def yearly_2024(as_of):
        obs = ds.load_observations(as_of)
        return obs[(obs["series"] == "admin_fully_online") & (obs["period_end"] == "2024-12-31")]

    assert yearly_2024(2024).empty  # the 45.8 % was published in January 2025
    assert yearly_2024(None)["value"].item() == pytest.approx(0.458)
    mid = ds.load_observations(2024).query("series == 'admin_fully_online'")
    assert mid["value"].tolist() == pytest.approx([0.05, 0.43])
    assert ds.load_observations(2022).query("series == 'admin_fully_online'").empty
    growth = ds.load_observations().query("series == 'ict_sector_revenue_growth'")
    assert growth.set_index(growth["period_end"].dt.year)["value"].to_dict() == pytest.approx(
        {2022: 0.127, 2023: 0.0149, 2024: 0.132}
    )


def test_latest_release_replaces_a_revised_observation():
    def gso_2023(as_of, latest=True):
        obs = ds.load_observations(as_of, latest=latest)
        return obs[
            (obs["series"] == "digital_economy_share_gso") & (obs["period_end"] == "2023-12-31")
        ]

    assert gso_2023(2024)["value"].item() == pytest.approx(0.1233)  # earlier release
    assert gso_2023(None)["value"].item() == pytest.approx(0.1287)  # revised, Jan 2025
    assert len(gso_2023(None, latest=False)) == 2


def test_every_packaged_file_is_in_the_manifest_and_sources():
    folder = resources.files("vnsim") / "data"
    manifest = json.loads((folder / "manifest.json").read_text())
    csvs = {p.name for p in Path(str(folder)).glob("*.csv")}
    assert csvs == set(manifest["files"])
    sources = (folder / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in sources for name in csvs)


def test_full_year_keeps_only_readings_of_a_whole_calendar_year():
    obs = ds.load_observations()
    whole = ds.full_year(obs)
    admin = whole[whole["series"] == "admin_fully_online"]
    assert sorted(admin["value"]) == [0.05, 0.458]  # the mid-2024 reading (0.43) is left out
    assert set(obs[obs["series"] == "admin_fully_online"]["value"]) - set(admin["value"]) == {0.43}


def test_user_subindicator_values_join_the_packaged_ones_and_are_checked(home):
    """A newer year of an ITU indicator in the data folder is used with its release date; it
    may not replace a packaged value, and a share above 100 % is refused."""
    home.mkdir()
    path = home / "subindicator_fixed_broadband_per100.csv"
    path.write_text("iso3,year,value\nVNM,2024,24.5\nTHA,2024,20.1\n")  # test-made values
    f = ds.load_subindicator("fixed_broadband_per100")
    vnm = f[(f["iso3"] == "VNM") & (f["year"] == 2024)]
    assert vnm["value"].item() == 24.5
    assert vnm["published"].item() == pd.Timestamp("2025-12-31")  # the ITU's one-year lag
    assert ds.load_subindicator("fixed_broadband_per100", as_of=2024)["year"].max() == 2023
    assert "+user-fixed_broadband_per100." in ds.data_version()
    path.write_text("iso3,year,value\nVNM,2023,30.0\n")
    with pytest.raises(ds.DataError, match=r"duplicate \(iso3, year\)"):
        ds.load_subindicator("fixed_broadband_per100")
    (home / "subindicator_internet_users_pct.csv").write_text("iso3,year,value\nVNM,2024,101\n")
    with pytest.raises(ds.DataError, match=r"outside \[0, 100.0\]"):
        ds.load_subindicator("internet_users_pct")
