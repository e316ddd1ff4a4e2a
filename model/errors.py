"""The errors vnsim reports to its users, and the exit status of each.

Every problem a user can fix (a file, an input, the environment) is a :class:`UserProblem`
and ends a command with status 2 and a message, never a traceback; an interrupt ends with 130;
anything else is a bug (status 1). :func:`exit_status` is that rule, in one place.

This is the lowest layer of the package: it imports nothing from vnsim, so every layer may
raise these errors.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

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


class UserProblem(Exception):
    """A problem the user can fix; the command prints the message and exits with status 2."""

    exit_code = EXIT_USER

    def report(self) -> str:
        """What the command prints on stderr (the message; subclasses may add a hint)."""
        return str(self)


class InputError(UserProblem, ValueError):
    """Inputs outside what the model accepts (e.g. growth below -100 % in some draws)."""

    def report(self) -> str:
        return (
            f"vnsim: the scenario's inputs are not usable in some draws: {self}\n"
            "  (narrow the distribution in its `uncertain:` entry)"
        )


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


class DocumentError(UserProblem, ValueError):
    """A document could not be used; ``problems`` lists every reason found, in file order."""

    def __init__(self, problems: Iterable[Located]) -> None:
        # sorted and deduplicated so the same file always gives the same report
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.field))
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ResourceError(UserProblem, ValueError):
    """A run that would not fit in this machine's memory or disk, refused before it starts."""


class RunFolderError(UserProblem, ValueError):
    """A folder that is not a finished, readable vnsim run."""


class UnusableFile(UserProblem, ValueError):
    """A path the user named that cannot be used as an input: ``reason`` says why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


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


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "it is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "it is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "it is a device, not a regular file"
    return "not a regular file"


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
            raise UnusableFile(path, f"cannot read the file ({_kind(info.st_mode)})")
        if info.st_size > limit:
            raise UnusableFile(
                path, f"file is {info.st_size:,} bytes; {what} are limited to {limit:,}"
            )
        chunks, left = [], limit + 1  # the file may have grown since fstat
        while left and (chunk := os.read(fd, min(left, 2**20))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:
        raise UnusableFile(path, f"file is over {limit:,} bytes; {what} are limited to {limit:,}")
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


def exit_status(exc: BaseException) -> tuple[int, str]:
    """The exit status of a command that raised ``exc``, and the message to print on stderr.

    Parameters
    ----------
    exc
        What the command raised.

    Returns
    -------
    ``(status, message)``: 2 and the problem for a :class:`UserProblem`, an environment
    ``OSError`` (disk full, read-only, permission) or running out of memory; 130 for an
    interrupt; 1 and "internal error" for anything else (a bug).
    """
    if isinstance(exc, UserProblem):
        return exc.exit_code, exc.report()
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
