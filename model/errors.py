"""The errors vnsim reports to its users, and the exit status of each.

Every problem a user can fix (a file, an input, the environment) is a :class:`UserProblem`
and ends a command with status 2 and a message, never a traceback; an interrupt ends with 130;
anything else is a bug (status 1). :func:`exit_status` is that rule, in one place.

A message a user reads is a :class:`Message`: its English text, plus the msgid (the English
template with ``str.format`` placeholders) and the parameters that show it in another language.
Layers below :mod:`vnsim.present` cannot translate, so they build messages and the command line
renders them with a :class:`Language` (``vnsim.present.i18n.translator(lang)``); rendered with
:data:`ENGLISH`, or used as a string, a message is its English text.

This is the lowest layer of the package: it imports nothing from vnsim, so every layer may
raise these errors.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER = 2
EXIT_INTERRUPTED = 130

#: ``OSError`` numbers that are the environment's state, not a bug: the user can act on them.
ENVIRONMENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENAMETOOLONG,
        errno.ELOOP,
        errno.EEXIST,
        errno.ENOTEMPTY,
    }
)


class Language(Protocol):
    """What showing a :class:`Message` in a language needs (``vnsim.present.i18n.Translator``).

    ``lang`` is the language's code; in ``"en"``, the source language, a message is shown as
    it was written.
    """

    @property
    def lang(self) -> str: ...
    def gettext(self, message: str) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int) -> str: ...
    def format_number(self, value: float, spec: str = "g", percent: bool = False) -> str: ...


class _English:
    """The source language: msgids as written, numbers as Python formats them."""

    lang = "en"

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def format_number(self, value: float, spec: str = "g", percent: bool = False) -> str:
        return format(value, spec) + (" %" if percent else "")


#: Messages in English, without the catalogue (the default wherever a message is shown).
ENGLISH: Language = _English()


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalogue; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Num:
    """A number in a message: ``format(value, spec)`` in English (``percent`` adds `` %``), the
    same digits with the language's separators and percent pattern in another language."""

    value: float
    spec: str = "g"
    percent: bool = False


def _shown(value: Any, lang: Language) -> Any:
    """A parameter as put into a message: messages and numbers in ``lang``; anything else
    (field names, file names, values as written) as it is."""
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, Num):
        return lang.format_number(value.value, value.spec, value.percent)
    return value


def _restore(cls: type[Message], text: str, msgid: str, params: Mapping[str, Any]) -> Message:
    message = str.__new__(cls, text)
    message.msgid, message.params = msgid, dict(params)
    return message


