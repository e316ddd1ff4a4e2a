"""``vnsim verify RUN_DIR``: re-run a finished run from its manifest and prove it is identical.

The manifest of a run folder (:func:`vnsim.run.store.manifest`) holds the resolved scenario, seed,
draws, sampler and lever overrides. :func:`verify` re-simulates from them — chunk by chunk,
comparing each chunk with the same draws of ``ensemble.nc``, so a run of any size is checked in
bounded memory — and compares what produced the run with what is installed now:

* scenario: the scenario file still exists and hashes as it did (the re-run always uses the
  resolved scenario stored in the manifest, so an edited file is reported, not used);
* data: :func:`vnsim.datasets.data_version` now and then;
* code: package version and git commit now and then;
* files: the sha256 of every file the run wrote (``ensemble.nc``, ``summary.csv``,
  ``headline.json``), recorded in the manifest, against the files now;
* numbers: every variable of ``ensemble.nc``, exact equality (NaN equals NaN), with the number of
  values and the largest absolute difference of each variable that differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)
from vnsim.blocks import Variable
from vnsim.errors import DocumentError, RunFolderError

#: Largest manifest read (a baseline manifest is about 30 kB).
MAX_MANIFEST_BYTES = 10_000_000
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


def _inside(name: str) -> str:
    """A file name of the run folder: relative, without ``..``."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"{name!r} is not a file of the run folder")
    return name


