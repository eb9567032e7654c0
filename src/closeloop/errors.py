"""Domain errors. Each carries the HTTP status an API would answer with.

A message may be a template with named values, ``Invalid(N_("no team named %(team)s"),
field="team", team=name)``: ``message`` is the English text (the API's), and ``localized`` gives it
in a user's language (the CLI's and the pages'), looked up in the catalog by its template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ClosedLoopError(Exception):
    """Base of every error the product reports to a user (never a bug)."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, **values: Any) -> None:
        text = message % values if values else message
        super().__init__(text)
        self.template = message
        self.values = values
        self.message = text
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message (without the field) through ``gettext``, values filled in after."""
        text = gettext(self.template)
        return text % self.values if self.values else text

    def localized(self, gettext: Callable[[str], str]) -> str:
        """Like ``str(error)``, in the language of ``gettext``."""
        text = self.translated(gettext)
        return f"{self.field}: {text}" if self.field else text


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
