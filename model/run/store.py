"""Results: the xarray Dataset of outcomes, its summary, and the run folder on disk.

Variable names, dimensions and units are a public contract (README, "Results"). A run folder
holds ``ensemble.nc``, ``summary.csv`` and ``manifest.json`` and appears only when complete: it
is written under a temporary name beside its destination and renamed at the end.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5netcdf
import h5py
import numpy as np
import pandas as pd
import xarray as xr
from vnsim import __version__
from vnsim.blocks import dossiers

#: name -> (dims, units, description)
VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "market_size": (("draw", "year"), "USD bn", "IT application market size"),
    "market_growth": (("draw", "year"), "share/yr", "Market growth over the previous year"),
    "admin_fully_online": (
        ("draw", "year"),
        "share 0-1",
        "Administrative-procedure dossiers processed fully online (national)",
    ),
    "dossiers_online": (
        ("draw", "year", "level"),
        "share 0-1",
        "Work dossiers processed online, by government level",
    ),
    "osi": (("draw", "edition", "country"), "index 0-1", "Online Service Index"),
    "tii": (("draw", "edition", "country"), "index 0-1", "Telecommunication Infrastructure Index"),
    "hci": (("draw", "edition", "country"), "index 0-1", "Human Capital Index"),
    "egdi": (("draw", "edition", "country"), "index 0-1", "E-Government Development Index"),
    "egdi_rank": (("draw", "edition", "country"), "rank (1 = best)", "World EGDI rank"),
    "asean_position": (
        ("draw", "edition"),
        "position (1 = best)",
        "Viet Nam's EGDI position among ASEAN members",
    ),
    "lever_intensity": (("draw", "year", "lever"), "intensity", "Lever intensity after triggers"),
    "trigger_fired": (("draw", "lever"), "1", "Whether the lever's trigger fired (True if none)"),
    "trigger_year": (("draw", "lever"), "year", "Year the trigger fired (-1 = not fired)"),
    "inputs": (("draw", "input"), "various", "Sampled value of each uncertain input"),
}
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
FOCUS = "VNM"


def provenance(plan, executor: str = "inprocess") -> dict[str, Any]:
    """Attributes recording what produced a run."""
    scn = plan.scenario
    return {
        "scenario": scn.name,
        "scenario_title": scn.title or scn.name,
        "scenario_file": scn.source_file or "",
        "scenario_hash": scn.content_hash(),
        "seed": plan.seed,
        "draws": plan.draws,
        "sampler": scn.ensemble.sampler,
        "executor": executor,
        "data_version": plan.data_version,
        "data_editions": plan.data_editions,
        "package_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def coords(plan) -> dict[str, Any]:
    """Coordinates of a plan's results."""
    return {
        "draw": np.arange(plan.draws),
        "year": plan.years,
        "edition": np.array(plan.editions),
        "country": np.array(plan.egov_model.countries, dtype=object),
        "level": np.array(dossiers.LEVELS, dtype=object),
        "lever": np.array(plan.levers, dtype=object),
        "input": np.array(list(plan.inputs), dtype=object),
    }


def to_dataset(plan, arrays: dict[str, np.ndarray], executor: str = "inprocess") -> xr.Dataset:
    """The results Dataset from a plan and its joined chunk arrays."""
    c = coords(plan)
    data_vars = {}
    for name, (dims, units, description) in VARIABLES.items():
        data_vars[name] = xr.Variable(
            dims, arrays[name], {"units": units, "description": description}
        )
    ds = xr.Dataset(data_vars, coords=c, attrs=provenance(plan, executor))
    return ds


