"""One error hierarchy for keruen.

Every error a user can cause derives from :class:`KeruenError`; the CLI turns these into a
one-line message and a non-zero exit code. Messages name the file, row and field where there is
one, and the valid values where there is a fixed set.
"""

from __future__ import annotations

from pathlib import Path

#: Longest error message shown; longer ones (e.g. listing 100,000 column names) are cut.
MESSAGE_LIMIT = 600


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, on one line, saying how much was left out."""
    text = " ".join(str(text).split("\n"))
    if len(text) <= limit:
        return text
    return f"{text[: limit - 40]}… [{len(text) - limit + 40} more characters]"


class KeruenError(Exception):
    """Base class of every domain error; ``exit_code`` is what the CLI returns.

    ``str(error)`` is the message cut to :data:`MESSAGE_LIMIT` characters on one line.
    """

    exit_code: int = 1

    def __str__(self) -> str:
        return shorten(super().__str__())


class ConfigError(KeruenError, ValueError):
    """A setting or command-line option has an invalid value."""

    exit_code = 2


class InputError(KeruenError, ValueError):
    """A user-supplied file or table is missing, unreadable or malformed.

    ``file``, ``row`` (1-based data row: the first row after the header is 1) and ``field``
    locate the fault.
    """

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        self.reason = message
        where = []
        if self.file is not None:
            where.append(self.file)
        if row is not None:
            where.append(f"data row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StoreError(KeruenError):
    """The store cannot be opened, read or written."""

    exit_code = 4


class OutputError(KeruenError, OSError):
    """A file or folder keruen writes cannot be written (disk full, read-only, a file in the way).

    The message names the path; ``filename``, ``errno`` and ``strerror`` are those of the
    underlying :class:`OSError` (so code catching ``OSError`` still catches it).
    """

    exit_code = 3

    def __init__(self, message: str, path: str | Path, cause: OSError | None = None) -> None:
        super().__init__(message)
        self.filename = str(path)
        if cause is not None:
            self.errno = cause.errno
            self.strerror = cause.strerror

    def __str__(self) -> str:
        return shorten(str(self.args[0]))


class Interrupted(KeruenError):
    """The user interrupted a command (Ctrl-C); the message says what was kept."""

    exit_code = 130


class UnknownAreaError(KeruenError, LookupError):
    """A country, region or group code is not known."""

    exit_code = 2


class DataNotAvailableError(KeruenError, LookupError):
    """The store holds no value for what was asked."""

    exit_code = 5


class SourceError(KeruenError):
    """A remote source failed (time-out, HTTP error, malformed answer) after bounded retries."""

    exit_code = 6


class EstimationError(KeruenError):
    """A model could not be estimated (singular design, no convergence, bad input)."""

    exit_code = 7


class ModelFitError(EstimationError):
    """A forecast model could not be fitted on a series.

    ``model`` and ``detail`` (the fitting library's own message, in English) are kept apart so
    that a report can translate the sentence around them.
    """

    def __init__(self, model: str, detail: str) -> None:
        super().__init__(f"{model} could not be fitted: {detail}")
        self.model = model
        self.detail = detail


class ConvergenceError(EstimationError):
    """An iterative estimator (IPF, IRLS, likelihood optimiser) did not converge."""


class SingularDesignError(EstimationError):
    """A design matrix is rank-deficient in a way that leaves a requested parameter unidentified."""