class Message(str):
    """A sentence for a user: a string holding its English text, which knows its msgid and
    parameters.

    ``Message("{year} is not a year", year=2024)`` marks the msgid for extraction (the keyword
    ``Message`` in ``babel.cfg``) and fills it: the string is the English text, and
    :meth:`render` shows it in another language. The msgid must be a string literal.
    Parameters that are themselves messages are shown in the same language; :class:`Num`
    numbers with the language's separators; anything else (names, files, values as written)
    unchanged. Concatenating a message with ``+`` or an f-string gives a plain string, which
    is shown in English: put the parts into one message instead.
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Message:
        english = msgid.format(**{k: _shown(v, ENGLISH) for k, v in params.items()})
        return _restore(cls, english, msgid, params)

    @classmethod
    def worded(cls, text: str, msgid: str, /, **params: Any) -> Message:
        """A message whose English is ``text`` as another library wrote it (pydantic), shown
        in another language through ``msgid`` and ``params``."""
        return _restore(cls, text, msgid, params)

    @classmethod
    def join(cls, parts: Iterable[Any], sep: str = "; ") -> Message:
        """The parts (messages, numbers or plain strings) one after the other, each shown in the
        language; the separator is punctuation, the same in every language."""
        params = {f"part{i}": part for i, part in enumerate(parts)}
        return cls(sep.join(f"{{{k}}}" for k in params), **params)

    def render(self, lang: Language = ENGLISH) -> str:
        """The message in ``lang``: its translation (the msgid if it has none), filled."""
        if lang.lang == "en":
            return str(self)
        params = {k: _shown(v, lang) for k, v in self.params.items()}
        return lang.gettext(self.msgid).format(**params)

    def __reduce__(self) -> tuple[Any, ...]:
        # a run's processes and dask workers receive messages inside exceptions and endings
        return _restore, (type(self), str(self), self.msgid, self.params)


def shown(text: str, lang: Language = ENGLISH) -> str:
    """``text`` in ``lang`` if it is a :class:`Message`; a plain string is shown as it is."""
    return text.render(lang) if isinstance(text, Message) else text


class UserProblem(Exception):
    """A problem the user can fix; the command prints the message and exits with status 2."""

    exit_code = EXIT_USER

    def report(self) -> str:
        """What the command prints on stderr, in English (the message; subclasses may add a
        hint)."""
        return self.report_in(ENGLISH)

    def report_in(self, lang: Language) -> str:
        """What the command prints on stderr in ``lang`` (:meth:`_report`); a subclass that
        words its own :meth:`report` (in English) is shown as it words it, in any language."""
        if type(self).report is not UserProblem.report:
            return self.report()
        return self._report(lang)

    def _report(self, lang: Language) -> str:
        """The report in ``lang``: the message, translated if it is a :class:`Message`."""
        if len(self.args) == 1 and isinstance(self.args[0], Message):
            return self.args[0].render(lang)
        return str(self)


class InputError(UserProblem, ValueError):
    """Inputs outside what the model accepts (e.g. growth below -100 % in some draws)."""

    def _report(self, lang: Language) -> str:
        head = Message(
            "vnsim: the scenario's inputs are not usable in some draws: {problem}",
            problem=self.args[0] if len(self.args) == 1 else str(self),
        )
        hint = Message("(narrow the distribution in its `uncertain:` entry)")
        return f"{head.render(lang)}\n  {hint.render(lang)}"


class UserError(UserProblem):
    """A command-line argument or named path that cannot be used (a missing file, a bad flag)."""


class DataError(UserProblem, ValueError):
    """Invalid data file: ``problems`` lists every problem found, each with its rows shown."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in {source}:"
        super().__init__("\n".join([head, *(f"- {p}" for p in self.problems)]))


class Located(Protocol):
    """One located problem of a document (:class:`vnsim.spec.documents.Problem`)."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int | None: ...
    @property
    def field(self) -> str: ...
    def render(self, lang: Language) -> str: ...


class DocumentError(UserProblem, ValueError):
    """A document could not be used; ``problems`` lists every reason found, in file order."""

    def __init__(self, problems: Iterable[Located]) -> None:
        # sorted and deduplicated so the same file always gives the same report
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.field))
        super().__init__(self.report())

    def _report(self, lang: Language) -> str:
        n = len(self.problems)
        head = lang.ngettext("{n} problem found:", "{n} problems found:", n).format(n=n)
        return "\n".join([head, *(f"  {p.render(lang)}" for p in self.problems)])


class ResourceError(UserProblem, ValueError):
    """A run that would not fit in this machine's memory or disk, refused before it starts."""


class RunFolderError(UserProblem, ValueError):
    """A folder that is not a finished, readable vnsim run."""


class UnusableFile(UserProblem, ValueError):
    """A path the user named that cannot be used as an input: ``reason`` says why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(Message.join([str(path), reason], ": "))


class Interrupted(KeyboardInterrupt):
    """An interrupt after the results were complete: the message says where they are."""


#: Depth of :func:`interrupts_deferred` blocks, and whether an interrupt came during one.
_DEFERRED = {"depth": 0, "pending": False}


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Interrupts that arrive through :func:`interrupt` wait until the block is over.

    For steps that must not be cut in two (the renames that put a run folder in place); the
    interrupt is raised as ``KeyboardInterrupt`` when the outermost block ends normally.
    """
    _DEFERRED["depth"] += 1
    try:
        yield
    finally:
        _DEFERRED["depth"] -= 1
    if not _DEFERRED["depth"] and _DEFERRED["pending"]:
        _DEFERRED["pending"] = False
        raise KeyboardInterrupt