def summarise(ds: xr.Dataset) -> pd.DataFrame:
    """Tidy summary: one row per variable and time (and level), quantiles and mean.

    Country variables are summarised for Viet Nam only; probabilities of the rank events and of
    the dossier targets are rows with unit ``probability`` (value in ``mean``).
    """
    rows = []

    def add(name: str, da: xr.DataArray, units: str, **labels: Any) -> None:
        time_dim = "year" if "year" in da.dims else "edition"
        da = da.dropna(time_dim, how="all")  # e.g. growth has no value in the base year
        q = da.quantile(QUANTILES, dim="draw").transpose(time_dim, "quantile")
        mean = da.mean("draw")
        for i, t in enumerate(da[time_dim].values):
            row = {
                "variable": name,
                "unit": units,
                "time": int(t),
                "time_kind": time_dim,
                **labels,
                "mean": float(mean[i]),
            }
            row.update(
                {
                    f"p{round(p * 100):02d}": float(v)
                    for p, v in zip(QUANTILES, q[i].values, strict=True)
                }
            )
            rows.append(row)

    for name in ("market_size", "market_growth", "admin_fully_online"):
        if name in ds:
            add(name, ds[name], ds[name].attrs["units"])
    if "dossiers_online" in ds:
        for level in ds.level.values:
            add(
                "dossiers_online",
                ds.dossiers_online.sel(level=level),
                "share 0-1",
                level=str(level),
            )
    for name in ("osi", "tii", "hci", "egdi", "egdi_rank"):
        if name in ds and FOCUS in ds.country:
            add(
                name,
                ds[name].sel(country=FOCUS).astype(float),
                ds[name].attrs["units"],
                country=FOCUS,
            )
    if "asean_position" in ds:
        add("asean_position", ds.asean_position.astype(float), "position", country=FOCUS)

    def probability(name: str, event: xr.DataArray, time_dim: str, **labels) -> None:
        p = event.mean("draw")
        for t, v in zip(event[time_dim].values, p.values, strict=True):
            rows.append(
                {
                    "variable": name,
                    "unit": "probability",
                    "time": int(t),
                    "time_kind": time_dim,
                    **labels,
                    "mean": float(v),
                }
            )

    if "egdi_rank" in ds and FOCUS in ds.country:
        rank = ds.egdi_rank.sel(country=FOCUS)
        for top in (30, 50, 70):
            probability(f"P(egdi_rank<={top})", rank <= top, "edition", country=FOCUS)
    if "asean_position" in ds:
        probability("P(asean_position<=3)", ds.asean_position <= 3, "edition", country=FOCUS)
    if "market_size" in ds:
        probability("P(market_size>=25)", ds.market_size >= 25, "year")
    if "admin_fully_online" in ds:
        probability("P(admin_fully_online>=0.8)", ds.admin_fully_online >= 0.8, "year")
    if "dossiers_online" in ds:
        for level, goal in zip(dossiers.LEVELS, (0.9, 0.8, 0.6), strict=True):
            probability(
                f"P(dossiers_online>={goal})",
                ds.dossiers_online.sel(level=level) >= goal,
                "year",
                level=level,
            )
    columns = [
        "variable",
        "unit",
        "time_kind",
        "time",
        "country",
        "level",
        "mean",
        *(f"p{round(p * 100):02d}" for p in QUANTILES),
    ]
    return pd.DataFrame(rows).reindex(columns=columns)


def headline(ds: xr.Dataset, year: int = 2025) -> dict[str, Any]:
    """The numbers a briefing asks first: the market in ``year`` and the rank and dossier odds."""
    out: dict[str, Any] = {
        "scenario": ds.attrs.get("scenario"),
        "draws": int(ds.sizes["draw"]),
        "seed": ds.attrs.get("seed"),
    }
    if "market_size" in ds and year in ds.year:
        m = ds.market_size.sel(year=year)
        lo, med, hi = (float(v) for v in m.quantile([0.1, 0.5, 0.9]).values)
        out["market"] = {
            "year": year,
            "unit": "USD bn",
            "median": med,
            "p10": lo,
            "p90": hi,
            "p_at_least_25": float((m >= 25).mean()),
            "p_at_least_30": float((m >= 30).mean()),
        }
    if "egdi_rank" in ds and FOCUS in ds.country:
        rank = ds.egdi_rank.sel(country=FOCUS)
        out["egdi_rank"] = [
            {
                "edition": int(e),
                "median": float(rank.sel(edition=e).median()),
                "p10": float(rank.sel(edition=e).quantile(0.1)),
                "p90": float(rank.sel(edition=e).quantile(0.9)),
                "p_top_50": float((rank.sel(edition=e) <= 50).mean()),
                "p_top_70": float((rank.sel(edition=e) <= 70).mean()),
                "p_asean_top_3": float((ds.asean_position.sel(edition=e) <= 3).mean()),
            }
            for e in ds.edition.values
        ]
    if "admin_fully_online" in ds and year in ds.year:
        out["dossiers"] = {
            "year": year,
            "p_admin_fully_online_at_least_0.8": float(
                (ds.admin_fully_online.sel(year=year) >= 0.8).mean()
            ),
            **{
                f"p_{lvl}_at_least_{goal}": float(
                    (ds.dossiers_online.sel(year=year, level=lvl) >= goal).mean()
                )
                for lvl, goal in zip(dossiers.LEVELS, (0.9, 0.8, 0.6), strict=True)
            },
        }
    return out


