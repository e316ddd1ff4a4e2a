"""Scenario files: the closed schema, ``extends:`` inheritance, and checks a planner can act on.

A scenario is data, never code. :func:`load_scenario` reads a YAML file (and the files it
``extends``), checks it against :class:`Scenario` and reports **every** problem at once, each with
file, line and field, as a :class:`~vnsim.spec.documents.DocumentError`.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    create_model,
    model_validator,
)
from vnsim.blocks import BLOCKS, Block
from vnsim.errors import Message, Num
from vnsim.quantity import UNITS, InputName
from vnsim.spec.documents import (
    DocumentError,
    Lines,
    Problem,
    dotted,
    number_hint,
    read_yaml,
    suggest,
    validate,
)
from vnsim.spec.levers import EFFECT_UNITS, TRIGGER_UNITS, Lever
from vnsim.spec.plausibility import plausibility_problems
from vnsim.uncertainty import Sampler

#: Parameters each distribution takes (``low``/``high`` optional for beta).
DISTRIBUTIONS: dict[str, tuple[set[str], set[str]]] = {
    "fixed": ({"value"}, set()),
    "uniform": ({"low", "high"}, set()),
    "triangular": ({"low", "mode", "high"}, set()),
    "normal": ({"mean", "sd"}, set()),
    "truncated_normal": ({"mean", "sd", "low", "high"}, set()),
    "lognormal": ({"median", "sigma"}, set()),
    "beta": ({"alpha", "beta"}, {"low", "high"}),
    "student_t": ({"df", "loc", "scale"}, set()),
}
PARAMS = (
    "value",
    "low",
    "mode",
    "high",
    "mean",
    "sd",
    "median",
    "sigma",
    "alpha",
    "beta",
    "df",
    "loc",
    "scale",
)
MAX_EXTENDS = 10

#: Names Windows reserves for devices, in any case (``nul``, ``COM1``): no folder can have them.
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}
)


def _portable(name: str) -> str:
    if name.upper() in WINDOWS_RESERVED:
        raise ValueError(
            Message(
                "{name!r} is a device name on Windows and cannot name a folder there", name=name
            )
        )
    return name


# the pattern already refuses dots, so no name ends with one (Windows drops trailing dots)
Name = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"),
    AfterValidator(_portable),
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class UncertainInput(_Section):
    """An uncertain input: a named distribution with its unit and source.

    Distributions and their parameters: ``fixed`` (value), ``uniform`` (low, high),
    ``triangular`` (low, mode, high), ``normal`` (mean, sd), ``truncated_normal`` (mean, sd, low,
    high), ``lognormal`` (median, sigma of the log), ``beta`` (alpha, beta; optional low, high),
    ``student_t`` (df, loc, scale).
    """

    dist: Literal[tuple(DISTRIBUTIONS)] = Field(description="Distribution")  # type: ignore[valid-type]
    unit: str = Field(description=f"Unit, one of: {', '.join(UNITS)}")
    source: str = Field(min_length=1, description="Where the numbers come from, or 'assumption: …'")
    source_vi: str = Field("", description="The source in Vietnamese, for briefings in Vietnamese")
    value: float | None = None
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    sigma: float | None = None
    alpha: float | None = None
    beta: float | None = None
    df: float | None = None
    loc: float | None = None
    scale: float | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Self:
        needed, optional = DISTRIBUTIONS[self.dist]
        given = {p for p in PARAMS if getattr(self, p) is not None}
        errors: list[Message] = []
        if missing := sorted(needed - given):
            errors.append(
                Message("{dist} needs {params}", dist=self.dist, params=", ".join(missing))
            )
        if extra := sorted(given - needed - optional):
            errors.append(
                Message(
                    "{params} not used by {dist} (it takes {needed})",
                    params=", ".join(extra),
                    dist=self.dist,
                    needed=", ".join(sorted(needed)),
                )
            )
        if self.unit not in UNITS:
            errors.append(
                Message(
                    "unknown unit {unit!r}{hint}; units: {units}",
                    unit=self.unit,
                    hint=suggest(self.unit, UNITS),
                    units=", ".join(UNITS),
                )
            )
        if errors:
            raise ValueError(Message.join(errors))
        errors = self._values()
        if errors:
            raise ValueError(Message.join(errors))
        return self

    def _values(self) -> list[Message]:
        """What is wrong with the parameters' values, once the right ones are given."""
        p, errors = self.params(), []
        if "low" in p and "high" in p and not p["low"] < p["high"]:
            errors.append(
                Message(
                    "low bound ({low}) must be below high bound ({high})",
                    low=Num(p["low"], ""),
                    high=Num(p["high"], ""),
                )
            )
        elif "mode" in p and not p["low"] <= p["mode"] <= p["high"]:
            errors.append(
                Message("mode ({mode}) must lie between low and high", mode=Num(p["mode"], ""))
            )
        for positive in ("sd", "sigma", "alpha", "beta", "df", "scale", "median"):
            if positive in p and p[positive] <= 0:
                errors.append(
                    Message(
                        "{param} must be positive (got {value})",
                        param=positive,
                        value=Num(p[positive], ""),
                    )
                )
        if self.unit == "share" and not errors:
            lo, hi = self.support()
            if lo < 0 or hi > 1:
                errors.append(
                    Message(
                        "a share must lie between 0 and 1 (write 0.8 for {percent}); this "
                        "distribution reaches [{low}, {high}] — use uniform, triangular, beta or "
                        "truncated_normal",
                        percent=Num(80, "g", percent=True),
                        low=Num(lo),
                        high=Num(hi),
                    )
                )
        return errors

    def params(self) -> dict[str, float]:
        """The distribution's parameters that are set."""
        return {p: getattr(self, p) for p in PARAMS if getattr(self, p) is not None}

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take."""
        p = self.params()
        if self.dist == "fixed":
            return p["value"], p["value"]
        if self.dist == "beta":
            return p.get("low", 0.0), p.get("high", 1.0)
        if self.dist == "lognormal":
            return 0.0, math.inf
        return p.get("low", -math.inf), p.get("high", math.inf)


class Horizon(_Section):
    """Years simulated: the base year holds observed or assumed values; the model steps after it."""

    base_year: int = Field(ge=2000, le=2100, description="Year of the starting values")
    end_year: int = Field(ge=2001, le=2100, description="Last simulated year")

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.end_year <= self.base_year:
            raise ValueError(
                Message(
                    "end_year ({end}) must be after base_year ({base})",
                    end=self.end_year,
                    base=self.base_year,
                )
            )
        if self.end_year - self.base_year > 50:
            raise ValueError(Message("horizon longer than {years} years", years=50))
        return self


class Ensemble(_Section):
    """How many draws, from which seed, with which design."""

    draws: int = Field(1000, ge=1, le=10_000_000, description="Number of draws")
    seed: int = Field(0, ge=0, lt=2**63, description="Seed of every random stream")
    sampler: Sampler = Field("lhs", description="Design of the uncertain inputs")


class ConditioningSettings(_Section):
    """How the draws are conditioned on the observations of the years already seen."""

    observations: bool = Field(
        True,
        description="Condition the draws on the packaged observations of simulated series "
        "(false: run the prior, e.g. to see what the priors alone imply)",
    )
    min_ess_share: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="Least effective sample size kept, as a share of the draws "
        "(default 0.05, at least one draw); below it the run stops",
    )


class _Scenario(_Section):
    """A vnsim scenario file (the blocks' sections are added from the registry below)."""

    extends: str | None = Field(None, description="A scenario file this one changes")
    name: Name = Field(description="Short name (letters, digits, '-', '_'); names the run folder")
    title: str = Field("", description="Title for charts and reports")
    title_vi: str = Field("", description="The title in Vietnamese (briefings with --lang vi)")
    description: str = Field("", description="What the scenario assumes, in words")
    description_vi: str = Field("", description="The description in Vietnamese")
    sources: list[str] = Field(default_factory=list, description="Documents the numbers come from")
    sources_vi: list[str] = Field(
        default_factory=list, description="The sources in Vietnamese, in the same order"
    )
    horizon: Horizon
    as_of: int | None = Field(
        None,
        ge=1990,
        le=2100,
        description="Vintage: use only data and observations published by 31 December of "
        "this year, and start from the latest survey edition then observed (default: all data)",
    )
    ensemble: Ensemble = Field(default_factory=Ensemble)
    conditioning: ConditioningSettings = Field(default_factory=ConditioningSettings)
    uncertain: dict[InputName, UncertainInput] = Field(
        default_factory=dict, description="Named uncertain inputs, referred to by name elsewhere"
    )
    levers: dict[InputName, Lever] = Field(default_factory=dict, description="Policy levers")

    @model_validator(mode="after")
    def _within_horizon(self) -> Self:
        h = self.horizon
        errors: list[str] = []
        for name, lever in self.levers.items():
            t = lever.trigger
            if t is not None and not h.base_year < t.year < h.end_year:
                field = dotted(("levers", name, "trigger", "year"))
                errors.append(
                    Message(
                        "{field} ({year}) must lie after base_year and before end_year "
                        "({base}-{end})",
                        field=field,
                        year=t.year,
                        base=h.base_year,
                        end=h.end_year,
                    )
                )
        for block in BLOCKS:
            errors += block.horizon_problems(getattr(self, block.name), h.base_year, h.end_year)
        if errors:
            raise ValueError(Message.join(errors))
        return self

    _source_file: str | None = PrivateAttr(None)
    _warnings: tuple[Problem, ...] = PrivateAttr(())

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Numbers outside their plausible range and dates outside the horizon, as loaded."""
        return self._warnings

    @property
    def source_file(self) -> str | None:
        """The file this scenario was loaded from, if any."""
        return self._source_file

    def content_hash(self) -> str:
        """sha256 of the resolved scenario (what was simulated, whatever the files looked like)."""
        blob = json.dumps(_untranslated(self.model_dump(mode="json")), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def _untranslated(dump: Any) -> Any:
    """A model dump without empty ``*_vi`` texts, so that adding the translation fields left
    the hash of every scenario written before them unchanged."""
    if isinstance(dump, dict):
        return {
            k: _untranslated(v)
            for k, v in dump.items()
            if not (isinstance(k, str) and k.endswith("_vi") and not v)
        }
    if isinstance(dump, list):
        return [_untranslated(v) for v in dump]
    return dump


def _section(block: Block) -> tuple[type[BaseModel], Any]:
    """A block's scenario section: required if its settings have required fields."""
    settings = block.settings
    required = any(f.is_required() for f in settings.model_fields.values())
    return (settings, ... if required else Field(default_factory=settings))


#: The scenario schema: the common sections, then one section per registered block.
Scenario = create_model(
    "Scenario",
    __base__=_Scenario,
    __doc__="A vnsim scenario file.",
    **{block.name: _section(block) for block in BLOCKS},
)


def _references(data: Any, lines: Lines) -> list[Problem]:
    """Check every reference to an uncertain input: it exists and has the field's unit.

    Walks the raw data with the schema so that these problems are reported together with the
    schema's own, not after they are fixed.
    """
    if not isinstance(data, dict):
        return []
    inputs = data.get("uncertain") if isinstance(data.get("uncertain"), dict) else {}
    units = {k: v.get("unit") for k, v in inputs.items() if isinstance(v, dict)}
    problems: list[Problem] = []

    def check(value: Any, unit: str | None, loc: tuple) -> None:
        if unit is None or isinstance(value, bool):
            return
        if isinstance(value, str):
            if value not in units and (hint := number_hint(value)):
                problems.append(lines.problem(loc, hint))
            elif value not in units:
                defined = ", ".join(map(str, units))
                known = suggest(value, units) or (
                    Message(" (defined: {names})", names=defined) if units else ""
                )
                problems.append(
                    lines.problem(
                        loc,
                        Message("no uncertain input named {name!r}{hint}", name=value, hint=known),
                    )
                )
            elif units[value] != unit:
                message = Message(
                    "wrong unit: uncertain input {name!r} is in {unit!r}, this field needs "
                    "{needed!r}",
                    name=value,
                    unit=units[value],
                    needed=unit,
                )
                problems.append(lines.problem(loc, message))
        elif isinstance(value, int | float) and unit == "share" and not 0 <= value <= 1:
            message = Message(
                "a share must lie between 0 and 1 (got {value}; write 0.8 for {percent})",
                value=Num(value, ""),
                percent=Num(80, "g", percent=True),
            )
            problems.append(lines.problem(loc, message))

    def walk(model: type[BaseModel], raw: Any, loc: tuple) -> None:
        if not isinstance(raw, dict):
            return
        for fname, f in model.model_fields.items():
            if fname not in raw:
                continue
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            check(raw[fname], extra.get("unit"), (*loc, fname))
            ann = f.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, raw[fname], (*loc, fname))

    for block in BLOCKS:
        walk(block.settings, data.get(block.name), (block.name,))
    levers = data.get("levers") if isinstance(data.get("levers"), dict) else {}
    for name, lever in levers.items():
        effects = lever.get("effects") if isinstance(lever, dict) else None
        for i, eff in enumerate(effects if isinstance(effects, list) else []):
            if isinstance(eff, dict):
                unit = (
                    "per 100/yr"
                    if eff.get("indicator")
                    else EFFECT_UNITS.get(str(eff.get("target")))
                )
                check(eff.get("size"), unit, ("levers", name, "effects", i, "size"))
        trig = lever.get("trigger") if isinstance(lever, dict) else None
        if isinstance(trig, dict) and TRIGGER_UNITS.get(str(trig.get("variable"))) == "share":
            for bound in ("below", "above"):
                check(trig.get(bound), "share", ("levers", name, "trigger", bound))
    return problems


