"""Packaged data with publication dates, user-added survey editions, dated groups, observations.

The packaged files live in ``model/data`` (sources and checks: ``model/data/SOURCES.md``; version
and checksums: ``model/data/manifest.json``). A new survey edition is added from the UN Data
Center's own export ``EGOV_DATA_<year>.csv`` with :func:`add_edition`: it is validated, its
country names are mapped to ISO3 and M49 regions through the packaged history, and it is stored
in :func:`user_data_home` (never inside the installed package) as ``surveys/un_egov_<year>.csv``.

Vintages: every row a loader returns carries the date it was published (column ``published``),
and every loader takes ``as_of`` (a year): only rows published by 31 December of that year are
returned, ``None`` = everything packaged plus user-added. Survey editions get their release date
from ``un_egov_editions.csv``; indicator series get theirs from the release rule of
``series_releases.csv`` (data year + stated lag, never later than the copy read).

Edition policy: a user edition can never replace a packaged one (the packaged editions are
checked against independent copies; a different history is a different dataset, not an
addition). ``replace=True`` only replaces an earlier *user* edition of the same year.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import importlib.util
import io
import json
import os
import re
import secrets
import textwrap
import unicodedata
import warnings
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import platformdirs
from vnsim.errors import DataError, InputError, Message, UnusableFile, read_input

SURVEY_COLUMNS = [
    "survey_year", "country", "iso3", "region", "subregion",
    "egdi", "osi", "tii", "hci", "epi", "egdi_rank",
]  # fmt: skip
INDEX_COLUMNS = ["egdi", "osi", "tii", "hci", "epi"]
INTERNET_COLUMNS = ["iso3", "entity", "year", "internet_users_pct"]
#: UN Data Center header -> packaged column (SOURCES.md, "Where the numbers come from").
UN_COLUMNS = {
    "Survey Year": "survey_year",
    "Country Name": "country",
    "E-Government Rank": "egdi_rank",
    "E-Government Index": "egdi",
    "E-Participation Index": "epi",
    "Online Service Index": "osi",
    "Human Capital Index": "hci",
    "Telecommunication Infrastructure Index": "tii",
}
#: Names the UN export spells differently from the packaged history (SOURCES.md).
UN_NAME_ALIASES = {"Georgia (Country)": "Georgia"}
#: EGDI weights (osi, tii, hci); one third each except 2008 and 2010 (SOURCES.md "Checks run";
#: shared docs egdi_methodology.md section 1).
EGDI_WEIGHTS = {2008: (0.34, 0.33, 0.33), 2010: (0.34, 0.33, 0.33)}
#: EGDI and its components are each rounded to 4 decimals, so their gap can reach ~1e-4
#: (largest seen: 0.000079 in 2010).
EGDI_TOLERANCE = 2e-4
#: Published off the formula and kept as published (SOURCES.md): 2008 Cambodia and Cameroon.
EGDI_PUBLISHED_EXCEPTIONS = frozenset({(2008, "KHM"), (2008, "CMR")})
#: Values above 1 in the UN 2003 file, kept as published (EGDI follows them: FSM 0.5265 =
#: mean(0.1179, 0.0396, 1.422)); see the preface of model/data/SOURCES.md.
RANGE_PUBLISHED_EXCEPTIONS = frozenset({(2003, "FSM", "hci"), (2003, "TUV", "hci")})
MAX_ROWS_SHOWN = 5
#: Editions a user file may hold: the first UN survey (2003) up to the last year a scenario can
#: reach (the horizon's bound in ``vnsim.spec.scenario``); later years could never be simulated.
EDITION_RANGE = (2003, 2100)
#: Column holding each row's publication date (datetime64, day precision).
PUBLISHED = "published"
#: Indicator series packaged as ``subindicator_<name>.csv`` (columns iso3, year, value):
#: the ITU inputs of the TII and the UNESCO/UNDP inputs of the HCI (SOURCES.md).
SUBINDICATORS = (
    "internet_users_pct", "mobile_cellular_per100", "active_mobile_broadband_per100",
    "fixed_broadband_per100", "adult_literacy_pct", "gross_enrolment_tertiary_pct",
    "expected_years_schooling", "mean_years_schooling",
)  # fmt: skip
#: Dated country groups in ``groups.csv``.
GROUPS = ("asean", "south_eastern_asia")
OBSERVATION_COLUMNS = [
    "series", "period_start", "period_end", "value", "unit", "sd",
    "definition", "source", "published", "precision",
]  # fmt: skip
#: Largest UN CSV export read (an edition is about 30 kB); checked before reading.
MAX_CSV_BYTES = 10_000_000

_DATA = resources.files("vnsim") / "data"


def shipped_scenarios() -> Path:
    """The folder of the shipped scenario files (with ``targets/`` for the target sets).

    One copy exists, the repository's ``scenarios/``; an installed wheel carries it as the
    package data ``vnsim.scenarios``, while an editable install reads the checkout's folder.
    """
    # a data package without __init__.py is a namespace package: its files() is a
    # MultiplexedPath, whose str() is not a path; its one search location is
    spec = importlib.util.find_spec("vnsim.scenarios")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(str(resources.files("vnsim"))).resolve().parent / "scenarios"


_MANIFEST = json.loads((_DATA / "manifest.json").read_text(encoding="utf-8"))


def _sha256(data: bytes) -> str:
    # Line endings are normalised so a CRLF checkout (git autocrlf) keeps the same version.
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


_FILES_DIGEST = _sha256(json.dumps(_MANIFEST["files"], sort_keys=True).encode())[:8]
#: Version of the packaged data: manifest version, then a digest of the manifest's file entries.
DATA_VERSION: str = f"{_MANIFEST['version']}-{_FILES_DIGEST}"


def _report(problems: list[str], title: str, df: pd.DataFrame, mask, columns: list[str]) -> None:
    """Append ``title`` with the rows where ``mask`` holds (capped at MAX_ROWS_SHOWN)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    shown = [c for c in dict.fromkeys(["survey_year", "iso3", "country", *columns]) if c in df]
    rows = df.loc[mask, shown]
    text = rows.head(MAX_ROWS_SHOWN).to_string()
    if len(rows) > MAX_ROWS_SHOWN:
        text += f"\n... and {len(rows) - MAX_ROWS_SHOWN} more row(s)"
    problems.append(f"{title} ({len(rows)} row(s)):\n{textwrap.indent(text, '    ')}")


