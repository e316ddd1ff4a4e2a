"""Packaged UN E-Government Survey history and ITU internet-use series, plus user-added editions.

The packaged files live in ``model/data`` (sources and checks: ``model/data/SOURCES.md``; version
and checksums: ``model/data/manifest.json``). A new survey edition is added from the UN Data
Center's own export ``EGOV_DATA_<year>.csv`` with :func:`add_edition`: it is validated, its
country names are mapped to ISO3 and M49 regions through the packaged history, and it is stored
in :func:`user_data_home` (never inside the installed package) as ``surveys/un_egov_<year>.csv``.

Edition policy: a user edition can never replace a packaged one (the packaged editions are
checked against independent copies; a different history is a different dataset, not an
addition). ``replace=True`` only replaces an earlier *user* edition of the same year.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import re
import secrets
import textwrap
import unicodedata
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import platformdirs
from vnsim.errors import DataError, UnusableFile, read_input

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
#: Largest UN CSV export read (an edition is about 30 kB); checked before reading.
MAX_CSV_BYTES = 10_000_000

_DATA = resources.files("vnsim") / "data"


def shipped_scenarios() -> Path:
    """The folder of the shipped scenario files (with ``targets/`` for the target sets).

    One copy exists, the repository's ``scenarios/``; an installed wheel carries it as the
    package data ``vnsim.scenarios``, while an editable install reads the checkout's folder.
    """
    try:
        return Path(str(resources.files("vnsim.scenarios")))
    except ModuleNotFoundError:
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


def _packaged_surveys() -> pd.DataFrame:
    with (_DATA / "un_egov_surveys.csv").open("rb") as f:
        return validate_surveys(_read_csv(f), "packaged un_egov_surveys.csv")


def load_surveys(data_home: Path | None = None) -> pd.DataFrame:
    """UN E-Government Survey rows: packaged editions 2003-2022 plus the user's added editions.

    One row per member state and edition, columns :data:`SURVEY_COLUMNS` (indices 0-1, rank
    1 = best), sorted by survey_year then egdi_rank. ``data_home`` defaults to
    :func:`user_data_home`. Raises :class:`DataError` if a user file is invalid or holds a
    packaged edition.
    """
    packaged = _packaged_surveys()
    frames = [packaged]
    for year, path in _user_editions(data_home).items():
        df = validate_surveys(_read_csv(path), str(path))
        if year in set(packaged["survey_year"]):
            raise DataError(str(path), [f"edition {year} is packaged and cannot be replaced"])
        if set(df["survey_year"]) != {year}:
            years = sorted(set(df["survey_year"]))
            raise DataError(str(path), [f"file name says edition {year}, rows say {years}"])
        frames.append(df)
    surveys = pd.concat(frames, ignore_index=True)
    return surveys.sort_values(["survey_year", "egdi_rank"], kind="stable", ignore_index=True)


def load_internet_users(data_home: Path | None = None) -> pd.DataFrame:
    """Individuals using the Internet, share of population in percent (0-100), by iso3 and year.

    Packaged ITU/WDI series (years <= 2022) plus, if present, the user's
    ``itu_internet_users_pct.csv`` (same columns) in ``data_home``; a user row for an
    (iso3, year) already packaged is a :class:`DataError`.
    """
    with (_DATA / "itu_internet_users_pct.csv").open("rb") as f:
        frames = {"packaged": _read_csv(f)}
    user = _home(data_home) / "itu_internet_users_pct.csv"
    if user.exists():
        frames[str(user)] = _read_csv(user)
    df = pd.concat(frames, names=["file", "line"])
    problems: list[str] = []
    missing = [c for c in INTERNET_COLUMNS if c not in df]
    if missing:
        raise DataError(str(user), [f"missing column(s) {missing}; found {list(df.columns)}"])
    for col in ["year", "internet_users_pct"]:
        number = pd.to_numeric(df[col], errors="coerce")
        _report(problems, f"{col}: empty or not a number", df, number.isna(), [col])
        df[col] = number
    pct = df["internet_users_pct"]
    _report(problems, "internet_users_pct: outside [0, 100]", df, (pct < 0) | (pct > 100), [])
    _report(problems, "year: not an integer", df, df["year"].notna() & (df["year"] % 1 != 0), [])
    bad_iso = ~df["iso3"].fillna("").str.fullmatch(r"[A-Z]{3}")
    _report(problems, "iso3: not 3 upper-case letters", df, bad_iso, ["entity"])
    duplicated = df.duplicated(["iso3", "year"], keep=False)
    _report(problems, "duplicate (iso3, year)", df, duplicated, ["year", "entity"])
    if problems:
        raise DataError("internet users data", problems)
    df = df[INTERNET_COLUMNS].astype({"year": "int64"})
    return df.sort_values(["iso3", "year"], ignore_index=True)


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


def add_edition(path: Path, data_home: Path | None = None, replace: bool = False) -> Path:
    """Validate a UN ``EGOV_DATA_<year>.csv`` and store it as a user edition; return its path.

    Refuses (``FileExistsError``) a packaged edition always, and an existing user edition unless
    ``replace=True``. The file is written atomically (temporary file, then ``os.replace``).
    """
    surveys = read_un_csv(path)
    year = int(surveys["survey_year"].iloc[0])
    if not 1000 <= year <= 9999:  # stored as un_egov_<4 digits>.csv, or it is never loaded
        raise DataError(str(path), [f"survey_year: {year} is not a four-digit year"])
    if year in set(_packaged_surveys()["survey_year"]):
        raise FileExistsError(f"edition {year} is packaged with vnsim and cannot be replaced")
    target = _home(data_home) / "surveys" / f"un_egov_{year}.csv"
    if target.exists() and not replace:
        raise FileExistsError(f"edition {year} already added at {target}; use replace=True")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".un_egov_{year}.{secrets.token_hex(4)}.tmp"
    # created with the user's umask (mkstemp would make it 0600, unreadable to colleagues)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            surveys.to_csv(f, index=False, lineterminator="\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def list_editions(data_home: Path | None = None) -> pd.DataFrame:
    """Survey editions available: columns edition, countries, origin ('packaged'/'user'), path."""
    packaged = _packaged_surveys().groupby("survey_year").size()
    where = str(_DATA / "un_egov_surveys.csv")
    rows = [(int(y), int(n), "packaged", where) for y, n in packaged.items()]
    for year, path in _user_editions(data_home).items():
        rows.append((year, len(pd.read_csv(path, usecols=["iso3"])), "user", str(path)))
    return pd.DataFrame(rows, columns=["edition", "countries", "origin", "path"])


def data_version(data_home: Path | None = None) -> str:
    """:data:`DATA_VERSION` plus ``+user<year>.<sha8>`` per user-added file (for run manifests)."""
    parts = [DATA_VERSION]
    for year, path in _user_editions(data_home).items():
        parts.append(f"user{year}.{_sha256(path.read_bytes())[:8]}")
    itu = _home(data_home) / "itu_internet_users_pct.csv"
    if itu.exists():
        parts.append(f"userITU.{_sha256(itu.read_bytes())[:8]}")
    return "+".join(parts)
