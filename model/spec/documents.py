"""Planner-edited YAML documents: safe loading with line numbers, and errors a planner can act on.

Scenario and target files go through :func:`read_yaml`, which

* reads only plain data (safe YAML; anchors, aliases, merge keys and custom tags are refused, so
  no expansion bombs and no code),
* remembers the file and line of every key and item, so a schema error can name them,
* collects duplicate keys instead of silently keeping the last one,
* bounds the size and nesting of what it reads,

and through :func:`validate`, which turns every pydantic error of a document into a
:class:`Problem` (file, line, field, message, "did you mean" for misspelt keys), all at once.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import types
import typing
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from vnsim.errors import DocumentError, UnusableFile, read_input

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 100_000
#: Tags of plain data; anything else (!!python/..., !!binary, !custom) is refused.
PLAIN_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}

#: Control characters no field may hold (a NUL cannot be stored in a results file).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Loc = tuple[str | int, ...]

#: While :func:`recording` is active, the bytes of every document read, in reading order.
_READ: ContextVar[list[tuple[Path, bytes]] | None] = ContextVar("_READ", default=None)


@contextlib.contextmanager
def recording() -> Iterator[list[tuple[Path, bytes]]]:
    """Collect ``(path, bytes)`` of every document read inside the block, in order.

    A run hashes exactly the bytes it parsed, not a second reading of files that may have
    changed since.
    """
    files: list[tuple[Path, bytes]] = []
    token = _READ.set(files)
    try:
        yield files
    finally:
        _READ.reset(token)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a document, located as precisely as the document allows."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


def dotted(loc: Loc) -> str:
    """``("levers", "cloud", "effects", 0, "size")`` -> ``levers.cloud.effects[0].size``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Lines:
    """File and line of every location in a (possibly merged) document."""

    file: str
    at: dict[Loc, tuple[str, int]] = field(default_factory=dict)

    def find(self, loc: Loc) -> tuple[str, int | None]:
        """The file and line of ``loc``, or of its nearest located parent."""
        loc = tuple(loc)
        while True:
            if loc in self.at:
                return self.at[loc]
            if not loc:
                return self.file, None
            loc = loc[:-1]

    def problem(self, loc: Loc, message: str) -> Problem:
        file, line = self.find(loc)
        return Problem(file, line, dotted(loc), message)


def _fail(name: str, message: str, line: int | None = None) -> DocumentError:
    """A document error with one problem that stops the reading of file ``name``."""
    return DocumentError([Problem(name, line, "", message)])


def _read_text(path: Path, name: str) -> str:
    """The text of ``path``, refused if it is not a regular file, too big, not UTF-8 or empty."""
    try:
        # a FIFO or a device would block or never end: type and size are checked first
        raw = read_input(path, MAX_BYTES, "scenario files")
    except UnusableFile as exc:
        raise _fail(name, exc.reason) from None
    except OSError as exc:
        raise _fail(name, f"cannot read the file ({exc.strerror or exc})") from None
    files = _READ.get()
    if files is not None:
        files.append((path, raw))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(
            name, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", line
        ) from None
    if not text.strip():
        raise _fail(name, "file is empty; a scenario needs at least a 'name'")
    return text


def _check_events(text: str, name: str) -> None:
    """Refuse anchors, aliases and documents too deep or too large, while parsing.

    Events are checked as they are parsed, so that a hostile file (thousands of nested
    brackets, a huge list) is refused before the parser's cost grows with it.
    """
    depth = nodes = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
            raise _fail(
                name,
                "YAML anchors and aliases (&name, *name, <<) are not allowed: write values out",
                ev.start_mark.line + 1,
            )
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 1:  # the file's own mapping is the first level
                raise _fail(
                    name,
                    f"nested too deeply (more than {MAX_DEPTH} levels)",
                    ev.start_mark.line + 1,
                )
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(ev, yaml.NodeEvent):
            nodes += 1
            if nodes > 2 * MAX_NODES + 1:  # keys are events too: at most one per value
                raise _fail(name, f"more than {MAX_NODES:,} values; files are limited to that")


