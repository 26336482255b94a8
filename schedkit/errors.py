"""Errors that schedkit reports to users.

`InputError` is the one exception a user mistake produces: it names the file, the field path
and the reason, and the CLI turns it into one line on stderr and exit code 2 (never a traceback).
"""

from __future__ import annotations


class SchedkitError(Exception):
    """Base class of every error schedkit raises on purpose."""


class InputError(SchedkitError, ValueError):
    """A bad instance or solution file: where (file, field path) and why."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.field = field
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.field) if p]
        where = ": ".join(parts)
        text = f"{where}: {self.reason}" if where else self.reason
        if self.hint:
            text += f" ({self.hint})"
        return text

    def with_file(self, file: str) -> InputError:
        """The same error, attributed to `file` when it has no file yet."""
        if self.file:
            return self
        return InputError(self.reason, file=file, field=self.field, hint=self.hint)


class BackendSkipped(SchedkitError):
    """A backend cannot run this problem here; the portfolio records why and falls back.

    Use one of the subclasses, which say which of the reasons it is.
    """


class BackendUnavailable(BackendSkipped):
    """The backend's package (or solver) is not installed or not licensed here."""


class UnsupportedProblem(BackendSkipped):
    """The backend does not model this variant of the problem (e.g. release dates)."""


class ModelTooLarge(BackendSkipped):
    """The backend's model of this instance would exceed its size limit."""


class FallbackWarning(UserWarning):
    """`solve()` answered with another backend than the one asked for (or `auto`'s exact one)."""
