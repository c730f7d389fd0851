"""Every exception a user may see, each written for a person.

The CLI turns a :class:`GenreasonError` into one line on stderr and exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class GenreasonError(Exception):
    """A user-facing error: bad input, a wrong name, an unreadable file."""


class BadInput(GenreasonError):
    """A file the user gave us is missing, corrupt or of the wrong kind."""

    def __init__(self, path: str | Path, problem: str, hint: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        message = f"{self.path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class UnknownName(GenreasonError):
    """A plugin, suite, skin or difficulty name that does not exist."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        message = f"unknown {kind} {name!r}"
        if close:
            message += f"; did you mean {close[0]!r}?"
        message += f" Known: {', '.join(sorted(known)) or '(none)'}"
        super().__init__(message)
        self.name = name
        self.known = known


class RunMismatch(GenreasonError):
    """An output folder already holds a run made with other settings."""
