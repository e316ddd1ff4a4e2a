"""Planner-edited YAML documents: safe loading with line numbers, and errors a planner can act on.

Scenario and target files go through :func:`read_yaml`, which

* reads only plain data (safe YAML; anchors, aliases, merge keys and custom tags are refused, so
  no expansion bombs and no code),
* remembers the file and line of every key and item, so a schema error can name them,
* collects duplicate keys instead of silently keeping the last one,
* bounds the size and nesting of what it reads,

and through :func:`validate`, which turns every pydantic error of a document into a
:class:`Problem` (file, line, field, message, "did you mean" for misspelt keys), all at once.

Every message is a :class:`vnsim.errors.Message`, so the command line can show it in the
reader's language; pydantic's own messages are translated through :data:`PYDANTIC_MESSAGES`.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError
from vnsim.errors import (
    ENGLISH,
    N_,
    DocumentError,
    Language,
    Message,
    Num,
    UnusableFile,
    read_input,
    shown,
)

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
    """One thing wrong in a document, located as precisely as the document allows.

    A ``"warning"`` (a number outside its plausible range) lets the document be used unless
    the check is strict; an ``"error"`` does not. ``message`` is the English text; when it is a
    :class:`~vnsim.errors.Message` (as every message of vnsim is), it also carries the
    :attr:`msgid` and :attr:`params` that :meth:`render` shows in another language.
    """

    file: str
    line: int | None
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    @property
    def msgid(self) -> str:
        """The message's msgid, the English template (its text if it has none)."""
        return self.message.msgid if isinstance(self.message, Message) else self.message

    @property
    def params(self) -> dict[str, Any]:
        """The parameters that fill :attr:`msgid`."""
        return dict(self.message.params) if isinstance(self.message, Message) else {}

    def render(self, lang: Language = ENGLISH) -> str:
        """``file:line: field: message`` in ``lang``; file, line and field as written."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = shown(self.message, lang)
        if self.severity == "warning":
            what = Message("warning: {problem}", problem=self.message).render(lang)
        return f"{where}: {self.field}: {what}" if self.field else f"{where}: {what}"

    def __str__(self) -> str:
        return self.render()


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

    def problem(
        self, loc: Loc, message: str, severity: Literal["error", "warning"] = "error"
    ) -> Problem:
        file, line = self.find(loc)
        return Problem(file, line, dotted(loc), message, severity)


def _fail(name: str, message: str, line: int | None = None) -> DocumentError:
    """A document error with one problem that stops the reading of file ``name``."""
    return DocumentError([Problem(name, line, "", message)])


def _read_text(path: Path, name: str) -> str:
    """The text of ``path``, refused if it is not a regular file, too big, not UTF-8 or empty."""
    try:
        # a FIFO or a device would block or never end: type and size are checked first
        raw = read_input(path, MAX_BYTES, Message("scenario files"))
    except UnusableFile as exc:
        raise _fail(name, exc.reason) from None
    except OSError as exc:
        # the system's reason is in the system's words
        reason = exc.strerror or str(exc)
        raise _fail(name, Message("cannot read the file ({reason})", reason=reason)) from None
    files = _READ.get()
    if files is not None:
        files.append((path, raw))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = Message("not UTF-8 text (byte {byte}); save the file as UTF-8", byte=exc.start)
        raise _fail(name, message, line) from None
    if not text.strip():
        raise _fail(name, Message("file is empty; a scenario needs at least a 'name'"))
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
                Message(
                    "YAML anchors and aliases (&name, *name, <<) are not allowed: write values out"
                ),
                ev.start_mark.line + 1,
            )
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 1:  # the file's own mapping is the first level
                raise _fail(name, _too_deep(), ev.start_mark.line + 1)
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(ev, yaml.NodeEvent):
            nodes += 1
            if nodes > 2 * MAX_NODES + 1:  # keys are events too: at most one per value
                raise _fail(
                    name,
                    Message(
                        "more than {limit} values; files are limited to that",
                        limit=Num(MAX_NODES, ","),
                    ),
                )


def _too_deep() -> Message:
    return Message("nested too deeply (more than {levels} levels)", levels=MAX_DEPTH)


def _line_before(mark: Any) -> str:
    """The text of a mark's line up to the mark."""
    buffer = getattr(mark, "buffer", None) or ""
    start = buffer.rfind("\n", 0, mark.pointer) + 1
    return buffer[start : mark.pointer]


