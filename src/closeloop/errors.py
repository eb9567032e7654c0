"""Domain errors. Each carries the HTTP status an API would answer with."""

from __future__ import annotations


class ClosedLoopError(Exception):
    """Base of every error the product reports to a user (never a bug)."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(ClosedLoopError):
    status = 404


class Forbidden(ClosedLoopError):
    status = 403


class Conflict(ClosedLoopError):
    status = 409


class InvalidTransition(Conflict):
    status = 409


class Invalid(ClosedLoopError):
    """Bad input; ``field`` is the path of the offending field."""

    status = 422


class DatabaseUnavailable(ClosedLoopError):
    """The database URL is wrong or the server cannot be reached."""

    status = 503


class SchemaOutOfDate(ClosedLoopError):
    """The database has not been migrated to the version this code needs."""

    status = 503
