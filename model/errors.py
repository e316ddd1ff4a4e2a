"""The errors vnsim reports to its users, and the exit status of each.

Every problem a user can fix (a file, an input, the environment) is a :class:`UserProblem`
and ends a command with status 2 and a message, never a traceback; an interrupt ends with 130;
anything else is a bug (status 1). :func:`exit_status` is that rule, in one place.

This is the lowest layer of the package: it imports nothing from vnsim, so every layer may
raise these errors.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from typing import Protocol

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER = 2
EXIT_INTERRUPTED = 130

#: ``OSError`` numbers that are the environment's state, not a bug: the user can act on them.
ENVIRONMENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT}
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
