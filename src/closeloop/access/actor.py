"""The actor: who is acting, as what role, through which door."""

from __future__ import annotations

from dataclasses import dataclass, field

from closeloop.models import Role, User

READ = "read"
WRITE = "write"
ALL_SCOPES = frozenset({READ, WRITE})


@dataclass(frozen=True)
class Actor:
    """A signed-in user (web, API token) or the operator at the command line.

    ``user_id`` is None only for the command line and jobs (``Actor.operator()``), which act with
    an admin's rights: whoever runs the CLI already holds the database.
    """

    user_id: int | None
    role: Role
    team_id: int | None = None
    name: str = ""
    locale: str | None = None  # chosen by the user; None = the browser's language
    via: str = "web"  # web, token, cli, job
    scopes: frozenset[str] = field(default=ALL_SCOPES)

    @classmethod
    def for_user(
        cls, user: User, *, via: str = "web", scopes: frozenset[str] = ALL_SCOPES
    ) -> Actor:
        return cls(
            user_id=user.id,
            role=Role(user.role),
            team_id=user.team_id,
            name=user.full_name,
            locale=user.locale,
            via=via,
            scopes=scopes,
        )

    @classmethod
    def operator(cls, via: str = "cli") -> Actor:
        """The person at the command line, or a job: all rights, no user row."""
        return cls(user_id=None, role=Role.ADMIN, name="operator", via=via)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN
