"""The errors vnsim reports to its users, and the exit status of each.

Every problem a user can fix (a file, an input, the environment) is a :class:`UserProblem`
and ends a command with status 2 and a message, never a traceback; an interrupt ends with 130;
anything else is a bug (status 1).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER = 2
EXIT_INTERRUPTED = 130


class UserProblem(Exception):
    """A problem the user can fix; the command prints the message and exits with status 2."""

    exit_code = EXIT_USER


class InputError(UserProblem, ValueError):
    """Inputs outside what the model accepts (e.g. growth below -100 % in some draws)."""
