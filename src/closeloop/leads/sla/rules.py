"""The SLA rules: the working calendar and, per team, the promised times and the breach ladder.

Stored as rule sets of kind ``sla`` (closeloop.rules.store); version 0 is ``DEFAULT``. A file::

    calendar:
      timezone: Asia/Shanghai
      weekdays: [mon, tue, wed, thu, fri]
      hours: ["09:00-12:00", "13:30-18:00"]
      holiday_country: CN          # public holidays and 调休 make-up days from `holidays`
      holidays: [2026-12-31]       # more days off
      working_days: [2026-12-26]   # more working days (make-up Saturdays)
    default:
      first_contact_hours: 2       # working hours after assignment
      accept_days: 3               # accept or return within N working days of assignment
      follow_up_days: 5            # no activity for N working days after acceptance
      escalate_after_hours: 4      # working hours after the breach: tell the manager
      recycle_after_hours: 16      # working hours after the breach: back to the public pool
    teams:
      Sales East: {first_contact_hours: 1}   # a team overrides any of the default's fields
"""

from __future__ import annotations

import itertools
import re
from datetime import date, time
from functools import cached_property
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.sla.calendar import WorkingCalendar, cached_calendar
from closeloop.models import Team
from closeloop.rules.fields import TimeZoneName
from closeloop.rules.store import ActiveRules, active_rules, save_rules

KIND = "sla"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")

Hours = Annotated[float, Field(gt=0, le=2000)]
Days = Annotated[int, Field(gt=0, le=366)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarRules(_Strict):
    timezone: TimeZoneName = "Asia/Shanghai"
    weekdays: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)
    hours: list[str] = Field(default_factory=lambda: ["09:00-12:00", "13:30-18:00"], min_length=1)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    holidays: list[date] = Field(default_factory=list)
    working_days: list[date] = Field(default_factory=list)

    @field_validator("weekdays")
    @classmethod
    def _weekday_names(cls, value: list[str]) -> list[str]:
        names = []
        for given in value:
            name = given.strip().lower()
            if name in _FULL_WEEKDAYS:
                name = name[:3]
            if name not in WEEKDAYS:
                raise ValueError(f"{given!r} is not a weekday (mon, tue, … sun, or monday …)")
            names.append(name)
        return sorted(set(names), key=WEEKDAYS.index)

    @field_validator("hours")
    @classmethod
    def _spans(cls, value: list[str]) -> list[str]:
        spans = sorted(_parse_span(text) for text in value)
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                raise ValueError(f"working hours overlap at {start:%H:%M}")
        return [f"{s:%H:%M}-{e:%H:%M}" for s, e in spans]

    @field_validator("holiday_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import holidays

        code = value.strip().upper()
        if code not in holidays.list_supported_countries():
            raise ValueError(f"no public holidays known for country {value!r} (e.g. CN, US, DE)")
        return code

    def working_calendar(self) -> WorkingCalendar:
        """The calendar these settings describe (one shared object per distinct settings)."""
        return cached_calendar(
            self.timezone,
            tuple(WEEKDAYS.index(day) for day in self.weekdays),
            tuple(_parse_span(text) for text in self.hours),
            tuple(sorted(self.holidays)),
            tuple(sorted(self.working_days)),
            self.holiday_country,
            self.holiday_subdivision,
        )


def _parse_span(text: str) -> tuple[time, time]:
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a span of hours like 09:00-12:00")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h2 == 24 and m2 == 0:
        h2, m2 = 23, 59  # "until midnight": the last minute of the day is close enough
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        raise ValueError(f"{text!r} is not a span of hours like 09:00-12:00")
    start, end = time(h1, m1), time(h2, m2)
    if start >= end:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


class TeamSla(_Strict):
    """The promises and the breach ladder of one team."""

    first_contact_hours: Hours
    accept_days: Days
    follow_up_days: Days
    escalate_after_hours: Annotated[float, Field(ge=0, le=2000)]
    recycle_after_hours: Hours

    @model_validator(mode="after")
    def _ladder_in_order(self) -> TeamSla:
        if self.recycle_after_hours <= self.escalate_after_hours:
            raise ValueError(
                "recycle_after_hours must be greater than escalate_after_hours "
                "(escalate first, then recycle)"
            )
        return self


class TeamOverride(_Strict):
    """A team's differences from the default; missing fields are the default's."""

    first_contact_hours: Hours | None = None
    accept_days: Days | None = None
    follow_up_days: Days | None = None
    escalate_after_hours: Annotated[float, Field(ge=0, le=2000)] | None = None
    recycle_after_hours: Hours | None = None


class SlaRules(_Strict):
    calendar: CalendarRules = Field(default_factory=CalendarRules)
    default: TeamSla
    teams: dict[str, TeamOverride] = Field(default_factory=dict)

    @field_validator("teams")
    @classmethod
    def _teams_resolve(
        cls, value: dict[str, TeamOverride], info: ValidationInfo
    ) -> dict[str, TeamOverride]:
        default = info.data.get("default")
        if default is not None:
            for name, override in value.items():
                _resolve(default, override, name)  # raises with the ladder's reason
        return value

    def for_team(self, team: str | None) -> TeamSla:
        """The settings in force for ``team`` (the default's for no team or an unlisted one)."""
        override = self.teams.get(team) if team is not None else None
        if override is None or team is None:
            return self.default
        return _resolve(self.default, override, team)

    @cached_property
    def working_calendar(self) -> WorkingCalendar:
        return self.calendar.working_calendar()


def _resolve(default: TeamSla, override: TeamOverride, team: str) -> TeamSla:
    changes = override.model_dump(exclude_none=True)
    try:
        return TeamSla.model_validate({**default.model_dump(), **changes})
    except ValidationError as error:
        reason = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        raise ValueError(f"team {team!r}: {reason}") from None


DEFAULT = SlaRules(
    calendar=CalendarRules(holiday_country="CN"),
    default=TeamSla(
        first_contact_hours=2,
        accept_days=3,
        follow_up_days=5,
        escalate_after_hours=4,
        recycle_after_hours=16,
    ),
)


def active_sla_rules(session: Session) -> ActiveRules[SlaRules]:
    """The SLA rules in force and their version (0 = the built-in default)."""
    return active_rules(session, KIND, SlaRules, DEFAULT)


def save_sla_rules(
    session: Session, *, text: str, source: str = "sla", actor_id: int | None = None
) -> ActiveRules[SlaRules]:
    """Validate ``text`` whole, check its team names exist, and store it as the next version."""
    from closeloop.rules.loader import parse_rules

    rules = parse_rules(text, SlaRules, source=source)
    known = set(session.scalars(select(Team.name)))
    for name in rules.teams:
        if name not in known:
            listed = ", ".join(sorted(known))
            raise Invalid(
                N_("%(source)s line %(line)s: no team named %(team)r (teams: %(listed)s)")
                if listed
                else N_("%(source)s line %(line)s: no team named %(team)r (teams: none yet)"),
                field=f"teams.{name}",
                source=source,
                line=_team_line(text, name),
                team=name,
                listed=listed,
            )
    return save_rules(
        session, kind=KIND, text=text, schema=SlaRules, source=source, actor_id=actor_id
    )


def _team_line(text: str, name: str) -> int:
    """The 1-based line where team ``name`` is listed under ``teams``."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "teams" and isinstance(value, yaml.MappingNode):
                for team_key, _ in value.value:
                    if team_key.value == name:
                        return int(team_key.start_mark.line) + 1
    return 1