def git_commit() -> str | None:
    """The git commit of the source tree the package runs from, if it is a clean checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "model"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if dirty else sha


def manifest(
    plan, ds_attrs: dict[str, Any], scenario_file: str | None, file_hash: str | None
) -> dict[str, Any]:
    """Everything needed to reproduce a run (``vnsim verify`` re-runs from it)."""
    return {
        **ds_attrs,
        "scenario_file": scenario_file,
        "scenario_file_absolute": str(Path(scenario_file).resolve()) if scenario_file else None,
        "scenario_file_hash": file_hash,
        "scenario_resolved": plan.scenario.model_dump(mode="json"),
        "lever_scale": {k: np.asarray(v).tolist() for k, v in plan.lever_scale.items()},
        "lever_start": plan.lever_start,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


@dataclass
class EnsembleFile:
    """``ensemble.nc`` written chunk by chunk (h5netcdf), so no chunk needs to stay in memory.

    Small variables (those without a ``country`` axis) and Viet Nam's slice of the country
    variables are also kept in memory to compute the summary from the stream.
    """

    path: Path
    plan: Any
    attrs: dict[str, Any]

    def __post_init__(self) -> None:
        c = coords(self.plan)
        self._file = h5netcdf.File(self.path, "w")
        f = self._file
        for dim, values in c.items():
            f.dimensions[dim] = len(values)
            if values.dtype == object:
                var = f.create_variable(dim, (dim,), dtype=h5py.string_dtype())
                var[:] = values.astype(str)
            else:
                var = f.create_variable(dim, (dim,), dtype=np.int64)
                var[:] = values
        n = self.plan.draws
        self._keep: dict[str, np.ndarray] = {}
        self._focus = list(c["country"]).index(FOCUS) if FOCUS in c["country"] else None
        for name, (dims, units, description) in VARIABLES.items():
            shape = tuple(len(c[d]) for d in dims)
            dtype = {
                "trigger_fired": np.int8,
                "trigger_year": np.int16,
                "egdi_rank": np.int16,
                "asean_position": np.int16,
            }.get(name, np.float32 if "country" in dims else np.float64)
            chunk = tuple(
                min(s, 1024) if d == "draw" else s for d, s in zip(dims, shape, strict=True)
            )
            kwargs = {"chunks": chunk} if all(chunk) else {}
            var = f.create_variable(name, dims, dtype=dtype, **kwargs)
            var.attrs["units"] = units
            var.attrs["description"] = description
            if "country" in dims and self._focus is not None:
                self._keep[name] = np.zeros((n, *shape[1:-1]), dtype)
            elif "country" not in dims:
                self._keep[name] = np.zeros(shape, dtype)
        for key, value in self.attrs.items():
            f.attrs[key] = value

    def write(self, start: int, stop: int, arrays: dict[str, np.ndarray]) -> None:
        """Store draws ``start`` to ``stop - 1``."""
        for name, (dims, _, _) in VARIABLES.items():
            a = arrays[name]
            if name == "trigger_fired":
                a = a.astype(np.int8)
            if a.size:
                self._file.variables[name][start:stop] = a
            if name in self._keep:
                self._keep[name][start:stop] = a[..., self._focus] if "country" in dims else a

    def close(self) -> xr.Dataset:
        """Close the file; return the in-memory summary Dataset (Viet Nam only for countries)."""
        self._file.close()
        c = coords(self.plan)
        c["country"] = np.array([FOCUS], dtype=object)
        data_vars = {}
        for name, (dims, units, description) in VARIABLES.items():
            if name not in self._keep:
                continue
            values = self._keep[name]
            if "country" in dims:
                values = values[..., None]
            if name == "trigger_fired":
                values = values.astype(bool)
            data_vars[name] = xr.Variable(
                dims, values, {"units": units, "description": description}
            )
        return xr.Dataset(data_vars, coords=c, attrs=self.attrs)

    def abort(self) -> None:
        try:
            self._file.close()
        except Exception:
            pass


def open_run(folder: str | Path) -> xr.Dataset:
    """Open a run folder's ``ensemble.nc`` (lazily) with booleans restored."""
    ds = xr.open_dataset(Path(folder) / "ensemble.nc", engine="h5netcdf")
    if "trigger_fired" in ds:
        ds["trigger_fired"] = ds.trigger_fired.astype(bool)
    return ds


class RunFolder:
    """A run folder written atomically: everything goes to a hidden temporary folder beside
    ``target``, which is renamed to ``target`` only when complete.

    Use as a context manager; on any exception (including ``KeyboardInterrupt``) the temporary
    folder is removed and ``target`` is untouched.
    """

    def __init__(self, target: Path, force: bool = False) -> None:
        self.target = Path(target)
        if self.target.exists() and not force:
            raise FileExistsError(
                f"{self.target} already exists; choose another --out or pass --force to replace it"
            )
        self.force = force

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._clean_stale()
        self.tmp = Path(
            tempfile.mkdtemp(
                prefix=f".{self.target.name}.partial-{os.getpid()}-", dir=self.target.parent
            )
        )
        return self.tmp

    def _clean_stale(self) -> None:
        """Remove partial folders left by runs of this target that were killed."""
        for old in self.target.parent.glob(f".{self.target.name}.partial-*"):
            pid = old.name.removeprefix(f".{self.target.name}.partial-").split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        (self.tmp / "COMPLETE").write_text("")
        if self.target.exists():
            trash = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.replace(self.target, trash)
            os.replace(self.tmp, self.target)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(self.tmp, self.target)


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (then its partial folder may still be in use)."""
    if os.name == "nt":
        return True  # os.kill(pid, 0) would terminate the process on Windows: never clean there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