class Manifest(BaseModel):
    """What :func:`verify` reads from ``manifest.json``, checked before any of it is used."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    scenario_resolved: dict[str, Any]
    seed: StrictInt = Field(ge=0)
    draws: StrictInt = Field(ge=1, le=10_000_000)
    scenario_hash: Sha256
    data_version: StrictStr
    package_version: StrictStr
    sampler: StrictStr | None = None
    lever_scale: dict[str, StrictFloat | StrictInt | list[StrictFloat | StrictInt]] | None = None
    lever_start: dict[str, StrictInt] | None = None
    git_commit: StrictStr | None = None
    scenario_file: StrictStr | None = None
    scenario_file_absolute: StrictStr | None = None
    scenario_file_hash: Sha256 | None = None
    #: sha256 of every file of the run folder but the manifest and the completion marker
    files: dict[Annotated[str, AfterValidator(_inside)], Sha256] | None = None


#: Manifest entries a run folder must have to be re-run.
REQUIRED = tuple(k for k, f in Manifest.model_fields.items() if f.is_required())


@dataclass
class Difference:
    """One way the re-run differs from the run: ``kind`` is scenario, data, code or numbers."""

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass
class VerifyReport:
    """Outcome of :func:`verify`; ``ok`` when nothing differs."""

    run_dir: Path
    draws: int
    draws_checked: int
    variables: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def explained(self) -> bool:
        """Whether what differs is explained by a change of scenario, data, code or files
        since the run (then the numbers may differ too); False when only numbers differ."""
        return any(d.kind != "numbers" for d in self.differences)

    def format(self) -> str:
        """A readable report: one headline, then one line per difference."""
        scope = (
            f"{self.draws_checked:,} draws"
            if self.draws_checked == self.draws
            else f"the first {self.draws_checked:,} of {self.draws:,} draws"
        )
        if self.ok:
            return (
                f"vnsim verify {self.run_dir}: identical — {len(self.variables)} variables "
                f"over {scope} match bit for bit; every file matches its checksum; scenario, "
                "data and code versions match"
            )
        kinds = ", ".join(dict.fromkeys(d.kind for d in self.differences))
        lines = [f"vnsim verify {self.run_dir}: DIFFERENT ({kinds}); re-ran {scope}"]
        lines += [f"  {d}" for d in self.differences]
        if not self.explained:
            lines.append(
                "  the scenario, data, code and files are those of the run, so the re-run should "
                "have matched: this is a bug in vnsim, please report it with this run folder"
            )
        return "\n".join(lines)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The validated manifest of a finished run folder; :class:`RunFolderError` if there is
    none or it is not a manifest vnsim writes (see :class:`Manifest`)."""
    from vnsim.errors import UnusableFile, read_input
    from vnsim.run import store

    run_dir = Path(run_dir)
    store.recover(run_dir)  # a replacement killed half-way is finished or undone first
    if not run_dir.is_dir():
        raise RunFolderError(f"{run_dir}: no such run folder")
    if not (run_dir / "COMPLETE").exists() or not (run_dir / "ensemble.nc").is_file():
        raise RunFolderError(
            f"{run_dir}: not a finished vnsim run (no COMPLETE marker or "
            "ensemble.nc); was the run interrupted?"
        )
    where = f"{run_dir}/manifest.json"
    try:
        raw = json.loads(read_input(run_dir / "manifest.json", MAX_MANIFEST_BYTES, "manifests"))
    except UnusableFile as exc:
        raise RunFolderError(f"{where}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise RunFolderError(f"{where}: cannot be read ({exc})") from None
    missing = [k for k in REQUIRED if not isinstance(raw, dict) or k not in raw]
    if missing:
        raise RunFolderError(f"{where}: missing {', '.join(missing)}")
    try:
        checked = Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(p) for p in first["loc"])
        raise RunFolderError(
            f"{where}: {field_name}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from None
    return {**raw, **checked.model_dump(exclude_unset=True)}


def file_differences(run_dir: Path, manifest: dict[str, Any]) -> list[Difference]:
    """Files of the run folder whose sha256 is not the one the manifest recorded."""
    from vnsim.run.store import sha256_file

    files = manifest.get("files")
    if not files:
        return [Difference("files", "manifest.json records no checksums of the run's files")]
    out = []
    for name, then in files.items():
        path = Path(run_dir) / name
        if not path.is_file():
            out.append(Difference("files", f"{name} is missing"))
        elif (now := sha256_file(path)) != then:
            out.append(
                Difference(
                    "files",
                    f"{name} changed since the run: sha256 {then[:12]}… then, {now[:12]}… now",
                )
            )
    return out


def _scenario_differences(manifest: dict[str, Any], scenario) -> list[Difference]:
    from vnsim.spec.scenario import file_hash

    out = []
    if scenario.content_hash() != manifest["scenario_hash"]:
        out.append(
            Difference(
                "scenario",
                "the resolved scenario in manifest.json does not "
                "match its recorded scenario_hash (the manifest was edited)",
            )
        )
    name = manifest.get("scenario_file")
    if not name:
        return out
    path = Path(name)
    absolute = manifest.get("scenario_file_absolute")
    if not path.is_file() and absolute and Path(absolute).is_file():
        path = Path(absolute)  # verify run from another folder than the run was
    if not path.is_file():
        out.append(
            Difference(
                "scenario",
                f"{name} no longer exists (relative paths are read "
                "from the current folder); re-ran from the resolved scenario "
                "stored in the manifest",
            )
        )
        return out
    try:
        now = file_hash(path)
    except DocumentError as exc:
        out.append(
            Difference(
                "scenario",
                f"{name} can no longer be read "
                f"({exc.problems[0]}); re-ran from the manifest's copy",
            )
        )
        return out
    then = manifest.get("scenario_file_hash")
    if now != then:
        out.append(
            Difference(
                "scenario",
                f"{name} (or a file it extends) changed since the run: sha256 "
                f"{str(then)[:12]}… then, {now[:12]}… now; re-ran from the resolved scenario "
                "stored in the manifest",
            )
        )
    return out


def _version_differences(manifest: dict[str, Any], data_version: str) -> list[Difference]:
    from vnsim import __version__
    from vnsim.run.store import git_commit

    out = []
    if manifest["data_version"] != data_version:
        out.append(
            Difference(
                "data",
                f"data version {manifest['data_version']} then, "
                f"{data_version} now (`vnsim data list` shows the editions)",
            )
        )
    if manifest["package_version"] != __version__:
        out.append(
            Difference("code", f"vnsim {manifest['package_version']} then, {__version__} now")
        )
    then, now = manifest.get("git_commit"), git_commit()
    if then and now and then != now:
        out.append(Difference("code", f"git commit {then} then, {now} now"))
    return out


def _compare_coords(plan, stored) -> list[Difference]:
    out = []
    for dim, values in plan.coords().items():
        if dim == "draw":
            continue
        have = np.asarray(stored.variables[dim][:]) if dim in stored.variables else None
        if have is not None and values.dtype == object:  # strings come back as bytes or str
            have = np.array(
                [v.decode() if isinstance(v, bytes) else str(v) for v in have], dtype=object
            )
        if have is None or have.shape != values.shape or not np.array_equal(have, values):
            out.append(
                Difference(
                    "numbers",
                    f"coordinate {dim!r} differs: "
                    f"{len(values)} values now, "
                    f"{0 if have is None else len(have)} in the run",
                )
            )
    return out


def _manifest_plan(run_dir: Path, manifest: dict[str, Any]) -> tuple[Any, list[Difference]]:
    """The plan that re-runs the manifest's resolved scenario, seed, draws, sampler and lever
    overrides, and the scenario's differences from the run (see :func:`_scenario_differences`).
    """
    from vnsim.core import planning
    from vnsim.spec.scenario import Scenario

    try:
        scenario = Scenario.model_validate(manifest["scenario_resolved"])
        draws, seed = int(manifest["draws"]), int(manifest["seed"])
    except (ValueError, TypeError) as exc:
        raise RunFolderError(
            f"{run_dir}/manifest.json: the resolved scenario is not valid "
            f"({str(exc).splitlines()[0]})"
        ) from None
    try:
        # the schema's bounds, checked before anything is sampled: a manifest edited to hold
        # 10**12 draws must not exhaust memory
        type(scenario.ensemble).model_validate({**scenario.ensemble.model_dump(), "draws": draws})
    except ValueError:
        raise RunFolderError(
            f"{run_dir}/manifest.json: draws = {draws:,} is outside what a run can hold"
        ) from None
    sampler = manifest.get("sampler")
    if sampler and sampler != scenario.ensemble.sampler:
        scenario = scenario.model_copy(
            update={"ensemble": scenario.ensemble.model_copy(update={"sampler": sampler})}
        )
    plan = planning.plan(
        scenario,
        draws,
        seed,
        lever_scale=manifest.get("lever_scale") or None,
        lever_start=manifest.get("lever_start") or None,
    )
    return plan, _scenario_differences(manifest, scenario)


def _layout_differences(plan, stored, variables) -> list[Difference]:
    """Coordinates, draw count and variables of ``ensemble.nc`` that differ from the plan's."""
    out = _compare_coords(plan, stored)
    if "draw" not in stored.dimensions or stored.dimensions["draw"].size != plan.draws:
        out.append(
            Difference(
                "numbers", f"ensemble.nc does not hold {plan.draws:,} draws as its manifest says"
            )
        )
    missing = [v for v in variables if v not in stored.variables]
    if missing:
        out.append(Difference("numbers", f"ensemble.nc lacks {', '.join(missing)}"))
    return out


@dataclass
class _Tally:
    """Per variable of a stored ensemble: how many values differ and the largest difference."""

    stored: Any  # an open h5netcdf.File
    variables: list[str]
    count: dict[str, int] = field(default_factory=dict)
    biggest: dict[str, float] = field(default_factory=dict)

    def compare(self, start: int, stop: int, arrays: dict[str, np.ndarray]) -> None:
        """Sink of a re-run: compare draws ``[start, stop)`` with the stored ones."""
        for name in self.variables:
            have = np.asarray(self.stored.variables[name][start:stop])
            new = np.asarray(arrays[name]).astype(have.dtype)  # as EnsembleFile stores it
            if have.shape != new.shape:
                self._add(name, max(have.size, new.size), float("inf"))
                continue
            same = (have == new) | (_isnan(have) & _isnan(new))
            if not same.all():
                diff = np.abs(have.astype(float) - new.astype(float))[~same]
                self._add(name, int((~same).sum()), float(np.nan_to_num(diff, nan=np.inf).max()))

    def _add(self, name: str, count: int, biggest: float) -> None:
        self.count[name] = self.count.get(name, 0) + count
        self.biggest[name] = max(self.biggest.get(name, 0.0), biggest)

    def differences(self, draws: int, registry: dict[str, Variable]) -> list[Difference]:
        """One :class:`Difference` per variable that differs over the first ``draws`` draws."""
        out = []
        for name in self.variables:
            count = self.count.get(name, 0)
            if not count:
                continue
            dims, units = ("draw", *registry[name].dims), registry[name].unit
            total = draws * int(np.prod([self.stored.dimensions[d].size for d in dims[1:]]))
            out.append(
                Difference(
                    "numbers",
                    f"{name} differs in {count:,} of {total:,} values "
                    f"(largest absolute difference {self.biggest[name]:.6g} {units})",
                )
            )
        return out


def verify(
    run_dir: str | Path, *, draws_limit: int | None = None, chunk_size: int | None = None
) -> VerifyReport:
    """Re-run a run folder from its manifest and compare everything that produced its numbers.

    Parameters
    ----------
    run_dir
        A finished run folder (``ensemble.nc``, ``manifest.json``, ``COMPLETE``).
    draws_limit
        Re-run and compare only the first ``draws_limit`` draws (the design is still sampled
        for all draws, so they are the same draws as in the run).
    chunk_size
        Draws per re-run chunk (default: by memory, as ``vnsim run``).

    Raises
    ------
    RunFolderError
        If ``run_dir`` is not a finished, readable run.
    """
    import h5netcdf
    from vnsim.blocks import VARIABLES
    from vnsim.run import executors

    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    plan, differences = _manifest_plan(run_dir, manifest)
    differences += _version_differences(manifest, plan.data_version)
    differences += file_differences(run_dir, manifest)
    draws = plan.draws
    checked = draws if draws_limit is None else max(0, min(draws, int(draws_limit)))
    report = VerifyReport(run_dir, draws, checked, list(VARIABLES), differences)
    try:
        stored = h5netcdf.File(run_dir / "ensemble.nc", "r")
    except OSError as exc:
        raise RunFolderError(f"{run_dir}/ensemble.nc: cannot be read ({exc})") from None
    with stored:
        layout = _layout_differences(plan, stored, VARIABLES)
        if layout:  # values cannot be compared one to one
            report.differences += layout
            return report
        tally = _Tally(stored, list(VARIABLES))
        if checked:
            executors.run(plan.head(checked), chunk_size=chunk_size, sink=tally.compare)
        report.differences += tally.differences(checked, VARIABLES)
    return report


def _isnan(a: np.ndarray) -> np.ndarray:
    return np.isnan(a) if np.issubdtype(a.dtype, np.floating) else np.zeros(a.shape, bool)
