"""Results: the xarray Dataset of outcomes, its summary, and the run folder on disk.

Variable names, dimensions and units are a public contract (README, "Results"). A run folder
holds ``ensemble.nc``, ``summary.csv``, ``headline.json``, ``manifest.json`` (with the sha256
of the other files) and the ``COMPLETE`` marker. It is claimed exclusively at the start,
written under a hidden temporary name beside its destination and renamed at the end; a
``--force`` replacement killed half-way is finished or undone by the next command
(:func:`recover`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import platform
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5netcdf
import h5py
import numpy as np
import xarray as xr
from vnsim import __version__
from vnsim.blocks import VARIABLES, Variable
from vnsim.core.plan import Plan
from vnsim.errors import RunFolderError, interrupts_deferred

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def provenance(plan: Plan, executor: str = "inprocess") -> dict[str, Any]:
    """Attributes recording what produced a run."""
    scn = plan.scenario
    return {
        "scenario": scn.name,
        "scenario_title": scn.title or scn.name,
        "scenario_file": scn.source_file or "",
        "scenario_hash": scn.content_hash(),
        "focus_country": scn.egov.country,
        "seed": plan.seed,
        "draws": plan.draws,
        "sampler": scn.ensemble.sampler,
        "executor": executor,
        "data_version": plan.data_version,
        **plan.provenance(),
        "package_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _attrs(variable: Variable) -> dict[str, str]:
    return {"units": variable.unit, "description": variable.description}


def _stored(variable: Variable) -> np.dtype:
    """dtype of a variable in ``ensemble.nc`` (NetCDF-4 has no boolean: bools are int8)."""
    return np.dtype(np.int8 if variable.dtype == "bool" else variable.dtype)


def to_dataset(
    plan: Plan, arrays: dict[str, np.ndarray], executor: str = "inprocess"
) -> xr.Dataset:
    """The results Dataset from a plan and its joined chunk arrays."""
    data_vars = {
        name: xr.Variable(("draw", *v.dims), arrays[name], _attrs(v))
        for name, v in VARIABLES.items()
    }
    return xr.Dataset(data_vars, coords=plan.coords(), attrs=provenance(plan, executor))


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
    plan: Plan
    attrs: dict[str, Any]

    def __post_init__(self) -> None:
        c = self.plan.coords()
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
        focus = self.plan.scenario.egov.country
        self._focus = list(c["country"]).index(focus) if focus in c["country"] else None
        for name, v in VARIABLES.items():
            dims = ("draw", *v.dims)
            shape = tuple(len(c[d]) for d in dims)
            dtype = _stored(v)
            chunk = tuple(
                min(s, 1024) if d == "draw" else s for d, s in zip(dims, shape, strict=True)
            )
            kwargs = {"chunks": chunk} if all(chunk) else {}
            var = f.create_variable(name, dims, dtype=dtype, **kwargs)
            var.attrs.update(_attrs(v))
            if "country" in dims and self._focus is not None:
                self._keep[name] = np.zeros((n, *shape[1:-1]), dtype)
            elif "country" not in dims:
                self._keep[name] = np.zeros(shape, dtype)
        for key, value in self.attrs.items():
            f.attrs[key] = value

    def write(self, start: int, stop: int, arrays: dict[str, np.ndarray]) -> None:
        """Store draws ``start`` to ``stop - 1``."""
        for name, v in VARIABLES.items():
            a = arrays[name].astype(_stored(v), copy=False)
            if a.size:
                self._file.variables[name][start:stop] = a
            if name in self._keep:
                self._keep[name][start:stop] = a[..., self._focus] if "country" in v.dims else a

    def close(self) -> xr.Dataset:
        """Close the file; return the in-memory summary Dataset (focus country only)."""
        self._file.close()
        c = self.plan.coords()
        c["country"] = np.array([self.plan.scenario.egov.country], dtype=object)
        data_vars = {}
        for name, v in VARIABLES.items():
            if name not in self._keep:
                continue
            values = self._keep[name]
            if "country" in v.dims:
                values = values[..., None]
            data_vars[name] = xr.Variable(("draw", *v.dims), values.astype(v.dtype), _attrs(v))
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


#: The completion marker: a run folder is finished only when it holds this and a manifest.
COMPLETE = "COMPLETE"
MANIFEST = "manifest.json"


def is_finished_run(folder: Path) -> bool:
    """Whether ``folder`` is a real folder holding a finished vnsim run."""
    folder = Path(folder)
    return (
        folder.is_dir()
        and not folder.is_symlink()
        and (folder / COMPLETE).is_file()
        and (folder / MANIFEST).is_file()
    )


def _replaceable(target: Path) -> bool:
    """``--force`` may replace only an empty folder or a finished vnsim run."""
    if target.is_symlink() or not target.is_dir():
        return False
    return is_finished_run(target) or not any(target.iterdir())


def _pid_of(path: Path, marker: str) -> int | None:
    """The process id in ``.NAME.<marker>-PID[-...]``, if any."""
    text = path.name.split(f".{marker}-", 1)[-1].split("-", 1)[0]
    return int(text) if text.isdigit() else None


def recover(target: Path) -> None:
    """Finish or undo a ``--force`` replacement of ``target`` whose process was killed.

    A replacement moves the old run to ``.NAME.old-PID``, the new one into place, then
    deletes the old one. A dead PID's leftovers are resolved: if ``target`` is in place, the
    old run is deleted (finished); if not, the new run is put in place when it was complete,
    else the old run is restored. Stale partial folders of dead runs are removed.
    """
    target = Path(target)
    parent, name = target.parent, target.name
    if not parent.is_dir():
        return
    for old in parent.glob(f".{name}.old-*"):
        pid = _pid_of(old, "old")
        if pid is None or _alive(pid):
            continue
        if not target.exists():
            done = [p for p in parent.glob(f".{name}.partial-{pid}-*") if is_finished_run(p)]
            os.rename(done[0] if done else old, target)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
    for partial in parent.glob(f".{name}.partial-*"):
        pid = _pid_of(partial, "partial")
        if pid is not None and not _alive(pid):
            shutil.rmtree(partial, ignore_errors=True)
    for claim in parent.glob(f".{name}.claim-*"):
        pid = _pid_of(claim, "claim")
        if pid is not None and not _alive(pid):
            with contextlib.suppress(OSError):
                os.rmdir(target)  # the dead run's claim, if still empty
            claim.unlink(missing_ok=True)


def _exists_message(target: Path) -> str:
    return f"{target} already exists; choose another --out or pass --force to replace it"


class RunFolder:
    """A run folder written atomically and exclusively.

    Without ``force`` the target is claimed at the start by creating it (``os.mkdir`` fails
    if anyone else has it; a ``.NAME.claim-PID-*`` file beside it says whose it is). Results
    go to a hidden ``.NAME.partial-PID-*`` folder beside it, and the complete folder is
    renamed onto the empty claim at the end. With ``force`` an existing target must be an
    empty folder or a finished vnsim run; it is swapped out only when the new run is complete
    (see :func:`recover` for a kill during the swap).

    Use as a context manager; on any exception (including ``KeyboardInterrupt``) the temporary
    folder and the claim are removed and an existing ``target`` is untouched. ``done`` is True
    once the finished folder is in place.

    Raises
    ------
    RunFolderError
        If the target exists (without ``force``), is not replaceable, or another run took it.
    """

    def __init__(self, target: Path, force: bool = False) -> None:
        self.target = Path(target)
        self.force = force
        self.done = False
        self._claimed = False
        recover(self.target)
        if self.target.exists() or self.target.is_symlink():
            if not force:
                raise RunFolderError(_exists_message(self.target))
            if not _replaceable(self.target):
                raise RunFolderError(
                    f"{self.target} is not a vnsim run folder (no {COMPLETE} marker and "
                    f"{MANIFEST}) and not empty; --force replaces only finished runs: "
                    "choose another --out"
                )

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        # who holds the claim, so that the claim of a killed run can be removed
        self._marker = self.target.with_name(
            f".{self.target.name}.claim-{os.getpid()}-{secrets.token_hex(4)}"
        )
        self._marker.touch()
        try:
            os.mkdir(self.target)  # the claim: exactly one run creates it
            self._claimed = True
        except FileExistsError:
            self._marker.unlink()
            # with --force an existing target is checked again when it is replaced
            if not self.force:
                raise RunFolderError(
                    f"{self.target} was just created by another run; choose another --out"
                ) from None
        self.tmp = self.target.with_name(
            f".{self.target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
        )
        try:
            os.mkdir(self.tmp)  # with the user's umask, unlike tempfile.mkdtemp's 0700
        except BaseException:
            self._abandon()
            raise
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abandon()
            return
        with interrupts_deferred():
            try:
                (self.tmp / COMPLETE).write_text("")
                self._put_in_place()
            except BaseException:
                self._abandon()
                raise
            self.done = True
            self._marker.unlink(missing_ok=True)

    def _put_in_place(self) -> None:
        try:
            if self._claimed or not self.target.exists():
                os.rename(self.tmp, self.target)  # onto our empty claim, or a vanished target
                return
            if not _replaceable(self.target):
                raise RunFolderError(_changed(self.target))
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.rename(self.target, old)
            os.rename(self.tmp, self.target)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise RunFolderError(_changed(self.target)) from None
            raise

    def _abandon(self) -> None:
        if hasattr(self, "tmp"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self._claimed:
            with contextlib.suppress(OSError):
                os.rmdir(self.target)  # only if still our empty claim
        self._marker.unlink(missing_ok=True)


def _changed(target: Path) -> str:
    return (
        f"{target} was written by another process during this run; its contents were kept "
        "and this run's results were not: choose another --out"
    )


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
        json.dumps(data, indent=2, ensure_ascii=False, default=str, allow_nan=False) + "\n",
        encoding="utf-8",
    )


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes, read in blocks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def checksums(folder: Path, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """sha256 of every file in ``folder`` (and its sub-folders), by relative POSIX path.

    ``known`` holds hashes the caller already took of finished files (by the same path), so
    that a big file is read once.
    """
    folder = Path(folder)
    known = known or {}
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    out = {}
    for p in files:
        name = p.relative_to(folder).as_posix()
        out[name] = known[name] if name in known else sha256_file(p)
    return out