def _is_edition(year: pd.Series) -> pd.Series:
    # UN survey editions: 2003, 2004, 2005, then every even year from 2008.
    return year.isin([2003, 2004, 2005]) | ((year >= 2008) & (year % 2 == 0))


def validate_surveys(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check survey rows and return them typed, in the packaged column layout.

    Indices (egdi, osi, tii, hci, epi) are index 0-1; ``egdi_rank`` is 1 = best. Rows are shown
    with the frame's index (file line numbers when read by this module).

    Raises
    ------
    DataError
        Listing every problem at once: missing columns, empty or non-numeric cells, indices
        outside [0, 1], ranks outside 1..n (n = rows of the edition) or contradicting EGDI,
        duplicate (survey_year, iso3), malformed iso3, years that are not UN editions, and EGDI
        off the weighted mean of OSI/TII/HCI (except EGDI = 0 "not assessed" rows and the
        published exceptions in :data:`EGDI_PUBLISHED_EXCEPTIONS`).
    """
    problems: list[str] = []
    out = df.copy() if df.index.is_unique else df.reset_index(drop=True)
    missing = [c for c in SURVEY_COLUMNS if c not in out]
    if missing:
        problems.append(f"missing column(s) {missing}; found {list(df.columns)}")
    for col in [c for c in SURVEY_COLUMNS[1:5] if c in out]:
        out[col] = out[col].astype("str").str.strip().where(out[col].notna())
        _report(problems, f"{col}: empty", out, out[col].isna() | (out[col] == ""), [col])
    for col in [c for c in ["survey_year", *INDEX_COLUMNS, "egdi_rank"] if c in out]:
        number = pd.to_numeric(out[col], errors="coerce")
        _report(problems, f"{col}: empty or not a number", out, number.isna(), [col])
        out[col] = number
    for col in missing:  # an empty stand-in lets every other check still run and report
        out[col] = pd.Series(np.nan, out.index, dtype="str" if col in SURVEY_COLUMNS[1:5] else None)

    year, rank = out["survey_year"], out["egdi_rank"]
    not_edition = year.notna() & ~_is_edition(year)
    _report(problems, "survey_year: not a UN survey edition", out, not_edition, [])
    keys = list(zip(year, out["iso3"], strict=True))
    for col in INDEX_COLUMNS:
        published = np.array([(y, c, col) in RANGE_PUBLISHED_EXCEPTIONS for y, c in keys], bool)
        outside = ((out[col] < 0) | (out[col] > 1)) & ~published
        _report(problems, f"{col}: outside [0, 1]", out, outside, [col])
    n = out.groupby("survey_year")["iso3"].transform("size")
    bad_rank = rank.notna() & ((rank % 1 != 0) | (rank < 1) | (rank > n))
    title = "egdi_rank: not an integer in 1..n (n = rows of the edition)"
    _report(problems, title, out.assign(n=n), bad_rank, ["egdi_rank", "n"])
    order = out.sort_values(["survey_year", "egdi_rank", "egdi"], ascending=[True, True, False])
    rise = order.groupby("survey_year")["egdi"].diff().gt(0)  # worse rank, higher egdi
    pairs = order.index[rise | rise.shift(-1, fill_value=False)]
    title = "egdi_rank: order contradicts egdi (better rank, lower egdi)"
    _report(problems, title, out, out.index.isin(pairs), ["egdi", "egdi_rank"])
    duplicated = out.duplicated(["survey_year", "iso3"], keep=False) & out["iso3"].notna()
    duplicated &= out["survey_year"].notna()
    _report(problems, "duplicate (survey_year, iso3)", out, duplicated, [])
    iso_ok = out["iso3"].isna() | out["iso3"].str.fullmatch(r"[A-Z]{3}")
    _report(problems, "iso3: not 3 upper-case letters", out, ~iso_ok, [])

    w_osi, w_tii, w_hci = (
        year.map({y: w[i] for y, w in EGDI_WEIGHTS.items()}).fillna(1 / 3) for i in range(3)
    )
    expected = w_osi * out["osi"] + w_tii * out["tii"] + w_hci * out["hci"]
    published = np.array([k in EGDI_PUBLISHED_EXCEPTIONS for k in keys], bool)
    off = (out["egdi"] > 0) & ((out["egdi"] - expected).abs() > EGDI_TOLERANCE) & ~published
    title = f"egdi: differs from the weighted mean of osi, tii, hci by > {EGDI_TOLERANCE}"
    shown = ["egdi", "egdi_from_components", "osi", "tii", "hci"]
    _report(problems, title, out.assign(egdi_from_components=expected.round(5)), off, shown)
    if problems:
        raise DataError(source, problems)
    return out[SURVEY_COLUMNS].astype({"survey_year": "int64", "egdi_rank": "int64"})


def user_data_home() -> Path:
    """User data folder: ``$VNSIM_DATA_HOME``, else ``platformdirs.user_data_dir("vnsim")``."""
    home = Path(os.environ.get("VNSIM_DATA_HOME") or platformdirs.user_data_dir("vnsim"))
    package = Path(str(resources.files("vnsim"))).resolve()
    if home.expanduser().resolve().is_relative_to(package):
        raise ValueError(f"user data folder {home} must not be inside the installed package")
    return home.expanduser()


def _home(data_home: Path | None) -> Path:
    return Path(data_home) if data_home is not None else user_data_home()


def _user_editions(data_home: Path | None) -> dict[int, Path]:
    paths = (_home(data_home) / "surveys").glob("un_egov_*.csv")
    found = {int(m[1]): p for p in paths if (m := re.fullmatch(r"un_egov_(\d{4})\.csv", p.name))}
    return dict(sorted(found.items()))


def _read_csv(source, **kwargs) -> pd.DataFrame:
    df = pd.read_csv(source, **kwargs)
    df.index = df.index + 2  # file line numbers: line 1 is the header
    df.index.name = "line"
    return df


class EditionError(InputError):
    """A survey edition a scenario asks for that cannot be simulated (observed or too early).

    ``detail`` is the message without the field it was written in, for a located problem.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = message if detail is None else detail

    def report(self) -> str:
        return f"vnsim: {self}"


def end_of_year(as_of: int | None) -> pd.Timestamp | None:
    """The last day of year ``as_of`` (the cut-off of a vintage), ``None`` for no cut-off.

    Raises :class:`InputError` for a year outside 1990-2100 or not an integer.
    """
    if as_of is None:
        return None
    if isinstance(as_of, bool) or not isinstance(as_of, int | np.integer):
        raise InputError(f"as_of must be a year (an integer), not {as_of!r}")
    if not 1990 <= as_of <= 2100:
        raise InputError(f"as_of {as_of} is outside 1990-2100; give the year of the vintage")
    return pd.Timestamp(int(as_of), 12, 31)


def _published_by(df: pd.DataFrame, as_of: int | None) -> pd.DataFrame:
    cut = end_of_year(as_of)
    return df if cut is None else df[df[PUBLISHED] <= cut]


def _read_packaged(name: str, **kwargs) -> pd.DataFrame:
    with (_DATA / name).open("rb") as f:
        return _read_csv(f, **kwargs)


def edition_releases() -> pd.DataFrame:
    """Release dates of the UN survey editions: columns edition, published, precision, source.

    ``precision`` is ``day`` where a source gives the date, else ``year`` (31 December used).
    """
    df = _read_packaged("un_egov_editions.csv", parse_dates=[PUBLISHED])
    return df.reset_index(drop=True)


def _default_published(edition: int) -> pd.Timestamp:
    """Release date of an edition: from the release table, else 31 December of its year.

    Every edition so far was published in its own year (``un_egov_editions.csv``).
    """
    known = edition_releases().set_index("edition")[PUBLISHED]
    return known.get(edition, pd.Timestamp(edition, 12, 31))


def _packaged_surveys() -> pd.DataFrame:
    return validate_surveys(_read_packaged("un_egov_surveys.csv"), "packaged un_egov_surveys.csv")


def _user_published(path: Path, year: int) -> pd.Timestamp:
    """The publication date stored with a user edition (first row), else the default."""
    head = pd.read_csv(path, nrows=1)
    if PUBLISHED in head and pd.notna(head[PUBLISHED].iloc[0]):
        try:
            return pd.Timestamp(head[PUBLISHED].iloc[0])
        except ValueError:
            problem = f"published: not a date: {head[PUBLISHED].iloc[0]!r}"
            raise DataError(str(path), [problem]) from None
    return _default_published(year)


def load_surveys(data_home: Path | None = None, as_of: int | None = None) -> pd.DataFrame:
    """UN E-Government Survey rows: packaged editions 2003-2024 plus the user's added editions.

    Parameters
    ----------
    data_home
        User data folder; default :func:`user_data_home`.
    as_of
        Year of the vintage: only editions published by 31 December of it; ``None`` = all.

    Returns
    -------
    One row per member state and edition, columns :data:`SURVEY_COLUMNS` (indices 0-1, rank
    1 = best) and ``published`` (the edition's release date), sorted by survey_year then
    egdi_rank. Raises :class:`DataError` if a user file is invalid or holds a packaged edition.
    """
    end_of_year(as_of)  # a bad vintage is refused before any file is read
    packaged = _packaged_surveys()
    dates = edition_releases().set_index("edition")[PUBLISHED]
    frames = [packaged.assign(**{PUBLISHED: packaged["survey_year"].map(dates)})]
    for year, path in _user_editions(data_home).items():
        df = validate_surveys(_read_csv(path), str(path))
        if year in set(packaged["survey_year"]):
            raise DataError(str(path), [f"edition {year} is packaged and cannot be replaced"])
        if set(df["survey_year"]) != {year}:
            years = sorted(set(df["survey_year"]))
            raise DataError(str(path), [f"file name says edition {year}, rows say {years}"])
        frames.append(df.assign(**{PUBLISHED: _user_published(path, year)}))
    surveys = pd.concat(frames, ignore_index=True)
    if surveys[PUBLISHED].isna().any():
        missing = sorted(set(surveys.loc[surveys[PUBLISHED].isna(), "survey_year"]))
        raise DataError("un_egov_editions.csv", [f"no release date for edition(s) {missing}"])
    surveys = _published_by(surveys, as_of)
    return surveys.sort_values(["survey_year", "egdi_rank"], kind="stable", ignore_index=True)


def observed_editions(as_of: int | None = None, data_home: Path | None = None) -> list[int]:
    """Survey editions published by the end of ``as_of`` (None = all), oldest first."""
    return sorted(int(e) for e in load_surveys(data_home, as_of)["survey_year"].unique())


def latest_edition(as_of: int | None = None, data_home: Path | None = None) -> int:
    """The latest survey edition published by the end of ``as_of`` (None = all data).

    This is the origin of a forecast made with that vintage. Raises :class:`InputError` if no
    edition had been published by then.
    """
    editions = observed_editions(as_of, data_home)
    if not editions:
        raise InputError(
            f"no UN survey edition had been published by the end of {as_of}; the first "
            f"({edition_releases()['edition'].min()}) sets the earliest usable as_of"
        )
    return editions[-1]


def is_survey_year(year: int) -> bool:
    """Whether the UN publishes an edition in ``year`` (2003-2005, then every even year)."""
    return bool(_is_edition(pd.Series([int(year)])).iloc[0])


def editions_after(origin: int, end_year: int) -> list[int]:
    """Survey years after edition ``origin`` up to ``end_year``: the editions a run simulates.

    Biennial from 2008 (the UN's cycle); e.g. ``editions_after(2024, 2030) == [2026, 2028, 2030]``.
    """
    return [y for y in range(int(origin) + 1, int(end_year) + 1) if is_survey_year(y)]


def check_simulated_editions(
    editions: Iterable[int], observed: Iterable[int], source: str = "egov.editions"
) -> None:
    """Refuse simulated editions that are already observed, before the data or not survey years.

    Parameters
    ----------
    editions
        The editions a scenario asks to simulate.
    observed
        The observed editions of the vintage (:func:`observed_editions`).
    source
        Where the editions were written, for the message (e.g. a scenario field).

    Raises
    ------
    EditionError
        Naming every bad edition and the fix (drop the list to simulate every survey year
        after the latest observed edition, or use ``as_of`` for an earlier vintage).
    """
    observed = sorted(int(e) for e in observed)
    editions = [int(e) for e in editions]
    if not observed:
        raise EditionError(
            Message("{source}: no observed survey edition to start from", source=source)
        )
    origin = observed[-1]
    problems = []
    seen = [e for e in editions if e in observed]
    if seen:
        problems.append(
            Message(
                "{seen} already observed (the data run to the {origin} edition): they are the "
                "starting point, not a forecast; to forecast them from an earlier vintage, set "
                "as_of to a year before {first}",
                seen=str(seen),
                origin=origin,
                first=min(seen),
            )
        )
    before_data = [e for e in editions if e < observed[0]]
    if before_data:
        problems.append(
            Message(
                "{editions} lie before the data (first edition {first})",
                editions=str(before_data),
                first=observed[0],
            )
        )
    early = [e for e in editions if observed[0] < e < origin and e not in observed]
    if early:
        problems.append(
            Message(
                "{editions} lie before the latest observed edition {origin}",
                editions=str(early),
                origin=origin,
            )
        )
    odd = [e for e in editions if e > origin and not is_survey_year(e)]
    if odd:
        problems.append(
            Message("{editions} are not UN survey years (biennial, even years)", editions=str(odd))
        )
    if problems:
        detail = Message(
            "{problems}. Fix: remove {source} to simulate every survey year after {origin} up "
            "to the horizon, or list editions from {first} on",
            problems=Message.join(problems),
            source=source,
            origin=origin,
            first=editions_after(origin, origin + 2)[0],
        )
        raise EditionError(Message("{source}: {detail}", source=source, detail=detail), detail)


def series_releases() -> pd.DataFrame:
    """Release rule of each packaged indicator series (``series_releases.csv``).

    Columns file, indicator, unit, producer, lag_years, copy_published, source: a value of data
    year Y is taken as published on ``min(31 Dec of Y + lag_years, copy_published)``.
    """
    df = _read_packaged("series_releases.csv", parse_dates=["copy_published"])
    return df.set_index("file")


def series_published(years: pd.Series, lag_years: int, copy_published=None) -> pd.Series:
    """Publication date of each data year under a release lag, capped by the copy's date.

    Parameters
    ----------
    years
        Data years, shape (n,).
    lag_years
        Years from the data year to its first release (published on 31 December of Y + lag).
    copy_published
        Date the copy read was published (a value cannot be younger than it); NaT/None = none.
    """
    dates = pd.to_datetime((years.astype("int64") + int(lag_years)).astype(str) + "-12-31")
    if copy_published is not None and pd.notna(copy_published):
        dates = dates.clip(upper=pd.Timestamp(copy_published))
    return dates


def _with_release_dates(df: pd.DataFrame, file: str) -> pd.DataFrame:
    rule = series_releases().loc[file]
    return df.assign(
        **{PUBLISHED: series_published(df["year"], rule["lag_years"], rule["copy_published"])}
    )


def load_subindicator(
    name: str, as_of: int | None = None, data_home: Path | None = None
) -> pd.DataFrame:
    """A TII/HCI sub-indicator: columns iso3, year, value, published.

    ``name`` is one of :data:`SUBINDICATORS` (units in ``series_releases.csv``: percent, per 100
    inhabitants or years). The packaged series, plus the user's newer values in
    ``subindicator_<name>.csv`` (columns iso3, year, value) in the data folder — e.g. the ITU's
    figures of a year the package does not have yet, which the e-government model then uses as
    published (nowcasts); a user row for an (iso3, year) already packaged is a
    :class:`DataError`. ``as_of`` keeps the values published by the end of that year.
    """
    if name not in SUBINDICATORS:
        close = difflib.get_close_matches(name, SUBINDICATORS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"no sub-indicator {name!r}{hint} (known: {', '.join(SUBINDICATORS)})")
    end_of_year(as_of)  # a bad vintage is refused before any file is read
    # shares of people cannot pass 100 %; gross enrolment ratios and subscriptions can
    upper = 100.0 if name in ("internet_users_pct", "adult_literacy_pct") else None
    df = _series(f"subindicator_{name}.csv", ["iso3", "year", "value"], "value", upper, data_home)
    return _published_by(df, as_of).sort_values(["iso3", "year"], ignore_index=True)


def load_internet_users(data_home: Path | None = None, as_of: int | None = None) -> pd.DataFrame:
    """Individuals using the Internet, share of population in percent (0-100), by iso3 and year.

    Packaged ITU/WDI series (years <= 2023) plus, if present, the user's
    ``itu_internet_users_pct.csv`` (same columns) in ``data_home``; a user row for an
    (iso3, year) already packaged is a :class:`DataError`. Columns :data:`INTERNET_COLUMNS` and
    ``published`` (release rule of ``series_releases.csv``; user rows: 31 Dec of year + 1).
    ``as_of`` keeps the rows published by the end of that year.
    """
    end_of_year(as_of)  # a bad vintage is refused before any file is read
    df = _series(
        "itu_internet_users_pct.csv", INTERNET_COLUMNS, "internet_users_pct", 100.0, data_home
    )
    return _published_by(df, as_of).sort_values(["iso3", "year"], ignore_index=True)


def _series(
    file: str, columns: list[str], value: str, upper: float | None, data_home: Path | None
) -> pd.DataFrame:
    """A packaged indicator series plus the user's rows in a file of the same name in the data
    folder, checked (numbers, whole years, ISO3 codes, the range ``[0, upper]``, no (iso3, year)
    twice, so a user row cannot silently replace a packaged one), with release dates.
    """
    frames = {"packaged": _read_packaged(file)}
    user = _home(data_home) / file
    if user.exists():
        frames[str(user)] = _read_csv(user)
    df = pd.concat(frames, names=["file", "line"])
    missing = [c for c in columns if c not in df]
    if missing:
        raise DataError(str(user), [f"missing column(s) {missing}; found {list(df.columns)}"])
    problems: list[str] = []
    for col in ["year", value]:
        number = pd.to_numeric(df[col], errors="coerce")
        _report(problems, f"{col}: empty or not a number", df, number.isna(), [col])
        df[col] = number
    high = np.inf if upper is None else upper
    outside = (df[value] < 0) | (df[value] > high)
    _report(problems, f"{value}: outside [0, {upper or 'inf'}]", df, outside, [])
    _report(problems, "year: not an integer", df, df["year"].notna() & (df["year"] % 1 != 0), [])
    bad_iso = ~df["iso3"].fillna("").astype(str).str.fullmatch(r"[A-Z]{3}")
    _report(problems, "iso3: not 3 upper-case letters", df, bad_iso, [])
    duplicated = df.duplicated(["iso3", "year"], keep=False)
    _report(problems, "duplicate (iso3, year)", df, duplicated, ["year"])
    if problems:
        raise DataError(f"{file} and {user}" if user.exists() else file, problems)
    return _with_release_dates(df[columns].astype({"year": "int64"}), file)


def load_groups() -> pd.DataFrame:
    """Dated country groups (``groups.csv``): columns group, iso3, joined, left, source.

    ``joined``/``left`` are dates (NaT = member from the start of the data / still a member).
    """
    df = _read_packaged("groups.csv", parse_dates=["joined", "left"])
    return df.reset_index(drop=True)


def edition_date(edition: int, data_home: Path | None = None) -> pd.Timestamp:
    """Publication date of a survey edition: observed (packaged or user-added) or future.

    A future edition is dated 31 December of its year (editions so far were all published in
    their own year), so ``members(group, edition_date(e))`` counts the members an edition
    published that year would count (e.g. ASEAN's eleven from the 2026 edition on).
    """
    user = _user_editions(data_home)
    if edition in user:
        return _user_published(user[edition], edition)
    return _default_published(int(edition))


def members(group: str, on_date: dt.date | str) -> tuple[str, ...]:
    """ISO3 codes of the members of ``group`` on ``on_date``, sorted.

    ``group`` is ``"asean"`` (accession dates: Timor-Leste from 2025-10-26) or
    ``"south_eastern_asia"`` (the UN M49 sub-region the survey reports).
    """
    if group not in GROUPS:
        raise KeyError(f"no group {group!r}; groups: {', '.join(GROUPS)}")
    day = pd.Timestamp(on_date)
    g = load_groups().query("group == @group")
    inside = (g["joined"].isna() | (g["joined"] <= day)) & (g["left"].isna() | (day < g["left"]))
    return tuple(sorted(g.loc[inside, "iso3"]))


def load_observations(as_of: int | None = None, latest: bool = True) -> pd.DataFrame:
    """Observations of the non-survey series (``observations.csv``), published by ``as_of``.

    Parameters
    ----------
    as_of
        Year of the vintage; ``None`` = every packaged observation.
    latest
        Keep only the latest release of each (series, period) known by then (a revision
        replaces the earlier figure); ``False`` returns every release.

    Returns
    -------
    Columns :data:`OBSERVATION_COLUMNS`: ``value`` and ``sd`` (observation error, 1 sd) in
    ``unit``; ``period_start``/``period_end`` the period covered; ``published`` the release.
    """
    dates = ["period_start", "period_end", PUBLISHED]
    df = _published_by(_read_packaged("observations.csv", parse_dates=dates), as_of)
    if latest:
        df = df.sort_values(PUBLISHED, kind="stable")
        df = df.drop_duplicates(["series", "period_start", "period_end"], keep="last")
    return df[OBSERVATION_COLUMNS].sort_values(["series", "period_end"], ignore_index=True)


def full_year(observations: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`load_observations` that cover a whole calendar year (a year's
    outcome), not a part of one such as a mid-year reading."""
    start, end = observations["period_start"], observations["period_end"]
    whole = (start.dt.month == 1) & (start.dt.day == 1) & (end.dt.month == 12) & (end.dt.day == 31)
    return observations[whole & (start.dt.year == end.dt.year)]


def _name_key(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    return UN_NAME_ALIASES.get(name, name).casefold()


def read_un_csv(path: Path) -> pd.DataFrame:
    """Read a UN Data Center ``EGOV_DATA_<year>.csv`` into the packaged layout, validated.

    Tolerates a UTF-8 BOM, CRLF line endings and whitespace around names and headers; the
    edition may come from the file name when ``Survey Year`` is absent. Country names are
    mapped to iso3, region and subregion through the packaged history. Raises
    :class:`DataError` (every problem, rows shown by file line) on unknown country names (with
    the closest known names), missing columns or any :func:`validate_surveys` failure.
    """
    path = Path(path)
    try:
        data = read_input(path, MAX_CSV_BYTES, "UN CSV exports")
    except UnusableFile as exc:
        raise DataError(str(path), [exc.reason]) from None
    try:
        with warnings.catch_warnings():
            # rows longer than the header: pandas would drop cells or take them as an index
            warnings.simplefilter("error", pd.errors.ParserWarning)
            raw = _read_csv(
                io.BytesIO(data),
                dtype=str,
                encoding="utf-8-sig",
                keep_default_na=False,
                index_col=False,
            )
    except UnicodeDecodeError as exc:
        raise DataError(
            str(path), [f"not UTF-8 text (byte {exc.start}); export the file as CSV UTF-8"]
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, pd.errors.ParserWarning) as exc:
        raise DataError(str(path), [f"not a readable CSV file: {exc}"]) from None
    raw.columns = raw.columns.str.strip()
    m = re.search(r"EGOV_DATA_(\d{4})", path.name)
    file_year = m[1] if m else None
    if "Survey Year" not in raw and file_year:
        raw["Survey Year"] = file_year
    missing = [c for c in UN_COLUMNS if c not in raw]
    if missing:
        found = list(raw.columns)
        raise DataError(str(path), [f"missing column(s) {missing}; found {found}"])
    df = raw[list(UN_COLUMNS)].rename(columns=UN_COLUMNS).apply(lambda s: s.str.strip())
    problems: list[str] = []
    if file_year:
        title = f"survey_year: differs from the file name ({file_year})"
        _report(problems, title, df, df["survey_year"] != file_year, [])
    elif df["survey_year"].nunique() > 1:
        problems.append(f"one edition per file expected; found {sorted(set(df['survey_year']))}")

    history = _packaged_surveys().drop_duplicates("iso3", keep="last")
    known = history.set_index(history["country"].map(_name_key))[SURVEY_COLUMNS[1:5]]
    keys = df["country"].map(_name_key)
    unknown = ~keys.isin(known.index)
    for line, name in df.loc[unknown, "country"].items():
        close = difflib.get_close_matches(name, history["country"].tolist(), n=3, cutoff=0.6)
        problems.append(f"country: unknown name {name!r} on line {line}; closest known: {close}")
    ids = known.reindex(keys.to_numpy()).set_axis(df.index)
    ids["country"] = ids["country"].fillna(df["country"])  # show unknown names as written
    df[SURVEY_COLUMNS[1:5]] = ids
    try:
        surveys = validate_surveys(df[SURVEY_COLUMNS], str(path))
    except DataError as err:
        # iso3/region/subregion come from the validated history, so their problems only echo
        # the unknown names reported above.
        echo = ("iso3:", "region:", "subregion:")
        problems += [p for p in err.problems if not (unknown.any() and p.startswith(echo))]
    if problems:
        raise DataError(str(path), problems)
    return surveys.sort_values("egdi_rank", kind="stable", ignore_index=True)


def add_edition(
    path: Path,
    data_home: Path | None = None,
    replace: bool = False,
    published: dt.date | str | None = None,
) -> Path:
    """Validate a UN ``EGOV_DATA_<year>.csv`` and store it as a user edition; return its path.

    ``published`` is the edition's release date (stored with it, used by ``as_of`` vintages);
    default: the release table's date, else 31 December of the edition year. Refuses
    (``FileExistsError``) a packaged edition always, and an existing user edition unless
    ``replace=True``; refuses (:class:`DataError`) an edition outside :data:`EDITION_RANGE` or
    a release date before the edition year. The file is written atomically.
    """
    surveys = read_un_csv(path)
    year = int(surveys["survey_year"].iloc[0])
    low, high = EDITION_RANGE
    if not low <= year <= high:
        raise DataError(
            str(path),
            [
                f"survey_year {year}: vnsim reads editions {low}-{high} only (a scenario's "
                "horizon ends by 2100); check the Survey Year column or the file name"
            ],
        )
    if year in set(_packaged_surveys()["survey_year"]):
        raise FileExistsError(f"edition {year} is packaged with vnsim and cannot be replaced")
    day = _default_published(year) if published is None else pd.Timestamp(published)
    if day.year < year:
        raise DataError(str(path), [f"published {day.date()} is before the {year} edition year"])
    target = _home(data_home) / "surveys" / f"un_egov_{year}.csv"
    if target.exists() and not replace:
        raise FileExistsError(f"edition {year} already added at {target}; use replace=True")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".un_egov_{year}.{secrets.token_hex(4)}.tmp"
    # created with the user's umask (mkstemp would make it 0600, unreadable to colleagues)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            rows = surveys.assign(**{PUBLISHED: day.date().isoformat()})
            rows.to_csv(f, index=False, lineterminator="\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def list_editions(data_home: Path | None = None) -> pd.DataFrame:
    """Survey editions available: columns edition, countries, origin ('packaged'/'user'),
    published (release date) and path."""
    surveys = load_surveys(data_home)
    user = _user_editions(data_home)
    where = str(_DATA / "un_egov_surveys.csv")
    rows = [
        (
            int(y),
            len(g),
            "user" if y in user else "packaged",
            g[PUBLISHED].iloc[0].date().isoformat(),
            str(user.get(y, where)),
        )
        for y, g in surveys.groupby("survey_year")
    ]
    return pd.DataFrame(rows, columns=["edition", "countries", "origin", PUBLISHED, "path"])


def data_version(data_home: Path | None = None) -> str:
    """:data:`DATA_VERSION` plus ``+user<year>.<sha8>`` per user-added file (for run manifests)."""
    parts = [DATA_VERSION]
    for year, path in _user_editions(data_home).items():
        parts.append(f"user{year}.{_sha256(path.read_bytes())[:8]}")
    itu = _home(data_home) / "itu_internet_users_pct.csv"
    if itu.exists():
        parts.append(f"userITU.{_sha256(itu.read_bytes())[:8]}")
    for name in SUBINDICATORS:
        user = _home(data_home) / f"subindicator_{name}.csv"
        if user.exists():
            parts.append(f"user-{name}.{_sha256(user.read_bytes())[:8]}")
    return "+".join(parts)