def interrupt() -> None:
    """What a signal handler calls: ``KeyboardInterrupt`` now, or after a deferred block."""
    if _DEFERRED["depth"]:
        _DEFERRED["pending"] = True
        return
    raise KeyboardInterrupt


def _kind(mode: int) -> Message:
    if stat.S_ISDIR(mode):
        return Message("it is a folder, not a file")
    if stat.S_ISFIFO(mode):
        return Message("it is a named pipe (FIFO), not a regular file")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Message("it is a device, not a regular file")
    return Message("not a regular file")


def read_input(path: str | Path, limit: int, what: str = "input files") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, checked before any is read.

    The file is opened without blocking (a FIFO with no writer does not hang), then its type
    and size are taken from the open file (``os.fstat``), so a file swapped after a check is
    still refused. Raises :class:`UnusableFile` for folders, FIFOs, devices and files over the
    limit; ``OSError`` (a missing or unreadable file) passes through.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnusableFile(
                path, Message("cannot read the file ({kind})", kind=_kind(info.st_mode))
            )
        if info.st_size > limit:
            size = Message(
                "file is {size} bytes; {what} are limited to {limit}",
                size=Num(info.st_size, ","),
                what=what,
                limit=Num(limit, ","),
            )
            raise UnusableFile(path, size)
        chunks, left = [], limit + 1  # the file may have grown since fstat
        while left and (chunk := os.read(fd, min(left, 2**20))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:
        over = Message(
            "file is over {limit} bytes; {what} are limited to {limit}",
            limit=Num(limit, ","),
            what=what,
        )
        raise UnusableFile(path, over)
    return raw


def folder_or_absent(path: str | Path, what: str) -> Path:
    """``path`` if it is a folder or does not exist yet; :class:`UnusableFile` otherwise."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise UnusableFile(path, f"{what} cannot be used ({exc.strerror or exc})") from None
    if not stat.S_ISDIR(mode):
        kind = "it is a file" if stat.S_ISREG(mode) else _kind(mode)
        raise UnusableFile(path, f"{what} must be a folder ({kind})")
    return path


def exit_status(exc: BaseException, lang: Language = ENGLISH) -> tuple[int, str]:
    """The exit status of a command that raised ``exc``, and the message to print on stderr.

    Parameters
    ----------
    exc
        What the command raised.
    lang
        The language of a user's problem (its :class:`Message`); the other messages are English.

    Returns
    -------
    ``(status, message)``: 2 and the problem for a :class:`UserProblem`, an environment
    ``OSError`` (disk full, read-only, permission) or running out of memory; 130 for an
    interrupt; 1 and "internal error" for anything else (a bug).
    """
    if isinstance(exc, UserProblem):
        return exc.exit_code, exc.report_in(lang)
    if isinstance(exc, Interrupted):
        return EXIT_INTERRUPTED, f"vnsim: interrupted; {exc}"
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "vnsim: interrupted; no results were written"
    if isinstance(exc, MemoryError):
        return EXIT_USER, "vnsim: out of memory; use fewer --draws or a smaller --chunk-size"
    if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
        where = f"{exc.filename}: " if exc.filename else ""
        return EXIT_USER, f"vnsim: {where}{exc.strerror or exc}"
    return EXIT_BUG, (
        f"vnsim: internal error: {type(exc).__name__}: {exc}\n"
        "  (set VNSIM_DEBUG=1 to see the traceback, and please report it)"
    )
