"""Rebuild the packaged copies in this folder from the project's reference data, and the manifest.

Run from the repository root with the reference data folder (``shared/data`` of the project,
holding ``un_egov_surveys.csv``, ``itu_internet_users_pct.csv`` and ``subindicators/``)::

    .venv/bin/python model/data/build.py REFERENCE_DATA_FOLDER

The survey history and the ITU internet-users file are copied unchanged. The sub-indicator files
are copied without the rows published after :data:`CUTOFF` under the release rule of
``series_releases.csv`` (outcomes published later are held back so that forecasts can be scored
blind; see SOURCES.md, "Publication dates"). ``manifest.json`` gets every file's checksum.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pandas as pd
from vnsim import datasets

HERE = Path(__file__).parent
CUTOFF = pd.Timestamp(2024, 12, 31)
VERSION = "un2003-2024+itu2023+sub2024.2"
COPIED = ("un_egov_surveys.csv", "itu_internet_users_pct.csv")
TABLES = ("un_egov_editions.csv", "series_releases.csv", "groups.csv", "observations.csv")


def copy_subindicator(source: Path, name: str) -> pd.DataFrame:
    """The rows of one sub-indicator published by :data:`CUTOFF`, as written to this folder."""
    file = f"subindicator_{name}.csv"
    rule = datasets.series_releases().loc[file]
    raw = pd.read_csv(source, dtype={"value": str})  # values are kept as written
    published = datasets.series_published(raw["year"], rule["lag_years"], rule["copy_published"])
    kept = raw[published <= CUTOFF]
    kept.to_csv(HERE / file, index=False, lineterminator="\n")
    return kept


def file_entry(name: str) -> dict:
    data = (HERE / name).read_bytes().replace(b"\r\n", b"\n")
    df = pd.read_csv(HERE / name)
    entry: dict = {"sha256": hashlib.sha256(data).hexdigest(), "rows": len(df)}
    if "survey_year" in df:
        entry["editions"] = sorted(int(e) for e in df["survey_year"].unique())
    elif "year" in df:
        entry["years"] = [int(df["year"].min()), int(df["year"].max())]
    return entry


def main(reference: Path) -> None:
    for name in COPIED:
        shutil.copyfile(reference / name, HERE / name)
    subs = [f"subindicator_{n}.csv" for n in datasets.SUBINDICATORS]
    for name in datasets.SUBINDICATORS:
        copy_subindicator(reference / "subindicators" / f"{name}.csv", name)
    manifest = {
        "version": VERSION,
        "description": (
            "Packaged data of vnsim; sources, publication dates and checks in SOURCES.md. "
            "vnsim.datasets.DATA_VERSION = version + '-' + first 8 hex of sha256 over "
            "json.dumps(files, sort_keys=True). Checksums are over the file bytes with CRLF "
            "normalised to LF. Rebuilt by build.py."
        ),
        "files": {name: file_entry(name) for name in [*COPIED, *subs, *TABLES]},
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (HERE / "manifest.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