def yaml_message(exc: yaml.MarkedYAMLError) -> tuple[Message, int | None]:
    """PyYAML's complaint in a planner's words, and the line it is about."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = str(exc.problem or exc.context)
    hint: str
    if "'\\t'" in problem:
        hint = Message(
            "a tab character: YAML indents with spaces only; replace the tab with spaces"
        )
    elif "mapping values are not allowed" in problem and mark and ":" in _line_before(mark):
        hint = Message(
            "a second ':' on this line: put the text in quotes, e.g. {example}",
            example='title: "Kịch bản: tăng tốc"',
        )
    elif "could not find expected ':'" in problem and exc.context_mark is not None:
        # PyYAML notices on the next line; the key without its colon is where it started
        hint = Message("missing ':' after the key (write key: value)")
        return Message("not valid YAML: {hint}", hint=hint), exc.context_mark.line + 1
    elif any(
        words in problem
        for words in ("expected <block end>", "did not find expected key", "mapping values")
    ):
        hint = Message(
            "the indentation does not match the lines above: keys of one section start in "
            "the same column (spaces only)"
        )
    else:
        hint = problem  # PyYAML's own words, untranslated
    return Message("not valid YAML: {hint}", hint=hint), line


def _compose(text: str, name: str) -> yaml.MappingNode:
    """The node tree of a checked YAML text, whose root must be a mapping."""
    try:
        _check_events(text, name)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        msg, line = yaml_message(exc)
        raise _fail(name, msg, line) from None
    except yaml.YAMLError as exc:
        raise _fail(name, Message("not valid YAML: {hint}", hint=str(exc))) from None
    except RecursionError:
        raise _fail(name, _too_deep()) from None
    if not isinstance(root, yaml.MappingNode):
        message = Message("the file must be a mapping of keys to values (key: value)")
        raise _fail(name, message, 1)
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
            reason = str(getattr(exc, "problem", None) or exc)
            message = Message("bad value {value!r}: {reason}", value=node.value, reason=reason)
            raise _fail(self.name, message, node.start_mark.line + 1) from None

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _fail(
                self.name,
                Message(
                    "more than {limit} values; scenario files are limited to that",
                    limit=Num(MAX_NODES, ","),
                ),
            )
        if len(loc) > MAX_DEPTH:
            raise _fail(self.name, _too_deep(), node.start_mark.line + 1)
        self.lines.at.setdefault(loc, (self.name, node.start_mark.line + 1))
        # checked on every node: a tag on a mapping or list would otherwise pass unnoticed
        self._check_tag(node)
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node)
            if isinstance(value, str) and (bad := CONTROL.search(value)):
                char = f"U+{ord(bad[0]):04X}"
                self.problems.append(
                    Problem(
                        self.name,
                        node.start_mark.line + 1,
                        dotted(loc),
                        Message(
                            "holds the control character {char}; remove it",
                            char=char,
                        ),
                    )
                )
            return value
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.mapping(node, loc)

    def _check_tag(self, node: yaml.Node) -> None:
        if node.tag not in PLAIN_TAGS and node.tag != "!":
            message = Message("custom YAML tag {tag} is not allowed", tag=node.tag)
            raise _fail(self.name, message, node.start_mark.line + 1)

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
                        Message(
                            "duplicate key (first given at line {first}); give each key once",
                            first=first,
                        ),
                    )
                )
            else:
                self.lines.at[(*loc, key)] = (self.name, key_line)
            out[key] = self.build(value_node, (*loc, key))
        return out

    def key(self, key_node: yaml.Node, loc: Loc) -> Any:
        """The key of a mapping entry; a key YAML reads as a boolean or null is kept as written."""
        if not isinstance(key_node, yaml.ScalarNode):
            message = Message("keys must be plain names or numbers")
            raise _fail(self.name, message, key_node.start_mark.line + 1)
        self._check_tag(key_node)
        key = self.scalar(key_node)
        if isinstance(key, bool) or key is None:
            # YAML 1.1 reads on/off/yes/no/null as booleans or null, even as keys
            self.problems.append(
                Problem(
                    self.name,
                    key_node.start_mark.line + 1,
                    dotted((*loc, key_node.value)),
                    Message(
                        "YAML reads the key {key!r} as {value}; put it in quotes",
                        key=key_node.value,
                        value=str(key),
                    ),
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
    # TRANSLATORS: put after a message; keep the space before the parenthesis
    return Message(" (did you mean '{name}'?)", name=close[0]) if close else ""


_TYPE_TAGS = {"float", "int", "str", "bool", "none"}


#: What each name pattern of the schema allows, in words.
NAME_RULES = {
    r"^[a-z][a-z0-9_]*$": Message("lower-case letters, digits and '_', starting with a letter"),
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$": Message(
        "letters without accents, digits, '-' and '_' (no spaces), at most 64, e.g. "
        "'kich-ban-1'; the title can say anything"
    ),
}
_PERCENT = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*%\s*$")
_DECIMAL_COMMA = re.compile(r"^\s*([+-]?\d+),(\d+)\s*$")


def number_hint(text: Any) -> str:
    """A hint for a number written as text: ``'85%'`` -> write 0.85; ``'0,6'`` -> write 0.6."""
    if not isinstance(text, str):
        return ""
    if m := _PERCENT.match(text):
        # what to write is YAML, with a decimal point in every language
        share = format(float(m.group(1).replace(",", ".")) / 100, "g")
        return Message("shares are fractions: write {share}, not {text!r}", share=share, text=text)
    if m := _DECIMAL_COMMA.match(text):
        number = f"{m.group(1)}.{m.group(2)}"
        return Message(
            "write {number}, not {text}: decimals take a point, not a comma",
            number=number,
            text=text,
        )
    return ""


def _data_loc(err: Mapping[str, Any], lines: Lines) -> tuple[Loc, bool]:
    """The document location of a pydantic error, and whether the error is about a key.

    pydantic appends union-member and validator names to loc ("float", "constrained-str",
    "function-after[...]", "[key]"); only data locations are kept: keys found in the document,
    list positions, and names of missing fields.
    """
    loc: Loc = ()
    key = False
    for part in err["loc"]:
        if isinstance(part, int) or (*loc, part) in lines.at:
            loc = (*loc, part)
        elif part == "[key]":
            key = True
        elif not ("[" in part or "-" in part or part in _TYPE_TAGS):
            loc = (*loc, part)
    return loc, key or err["type"] == "invalid_key"


def _key_message(loc: Loc, errs: list[dict[str, Any]]) -> Message:
    """What is wrong with the key at the end of ``loc``, for a planner."""
    key, kinds = loc[-1], {e["type"] for e in errs}
    pattern = next((e.get("ctx", {}).get("pattern") for e in errs if e.get("ctx")), None)
    if pattern in NAME_RULES:
        return Message("invalid name {key!r}: use {rule}", key=key, rule=NAME_RULES[pattern])
    if "int_parsing" in kinds:
        return Message(
            "{key!r} is not a year: `schedule` years are whole numbers like 2024", key=key
        )
    if kinds & {"greater_than_equal", "less_than_equal"} and isinstance(key, int):
        if key < 1000:
            return Message(
                "{key} is not a year between 1990 and 2100 (a decimal comma? write 0.6, not 0,6)",
                key=key,
            )
        return Message("{key} is not a year between 1990 and 2100", key=key)
    if kinds & {"string_type", "invalid_key"} and isinstance(key, int):
        return Message(
            "a year ({key}) where a name is expected: check the indentation; dated values go "
            "under `schedule:`, indented two spaces more than it",
            key=key,
        )
    reasons = Message.join([pydantic_message(e) for e in errs])
    return Message("invalid name {key!r}: {reasons}", key=key, reasons=reasons)


#: pydantic's messages that a scenario or target file can cause, by error type: each is
#: pydantic's own template (tests check they agree), so that its text can be translated.
#: ``{expected_plural}`` is left empty in a translation (Vietnamese has no plural forms).
PYDANTIC_MESSAGES = {
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "finite_number": N_("Input should be a finite number"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("String should have at least {min_length} character{expected_plural}"),
    "string_too_long": N_("String should have at most {max_length} character{expected_plural}"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "too_short": N_(
        "{field_type} should have at least {min_length} item{expected_plural} after "
        "validation, not {actual_length}"
    ),
    "too_long": N_(
        "{field_type} should have at most {max_length} item{expected_plural} after "
        "validation, not {actual_length}"
    ),
}


#: The collections pydantic names in its messages (``{field_type}``).
PYDANTIC_FIELD_TYPES = {"List": N_("List"), "Dictionary": N_("Dictionary")}


def pydantic_message(err: Mapping[str, Any]) -> str:
    """The message of one pydantic error, without pydantic's "Value error, ".

    A validator's :class:`~vnsim.errors.Message` (raised as ``ValueError(Message(...))``) is
    returned as it is; a message of :data:`PYDANTIC_MESSAGES` keeps pydantic's English and is
    translated with the error's context (numbers in the reader's format); any other is
    pydantic's English, untranslated.
    """
    ctx = err.get("ctx") or {}
    error = ctx.get("error")
    if isinstance(error, ValueError) and len(error.args) == 1:
        if isinstance(error.args[0], Message):
            return error.args[0]
    text = str(err["msg"]).removeprefix("Value error, ")
    msgid = PYDANTIC_MESSAGES.get(err["type"])
    if msgid is None:
        return text
    params: dict[str, Any] = {}
    for k, v in ctx.items():
        if isinstance(v, int | float) and not isinstance(v, bool):
            params[k] = Num(v, "d" if isinstance(v, int) else "g")
        elif k == "field_type" and v in PYDANTIC_FIELD_TYPES:
            params[k] = Message.worded(v, PYDANTIC_FIELD_TYPES[v])
        else:
            params[k] = str(v)
    return Message.worded(text, msgid, **{**params, "expected_plural": ""})


def _value_message(loc: Loc, errs: list[dict[str, Any]], model: type[BaseModel]) -> Message:
    """What is wrong with the value at ``loc``, for a planner."""
    kinds = {e["type"] for e in errs}
    got = errs[0].get("input")
    if "extra_forbidden" in kinds:
        keys = allowed_keys(model, loc[:-1])
        allowed = Message(" (allowed: {keys})", keys=", ".join(keys)) if keys else ""
        return Message("unknown key{hint}", hint=suggest(loc[-1], keys) or allowed)
    if "missing" in kinds:
        return Message("required but missing")
    if kinds == {"literal_error"}:
        # a misspelt choice (dist: unifrom, target: market.growht) deserves a suggestion too
        choices = re.findall(r"'([^']*)'", str(errs[0].get("ctx", {}).get("expected", "")))
        return Message(
            "unknown value {value!r}{hint}; expected one of: {choices}",
            value=got,
            hint=suggest(str(got), choices),
            choices=", ".join(choices),
        )
    if kinds == {"string_pattern_mismatch"}:
        rule = NAME_RULES.get(errs[0].get("ctx", {}).get("pattern"), Message("a plain name"))
        return Message("{value!r} is not a valid name: use {rule}", value=got, rule=rule)
    if kinds <= {"float_parsing", "float_type", "string_pattern_mismatch", "string_type"}:
        if hint := number_hint(got):
            return hint
        if got is None and loc and isinstance(loc[-1], int):
            return Message("no value after the year (a decimal comma? write 0.6, not 0,6)")
        return Message(
            "expected a number or the name of an uncertain input, got {value!r}", value=got
        )
    if kinds == {"dict_type"} and got is None:
        return Message(
            "empty: write its entries on the next lines, indented two spaces more than this key"
        )
    msgs: list[str] = []
    for e in errs:
        m = pydantic_message(e)
        if m not in msgs:
            msgs.append(m)
    if isinstance(got, dict | list):
        return Message.join(msgs)
    return Message("{problem} (got {value!r})", problem=Message.join(msgs), value=got)


def pydantic_problems(exc: ValidationError, model: type[BaseModel], lines: Lines) -> list[Problem]:
    """Translate every error of a pydantic validation into a located, readable :class:`Problem`."""
    by_loc: dict[Loc, list[dict[str, Any]]] = {}
    bad_keys: set[Loc] = set()
    for err in exc.errors(include_url=False):
        loc, key = _data_loc(err, lines)
        if key:
            bad_keys.add(loc)
        by_loc.setdefault(loc, []).append(dict(err))
    out = []
    for loc, errs in by_loc.items():
        if loc in bad_keys:
            keyed = [e for e in errs if "[key]" in e["loc"] or e["type"] == "invalid_key"]
            out.append(lines.problem(loc, _key_message(loc, keyed or errs)))
        else:
            out.append(lines.problem(loc, _value_message(loc, errs, model)))
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