def _non_finite(data: Any, lines: Lines, loc: tuple = ()) -> list[Problem]:
    """NaN and infinities anywhere in the document (YAML's .nan / .inf)."""
    if isinstance(data, float) and not math.isfinite(data):
        message = Message("{value} is not a usable number; give a finite value", value=str(data))
        return [lines.problem(loc, message)]
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _non_finite(v, lines, (*loc, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _non_finite(v, lines, (*loc, i))]
    return []


def _merge(base: Any, child: Any) -> Any:
    """Deep merge: sections merge key by key, anything else in ``child`` replaces ``base``.

    Dated values (``{2022: 0.5, 2024: 1.0}``, mappings keyed by years) are one value: a child's
    schedule replaces the parent's whole, so no parent date leaks into it.
    """
    dated = isinstance(child, dict) and child and all(isinstance(k, int) for k in child)
    if isinstance(base, dict) and isinstance(child, dict) and not dated:
        # a child that rewrites a text without its translation drops the parent's translation,
        # which would otherwise describe the parent's text
        stale = {f"{k}_vi" for k in child if isinstance(k, str)} - set(child)
        kept = {k: v for k, v in base.items() if k not in stale}
        return {**kept, **{k: _merge(base.get(k), v) if k in base else v for k, v in child.items()}}
    return child


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_scenario(path: str | Path) -> tuple[dict[str, Any], Lines, list[Problem], list[Path]]:
    """Raw scenario data with ``extends`` resolved, its line map, problems so far, files read.

    ``extends`` paths are relative to the extending file and must stay inside the folder of the
    file given here: a scenario cannot read files elsewhere on the machine.
    """
    top = Path(path).resolve()
    root = top.parent
    chain: list[Path] = []

    def load(file: Path) -> tuple[dict, Lines, list[Problem]]:
        if file in chain:
            cycle = " -> ".join(_display(p) for p in [*chain[chain.index(file) :], file])
            message = Message("extends cycle: {cycle}", cycle=cycle)
            raise DocumentError([Problem(_display(chain[-1]), None, "extends", message)])
        if len(chain) >= MAX_EXTENDS:
            raise DocumentError(
                [
                    Problem(
                        _display(file),
                        None,
                        "extends",
                        Message("more than {n} levels of extends", n=MAX_EXTENDS),
                    )
                ]
            )
        chain.append(file)
        data, lines, problems = read_yaml(file, _display(file))
        parent = data.pop("extends", None)
        if parent is None:
            return data, lines, problems
        line = lines.at.get(("extends",), (lines.file, None))[1]
        if not isinstance(parent, str) or not parent.strip() or "\0" in parent:
            message = Message("must be a file name")
            raise DocumentError([Problem(lines.file, line, "extends", message)])
        target = (file.parent / parent).resolve()
        if not target.is_relative_to(root):
            raise DocumentError(
                [
                    Problem(
                        lines.file,
                        line,
                        "extends",
                        Message(
                            "{name!r} is outside the scenario folder {folder}; copy the file "
                            "next to this one",
                            name=parent,
                            folder=_display(root),
                        ),
                    )
                ]
            )
        try:
            found = target.is_file()
        except OSError:  # e.g. a name longer than the file system allows
            found = False
        if not found:
            near = suggest(parent, [p.name for p in file.parent.glob("*.yaml")])
            message = Message("no file {name!r}{hint}", name=parent, hint=near)
            raise DocumentError([Problem(lines.file, line, "extends", message)])
        base, base_lines, base_problems = load(target)
        inputs, parents = data.get("uncertain"), base.get("uncertain")
        if isinstance(inputs, dict) and isinstance(parents, dict):
            for key, spec in inputs.items():
                old = parents.get(key)
                if (
                    isinstance(spec, dict)
                    and isinstance(old, dict)
                    and "dist" in spec
                    and spec["dist"] != old.get("dist")
                ):
                    # a new distribution brings its own parameters; the parent's would not fit
                    parents[key] = {k: v for k, v in old.items() if k not in PARAMS}
        merged = Lines(lines.file, {**base_lines.at, **lines.at})
        return _merge(base, data), merged, [*base_problems, *problems]

    data, lines, problems = load(top)
    return data, lines, problems, chain


def _misspelt(problems: list[Problem], data: dict[str, Any]) -> list[Problem]:
    """Problems of a lever or input that lacks every required key because its name is misspelt.

    A child scenario that writes ``shared_platform:`` instead of ``shared_platforms:`` starts a
    new lever, which then lacks its source and effects: say that once, with the likely name.
    An entry that has some of its required keys is left to the schema's messages.
    """
    models = {"levers": Lever, "uncertain": UncertainInput}
    missing: dict[tuple[str, str], set[str]] = {}
    for p in problems:
        parts = p.field.split(".")
        if len(parts) == 3 and parts[0] in models and p.message == "required but missing":
            missing.setdefault((parts[0], parts[1]), set()).add(parts[2])
    out: list[Problem] = []
    told: set[tuple[str, str]] = set()
    for p in problems:
        section, name = [*p.field.split("."), "", ""][:2]
        entries = data.get(section)
        required = (
            {n for n, f in models[section].model_fields.items() if f.is_required()}
            if section in models
            else set()
        )
        near = ""
        if required and missing.get((section, name)) == required and isinstance(entries, dict):
            near = suggest(name, [k for k in entries if k != name])
        if not near:
            out.append(p)
        elif (section, name) not in told:
            told.add((section, name))
            keys = ", ".join(sorted(required))
            if section == "levers":
                message = Message(
                    "no lever named {name!r} to change{hint}; a new lever needs {keys}",
                    name=name,
                    hint=near,
                    keys=keys,
                )
            else:
                message = Message(
                    "no uncertain input named {name!r} to change{hint}; a new uncertain input "
                    "needs {keys}",
                    name=name,
                    hint=near,
                    keys=keys,
                )
            out.append(Problem(p.file, p.line, f"{section}.{name}", message))
    return out


def load_scenario(path: str | Path, *, strict: bool = False) -> Scenario:
    """Read, merge and validate a scenario file; raise :class:`DocumentError` with every problem.

    Numbers outside their plausible range are kept as :attr:`Scenario.warnings`; with
    ``strict`` they are errors too. Numbers far outside it are always errors.
    """
    data, lines, problems, _ = read_scenario(path)
    checked = _non_finite(data, lines) + _references(data, lines)
    try:
        scenario = validate(Scenario, data, lines, problems + checked)
    except DocumentError as exc:
        # these checks say more than pydantic does about the same field (NaN, 80 for 0.8):
        # one message per field, not two
        said = {(p.file, p.line, p.field) for p in checked}
        keep = [p for p in exc.problems if p in checked or (p.file, p.line, p.field) not in said]
        raise DocumentError(_misspelt(keep, data)) from None
    against_data = [
        lines.problem((block.name, *loc), message)
        for block in BLOCKS
        for loc, message in block.data_problems(getattr(scenario, block.name), scenario.as_of)
    ]
    if against_data:
        raise DocumentError(against_data)
    found = plausibility_problems(scenario, lines)
    if found and (strict or any(p.severity == "error" for p in found)):
        raise DocumentError(found)
    scenario._warnings = tuple(sorted(found, key=lambda p: (p.file, p.line or 0, p.field)))
    scenario._source_file = _display(Path(path).resolve())
    return scenario


def file_hash(path: str | Path) -> str:
    """sha256 over the bytes of a scenario file and every file it extends, in order."""
    *_, chain = read_scenario(path)
    h = hashlib.sha256()
    for file in chain:
        h.update(file.read_bytes())
    return h.hexdigest()


def json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors (yaml-language-server) and documentation."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "vnsim scenario"
    # A file that `extends` another need not repeat required sections; the loader checks the
    # merged result, so editors should not flag them as missing.
    schema.pop("required", None)
    return schema
