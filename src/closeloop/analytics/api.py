"""Reports over HTTP: /api/v1/reports/roi, /funnel, /leaderboard — the CLI's reports and options.

The same service functions as ``closeloop report roi|funnel`` answer; money is a decimal string.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from closeloop.access.actor import READ
from closeloop.access.policy import Area, require
from closeloop.accounts.schemas import error_responses
from closeloop.analytics.funnel import FunnelRow, funnel_report
from closeloop.analytics.leaderboard import LeaderboardRow, leaderboard
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.roi import RoiRow, roi_report
from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.web.auth import ApiActor
from closeloop.web.params import IdFilter, request_unit

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

From = Annotated[
    date | None, Query(alias="from", description="First day of lead creation (YYYY-MM-DD)")
]
To = Annotated[date | None, Query(alias="to", description="Last day of lead creation, included")]
ERRORS = error_responses(409, 422)


class RoiReportOut(BaseModel):
    """ROI rows by group (best revenue first) and the total row; ratios are decimal strings."""

    grouping: Grouping
    start: date | None
    end: date | None
    currency: str
    rows: list[RoiRow]
    total: RoiRow


class FunnelReportOut(BaseModel):
    """Stage rows (lead → valid → MQL → SAL → SQL → won → invoiced → paid), group after group,
    the total group last; ``key`` is the group (null when not grouped)."""

    grouping: Grouping | None
    start: date | None
    end: date | None
    groups: list[str]
    rows: list[FunnelRow]


class LeaderboardOut(BaseModel):
    start: date | None
    end: date | None
    currency: str
    rows: list[LeaderboardRow]
    total: LeaderboardRow


def _period(start: date | None, end: date | None) -> Period:
    if start and end and start > end:
        raise Invalid(
            N_("impossible date range: %(start)s is after %(end)s"),
            field="query.from",
            start=start.isoformat(),
            end=end.isoformat(),
        )
    return Period(start, end)


@router.get("/roi", response_model=RoiReportOut, responses=ERRORS)
def roi(
    request: Request,
    actor: ApiActor,
    by: Annotated[Grouping, Query(description="Rows by channel, campaign or content")] = (
        Grouping.CHANNEL
    ),
    start: From = None,
    end: To = None,
) -> RoiReportOut:
    """Spend, leads, deals, revenue and cash per group for leads created in the period, with
    CPL, CAC, win rate, ROAS and ROI (same as ``closeloop report roi``)."""
    require(actor, Area.REPORTS, READ)
    period = _period(start, end)
    with request_unit(request) as session:
        report = roi_report(session, grouping=by, period=period)
    return RoiReportOut(
        grouping=report.grouping,
        start=period.start,
        end=period.end,
        currency=report.currency,
        rows=report.rows,
        total=report.total,
    )


@router.get("/funnel", response_model=FunnelReportOut, responses=ERRORS)
def funnel(
    request: Request,
    actor: ApiActor,
    by: Annotated[Grouping | None, Query(description="Split by channel, campaign or content")] = (
        None
    ),
    start: From = None,
    end: To = None,
) -> FunnelReportOut:
    """How many leads reached each stage, conversion and median days (``closeloop report
    funnel``)."""
    require(actor, Area.REPORTS, READ)
    period = _period(start, end)
    with request_unit(request) as session:
        report = funnel_report(session, grouping=by, period=period)
    return FunnelReportOut(
        grouping=report.grouping,
        start=period.start,
        end=period.end,
        groups=report.groups,
        rows=report.rows,
    )


@router.get("/leaderboard", response_model=LeaderboardOut, responses=ERRORS)
def get_leaderboard(
    request: Request,
    actor: ApiActor,
    start: Annotated[date | None, Query(alias="from", description="First day")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, included")] = None,
    team_id: IdFilter = None,
) -> LeaderboardOut:
    """Per rep: leads assigned, contacted and converted (SQL), deals won, revenue, rates."""
    require(actor, Area.REPORTS, READ)
    period = _period(start, end)
    with request_unit(request) as session:
        board = leaderboard(session, period=period, team_id=team_id)
    return LeaderboardOut(
        start=period.start,
        end=period.end,
        currency=board.currency,
        rows=board.rows,
        total=board.total,
    )
