"""The reports pages: ROI and the funnel by channel, campaign or content, and their exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from closeloop.access.policy import Area, require
from closeloop.analytics.export import (
    CSV_MEDIA_TYPE,
    STAGE_LABELS,
    XLSX_MEDIA_TYPE,
    Sheet,
    funnel_sheet,
    leaderboard_sheet,
    roi_sheet,
    to_csv,
    to_xlsx,
)
from closeloop.analytics.funnel import FunnelReport, funnel_report
from closeloop.analytics.leaderboard import Leaderboard, leaderboard, team_names
from closeloop.analytics.pages import cache_key, figure_cache, in_session
from closeloop.analytics.period import Grouping, Period, parse_grouping, parse_period
from closeloop.analytics.roi import RoiReport, roi_report
from closeloop.config import get_settings
from closeloop.db.types import utcnow
from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.web import charts
from closeloop.web.auth import PageActor
from closeloop.web.templating import formatter, render

router = APIRouter(include_in_schema=False)


TABS = ("roi", "funnel", "leaderboard")


@dataclass(frozen=True)
class ReportQuery:
    grouping: Grouping
    period: Period
    start: str
    end: str

    def query(self, **extra: str) -> str:
        return urlencode({"by": self.grouping.value, "from": self.start, "to": self.end, **extra})


def _report_query(by: str | None, start: str | None, end: str | None) -> ReportQuery:
    return ReportQuery(
        parse_grouping(by or "channel"), parse_period(start, end), start or "", end or ""
    )


def _roi(request: Request, q: ReportQuery) -> RoiReport:
    engine = request.app.state.engine
    return figure_cache(request).get(  # type: ignore[no-any-return]
        cache_key(request, "roi", q.grouping, q.period),
        lambda: in_session(engine, lambda s: roi_report(s, grouping=q.grouping, period=q.period)),
    )


def _funnel(request: Request, q: ReportQuery, grouped: bool) -> FunnelReport:
    engine = request.app.state.engine
    grouping = q.grouping if grouped else None
    return figure_cache(request).get(  # type: ignore[no-any-return]
        cache_key(request, "funnel", grouping, q.period),
        lambda: in_session(engine, lambda s: funnel_report(s, grouping=grouping, period=q.period)),
    )


def _leaderboard(
    request: Request, q: ReportQuery, team_id: int | None
) -> tuple[Leaderboard, dict[int, str]]:
    engine = request.app.state.engine
    return figure_cache(request).get(  # type: ignore[no-any-return]
        cache_key(request, "leaderboard", team_id, q.period),
        lambda: in_session(
            engine,
            lambda s: (leaderboard(s, period=q.period, team_id=team_id), team_names(s)),
        ),
    )


def _team_id(team: str | None) -> int | None:
    text = (team or "").strip()
    if not text:
        return None
    if text.isdigit() and int(text) < 2**31:
        return int(text)
    raise Invalid(N_("Choose a team from the list."), field="team")


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    actor: PageActor,
    tab: str = "roi",
    by: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    split: bool = False,
    team: str | None = None,
) -> Response:
    """ROI by channel, campaign or content; the funnel; the leaderboard of reps."""
    require(actor, Area.REPORTS)
    if tab not in TABS:
        raise Invalid(
            N_("unknown report %(tab)r: choose one of %(choices)s"),
            field="tab",
            tab=tab,
            choices=", ".join(TABS),
        )
    fmt = formatter(request, actor)
    q = _report_query(by, start, end)
    sheet: Sheet | None = None
    currency = get_settings().currency
    funnel_chart = None
    errors: dict[str, str] = {}
    try:
        team_id = _team_id(team)
    except Invalid as error:
        team_id, errors["team"] = None, error.translated(fmt.gettext)
    teams: dict[int, str] = {}
    if tab == "leaderboard":
        board, teams = _leaderboard(request, q, team_id)
        currency = board.currency
        sheet = leaderboard_sheet(board, teams, fmt.gettext)
    elif tab == "roi":
        report = _roi(request, q)
        currency = report.currency
        sheet = roi_sheet(report, fmt.gettext)
    elif tab == "funnel":
        funnel = _funnel(request, q, split)
        sheet = funnel_sheet(funnel, fmt.gettext)
        totals = [r for r in funnel.rows if r.key in (None, "total")]
        funnel_chart = charts.as_json(
            charts.funnel_chart(
                [(fmt.gettext(STAGE_LABELS[r.stage]), r.count) for r in totals], fmt.gettext
            )
        )
    _ = fmt.gettext
    everything = list(range(len(sheet.columns))) if sheet else []
    # The ROI table has 18 columns: volume (spend to won), then value (revenue to cash ROI).
    parts = [everything[:9], [0, *everything[9:]]] if tab == "roi" else [everything]
    return render(
        request,
        actor,
        "reports.html",
        tab=tab,
        q=q,
        split=split,
        sheet=sheet,
        parts=parts,
        currency=currency,
        funnel_chart=funnel_chart,
        team_id=team_id,
        teams=sorted(teams.items(), key=lambda item: (item[1], item[0])),
        errors=errors,
        groupings=[
            ("channel", _("Channel")),
            ("campaign", _("Campaign")),
            ("content", _("Content")),
        ],
        as_of=utcnow(),
    )


def _download(sheet: Sheet, kind: str, stem: str) -> Response:
    today = date.today().isoformat()
    name = f"{stem}-{today}.{kind}"
    body, media_type = (
        (to_csv(sheet), CSV_MEDIA_TYPE) if kind == "csv" else (to_xlsx(sheet), XLSX_MEDIA_TYPE)
    )
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/reports/roi.{kind}")
def roi_export(
    request: Request,
    actor: PageActor,
    kind: str,
    by: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    """The ROI table as CSV or XLSX, in the user's language."""
    require(actor, Area.REPORTS)
    _check_kind(kind)
    q = _report_query(by, start, end)
    sheet = roi_sheet(_roi(request, q), formatter(request, actor).gettext)
    return _download(sheet, kind, f"roi-by-{q.grouping.value}")


@router.get("/reports/funnel.{kind}")
def funnel_export(
    request: Request,
    actor: PageActor,
    kind: str,
    by: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    split: bool = False,
) -> Response:
    """The funnel as CSV or XLSX (split by a grouping when ``split`` is set)."""
    require(actor, Area.REPORTS)
    _check_kind(kind)
    q = _report_query(by, start, end)
    sheet = funnel_sheet(_funnel(request, q, split), formatter(request, actor).gettext)
    return _download(sheet, kind, f"funnel-by-{q.grouping.value}" if split else "funnel")


@router.get("/reports/leaderboard.{kind}")
def leaderboard_export(
    request: Request,
    actor: PageActor,
    kind: str,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    team: str | None = None,
) -> Response:
    """The leaderboard as CSV or XLSX, in the user's language (one team's reps with ``team``)."""
    require(actor, Area.REPORTS)
    _check_kind(kind)
    q = _report_query(None, start, end)
    board, teams = _leaderboard(request, q, _team_id(team))
    sheet = leaderboard_sheet(board, teams, formatter(request, actor).gettext)
    return _download(sheet, kind, "leaderboard")


def _check_kind(kind: str) -> None:
    if kind not in ("csv", "xlsx"):
        raise Invalid(N_("unknown file type %(kind)r: choose csv or xlsx"), field="kind", kind=kind)