def _compose(text: str, name: str) -> yaml.MappingNode:
    """The node tree of a checked YAML text, whose root must be a mapping."""
    try:
        _check_events(text, name)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = f"not valid YAML: {exc.problem or exc.context}"
        raise _fail(name, msg, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise _fail(name, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise _fail(name, f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    if not isinstance(root, yaml.MappingNode):
        raise _fail(name, "the file must be a mapping of keys to values (key: value)", 1)
    return root


@dataclass
class _Builder:
    """Builds plain data from a node tree, noting the line of every location and the problems
    (duplicate keys, keys YAML reads as booleans) that still let the document be read."""

    name: str
    lines: Lines
    problems: list[Problem] = field(default_factory=list)
    count: int = 0
    constructor: yaml.SafeLoader = field(default_factory=lambda: yaml.SafeLoader(""))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, KeyError, AttributeError) as exc:
            # `!!bool abc` fails with KeyError, `!!timestamp abc` with AttributeError
            # e.g. 2022-13-01 is resolved as a timestamp and fails in datetime, not in YAML
            reason = getattr(exc, "problem", None) or exc
            raise _fail(
                self.name, f"bad value {node.value!r}: {reason}", node.start_mark.line + 1
            ) from None

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _fail(
                self.name, f"more than {MAX_NODES:,} values; scenario files are limited to that"
            )
        if len(loc) > MAX_DEPTH:
            raise _fail(
                self.name,
                f"nested too deeply (more than {MAX_DEPTH} levels)",
                node.start_mark.line + 1,
            )
        self.lines.at.setdefault(loc, (self.name, node.start_mark.line + 1))
        # checked on every node: a tag on a mapping or list would otherwise pass unnoticed
        self._check_tag(node)
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node)
            if isinstance(value, str) and (bad := CONTROL.search(value)):
                self.problems.append(
                    Problem(
                        self.name,
                        node.start_mark.line + 1,
                        dotted(loc),
                        f"holds the control character U+{ord(bad[0]):04X}; remove it",
                    )
                )
            return value
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.mapping(node, loc)

    def _check_tag(self, node: yaml.Node) -> None:
        if node.tag not in PLAIN_TAGS and node.tag != "!":
            raise _fail(
                self.name, f"custom YAML tag {node.tag} is not allowed", node.start_mark.line + 1
            )

    def mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, loc)
            key_line = key_node.start_mark.line + 1
            if key in out:
                first = self.lines.at.get((*loc, key), (self.name, "?"))[1]
                self.problems.append(
                    Problem(
                        self.name,
                        key_line,
                        dotted((*loc, key)),
                        f"duplicate key (first given at line {first}); give each key once",
                    )
                )
            else:
                self.lines.at[(*loc, key)] = (self.name, key_line)
            out[key] = self.build(value_node, (*loc, key))
        return out

    def key(self, key_node: yaml.Node, loc: Loc) -> Any:
        """The key of a mapping entry; a key YAML reads as a boolean or null is kept as written."""
        if not isinstance(key_node, yaml.ScalarNode):
            raise _fail(
                self.name, "keys must be plain names or numbers", key_node.start_mark.line + 1
            )
        self._check_tag(key_node)
        key = self.scalar(key_node)
        if isinstance(key, bool) or key is None:
            # YAML 1.1 reads on/off/yes/no/null as booleans or null, even as keys
            self.problems.append(
                Problem(
                    self.name,
                    key_node.start_mark.line + 1,
                    dotted((*loc, key_node.value)),
                    f"YAML reads the key {key_node.value!r} as {key}; put it in quotes",
                )
            )
            key = key_node.value
        return key


def read_yaml(
    path: Path, display: str | None = None
) -> tuple[dict[str, Any], Lines, list[Problem]]:
    """Read a YAML mapping from ``path``.

    Returns the data, the line of every location, and the problems that still let the data be
    read (duplicate keys). Raises :class:`DocumentError` when nothing usable can be read.
    """
    name = display or str(path)
    root = _compose(_read_text(Path(path), name), name)
    builder = _Builder(name, Lines(name))
    return builder.build(root, ()), builder.lines, builder.problems


def _inner_models(annotation: Any) -> list[Any]:
    """The types a value under ``annotation`` may take, with Optional/Union/Annotated unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner_models(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _inner_models(a)]
    return [annotation]


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names (aliases where set) accepted at ``loc`` under ``model``; [] if unknown."""
    current: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for t in current:
            if isinstance(t, type) and issubclass(t, BaseModel):
                f = t.model_fields.get(str(part)) or next(
                    (f for f in t.model_fields.values() if f.alias == part), None
                )
                if f is not None:
                    nxt += _inner_models(f.annotation)
            elif typing.get_origin(t) in (dict, list, tuple) and typing.get_args(t):
                nxt += _inner_models(typing.get_args(t)[-1])
        current = nxt
    keys: list[str] = []
    for t in current:
        if isinstance(t, type) and issubclass(t, BaseModel):
            keys += [f.alias or n for n, f in t.model_fields.items()]
    return keys


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_TYPE_TAGS = {"float", "int", "str", "bool", "none"}


def pydantic_problems(exc: ValidationError, model: type[BaseModel], lines: Lines) -> list[Problem]:
    """Translate every error of a pydantic validation into a located, readable :class:`Problem`."""
    by_loc: dict[Loc, list[dict[str, Any]]] = {}
    bad_keys: set[Loc] = set()
    for err in exc.errors(include_url=False):
        # pydantic appends union-member and validator names to loc ("float", "constrained-str",
        # "function-after[...]", "[key]"); keep only data locations: keys found in the document,
        # list positions, and names of missing fields
        loc: Loc = ()
        for part in err["loc"]:
            if isinstance(part, int) or (*loc, part) in lines.at:
                loc = (*loc, part)
            elif part == "[key]":
                bad_keys.add(loc)
            elif not ("[" in part or "-" in part or part in _TYPE_TAGS):
                loc = (*loc, part)
        by_loc.setdefault(loc, []).append(err)

    out = []
    for loc, errs in by_loc.items():
        kinds = {e["type"] for e in errs}
        if loc in bad_keys:
            pattern = next((e.get("ctx", {}).get("pattern") for e in errs), None)
            rule = (
                "lower-case letters, digits and '_', starting with a letter"
                if pattern == r"^[a-z][a-z0-9_]*$"
                else "; ".join(e["msg"] for e in errs)
            )
            out.append(lines.problem(loc, f"invalid name {loc[-1]!r}: use {rule}"))
            continue
        if "extra_forbidden" in kinds:
            keys = allowed_keys(model, loc[:-1])
            hint = suggest(loc[-1], keys) or (f" (allowed: {', '.join(keys)})" if keys else "")
            out.append(lines.problem(loc, f"unknown key{hint}"))
            continue
        if "missing" in kinds:
            out.append(lines.problem(loc, "required but missing"))
            continue
        if kinds == {"literal_error"}:
            # a misspelt choice (dist: unifrom, target: market.growht) deserves a suggestion too
            choices = re.findall(r"'([^']*)'", str(errs[0].get("ctx", {}).get("expected", "")))
            got = errs[0].get("input")
            out.append(
                lines.problem(
                    loc,
                    f"unknown value {got!r}{suggest(str(got), choices)}; expected one of: "
                    + ", ".join(choices),
                )
            )
            continue
        if kinds <= {"float_parsing", "float_type", "string_pattern_mismatch", "string_type"}:
            got = errs[0].get("input")
            out.append(
                lines.problem(
                    loc, f"expected a number or the name of an uncertain input, got {got!r}"
                )
            )
            continue
        msgs = []
        for e in errs:
            m = e["msg"].removeprefix("Value error, ")
            if m not in msgs:
                msgs.append(m)
        got = errs[0].get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        out.append(lines.problem(loc, "; ".join(msgs) + shown))
    return out


def validate(
    model: type[BaseModel],
    data: dict[str, Any],
    lines: Lines,
    problems: list[Problem] | None = None,
    context: dict[str, Any] | None = None,
) -> Any:
    """Validate ``data`` against ``model``; raise :class:`DocumentError` listing every problem."""
    problems = list(problems or [])
    try:
        obj = model.model_validate(data, context=context)
    except ValidationError as exc:
        raise DocumentError([*problems, *pydantic_problems(exc, model, lines)]) from None
    if problems:
        raise DocumentError(problems)
    return obj
