"""The dashboard (every role, its own figures) and the reports with their CSV/XLSX exports."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from closeloop.analytics import dashboard as figures
from closeloop.analytics.dashboard import (
    CompanyFigures,
    FigureCache,
    OwnFigures,
    Receivables,
    change,
    point_change,
)
from closeloop.analytics.export import (
    STAGE_LABELS,
)
from closeloop.analytics.period import Period
from closeloop.config import get_settings
from closeloop.db.engine import unit_of_work
from closeloop.db.types import utcnow
from closeloop.models import Role
from closeloop.web import charts
from closeloop.web.auth import PageActor
from closeloop.web.i18n import Formatter
from closeloop.web.templating import formatter, render

router = APIRouter(include_in_schema=False)

CACHE_SECONDS = 300.0  # company figures: about a second each part at 1M leads
OWN_CACHE_SECONDS = 60.0  # a rep's or a team's: small queries, but no index on every path
ONE_YEAR = 365 * 24 * 3600


def figure_cache(request: Request, name: str = "figure_cache") -> FigureCache:
    """One cache per app (so a test's app never sees another's figures)."""
    state = request.app.state
    cache = getattr(state, name, None)
    if cache is None:
        ttl = OWN_CACHE_SECONDS if name == "own_cache" else CACHE_SECONDS
        cache = FigureCache(ttl=ttl)
        setattr(state, name, cache)
    return cache


def cache_key(request: Request, *parts: Any) -> tuple[Any, ...]:
    return (str(request.app.state.engine.url), *parts)


# ---- plotly.js, served from the installed package ---------------------------------------------


@router.get("/static/vendor/plotly.min.js")
def plotly_js(request: Request) -> Response:
    """plotly.js from the ``plotly`` package: no CDN, so charts work on an intranet."""
    headers = {"Cache-Control": f"public, max-age={ONE_YEAR}, immutable", "Vary": "Accept-Encoding"}
    media_type = "text/javascript; charset=utf-8"
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(charts.plotly_js_gzipped(), media_type=media_type, headers=headers)
    return Response(charts.plotly_js_path().read_bytes(), media_type=media_type, headers=headers)


# ---- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """One figure as the page shows it: the value, its change, and whether the change is good."""

    label: str
    value: str
    change: str = ""
    tone: str = "flat"  # up (good), down (bad), flat
    note: str = ""


def _kpi(
    fmt: Formatter,
    label: str,
    value: str,
    current: Decimal | int | None,
    previous: Decimal | int | None,
    *,
    lower_is_better: bool = False,
    points: bool = False,
    note: str = "",
) -> Kpi:
    _ = fmt.gettext
    if points:
        delta = point_change(
            Decimal(current) if current is not None else None,
            Decimal(previous) if previous is not None else None,
        )
        text = (
            _("%(sign)s%(points)s pts", sign="+" if delta >= 0 else "−",
              points=fmt.number(abs(delta) * 100, 1))
            if delta is not None else ""
        )  # fmt: skip
    else:
        delta = change(current, previous)
        text = (
            ("▲ " if delta >= 0 else "▼ ") + fmt.percent(abs(delta), 1) if delta is not None else ""
        )
    if delta is None or delta == 0:
        tone = "flat"
    else:
        good = (delta > 0) != lower_is_better
        tone = "up" if good else "down"
    return Kpi(label, value, text, tone, note)


def _target_note(fmt: Formatter, actual: Decimal | int, planned: Decimal | None, money: str) -> str:
    if not planned:
        return ""
    share = fmt.percent(Decimal(actual) / planned, 0)
    target = fmt.money(planned, money, whole=True) if money else fmt.number(planned)
    return fmt.gettext("%(share)s of target %(target)s", share=share, target=target)


def _company_kpis(fmt: Formatter, c: CompanyFigures) -> dict[str, list[Kpi]]:
    _ = fmt.gettext
    cur, prev, money = c.current, c.previous, c.currency

    def cash_money(v: Decimal | None) -> str:
        return fmt.money(v, money, whole=True)

    return {
        "macro": [
            _kpi(fmt, _("ROAS"), fmt.number(cur.roas, 2) if cur.roas is not None else "—",
                 cur.roas, prev.roas, note=cur.roas_ratio or ""),
            _kpi(fmt, _("CAC"), fmt.money(cur.cac, money), cur.cac, prev.cac,
                 lower_is_better=True),
            _kpi(fmt, _("Win rate"), fmt.percent(cur.win_rate), cur.win_rate, prev.win_rate,
                 points=True),
            _kpi(fmt, _("Cost per valid lead"), fmt.money(cur.cost_per_valid_lead, money),
                 cur.cost_per_valid_lead, prev.cost_per_valid_lead, lower_is_better=True),
        ],
        "results": [
            _kpi(fmt, _("Leads"), fmt.number(cur.leads), cur.leads, prev.leads,
                 note=_target_note(fmt, cur.leads, c.targets.get("leads"), "")),
            _kpi(fmt, _("Revenue"), cash_money(cur.revenue), cur.revenue, prev.revenue,
                 note=_target_note(fmt, cur.revenue, c.targets.get("revenue"), money)),
            _kpi(fmt, _("Cash"), cash_money(cur.cash), cur.cash, prev.cash,
                 note=_target_note(fmt, cur.cash, c.targets.get("cash"), money)),
            _kpi(fmt, _("Spend"), cash_money(cur.spend), cur.spend, prev.spend,
                 lower_is_better=True),
        ],
        "process": [
            _kpi(fmt, _("Lead → SQL"), fmt.percent(_stage(c, "sql").conversion_from_lead),
                 _stage(c, "sql").conversion_from_lead,
                 _stage(c, "sql", previous=True).conversion_from_lead, points=True),
            _kpi(fmt, _("SLA compliance"), fmt.percent(_dec(c.sla.compliance)),
                 _dec(c.sla.compliance), _dec(c.previous_sla.compliance), points=True,
                 note=_("%(late)s late, %(missed)s missed of %(decided)s",
                        late=fmt.number(c.sla.late), missed=fmt.number(c.sla.missed),
                        decided=fmt.number(c.sla.decided))),
            _kpi(fmt, _("Days SAL → SQL"), _days(fmt, _stage(c, "sql").median_days),
                 _stage(c, "sql").median_days,
                 _stage(c, "sql", previous=True).median_days, lower_is_better=True),
            _kpi(fmt, _("Days SQL → won"), _days(fmt, _stage(c, "won").median_days),
                 _stage(c, "won").median_days,
                 _stage(c, "won", previous=True).median_days, lower_is_better=True),
        ],
    }  # fmt: skip


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


def _days(fmt: Formatter, value: Decimal | None) -> str:
    return "—" if value is None else fmt.gettext("%(days)s d", days=fmt.number(value, 1))


def _stage(c: CompanyFigures, stage: str, *, previous: bool = False) -> Any:
    rows = c.previous_funnel if previous else c.funnel
    return next(row for row in rows if row.stage == stage)


def _company_charts(fmt: Formatter, c: CompanyFigures) -> dict[str, Any]:
    _ = fmt.gettext
    channels = [r for r in c.channels if r.spend or r.revenue]
    return {
        "funnel": charts.as_json(
            charts.funnel_chart([(_(STAGE_LABELS[r.stage]), r.count) for r in c.funnel], _)
        ),
        "roi": charts.as_json(
            charts.roi_by_channel(
                [r.key if r.key != "(none)" else _("(no source)") for r in channels],
                [r.roi for r in channels],
                [r.spend for r in channels],
                [r.revenue for r in channels],
                c.currency,
                _,
            )
        ),
        "trend": charts.as_json(
            charts.weekly_trend(
                [fmt.date(w.start, "short") for w in c.weeks],
                [w.leads for w in c.weeks],
                [w.revenue for w in c.weeks],
                [w.cash for w in c.weeks],
                c.currency,
                _,
            )
        ),
    }


def _finance_kpis(fmt: Formatter, r: Receivables) -> list[Kpi]:
    _ = fmt.gettext
    money = r.currency
    return [
        _kpi(fmt, _("Cash collected"), fmt.money(r.cash, money, whole=True), r.cash,
             r.previous_cash),
        _kpi(fmt, _("Invoiced"), fmt.money(r.invoiced, money, whole=True), r.invoiced,
             r.previous_invoiced),
        Kpi(_("Outstanding"), fmt.money(r.outstanding, money, whole=True)),
        Kpi(_("Overdue"), fmt.money(r.overdue, money, whole=True),
            note=fmt.ngettext("%(num)s invoice", "%(num)s invoices", r.overdue_invoices)),
    ]  # fmt: skip


def _own_kpis(fmt: Formatter, own: OwnFigures, role: Role) -> list[Kpi]:
    _ = fmt.gettext
    cur, prev = own.current, own.previous
    kpis = [
        Kpi(_("Open leads"), fmt.number(own.open_leads)),
        Kpi(
            _("SLA overdue"),
            fmt.number(own.clocks.overdue),
            tone="down" if own.clocks.overdue else "flat",
            note=_("%(soon)s due within 2 hours", soon=fmt.number(own.clocks.due_soon)),
        ),
        _kpi(fmt, _("New leads"), fmt.number(cur.leads), cur.leads, prev.leads),
    ]
    if role == Role.SDR:  # an SDR qualifies and hands over: contact and acceptance, not deals
        kpis += [
            _kpi(
                fmt,
                _("Contacted"),
                fmt.percent(cur.contacted_share),
                cur.contacted_share,
                prev.contacted_share,
                points=True,
            ),
            _kpi(
                fmt,
                _("Lead → SAL"),
                fmt.percent(cur.lead_to_sal),
                cur.lead_to_sal,
                prev.lead_to_sal,
                points=True,
            ),
            _kpi(
                fmt,
                _("Lead → SQL"),
                fmt.percent(cur.lead_to_sql),
                cur.lead_to_sql,
                prev.lead_to_sql,
                points=True,
            ),
        ]
        return kpis
    kpis += [
        _kpi(fmt, _("Lead → SQL"), fmt.percent(cur.lead_to_sql), cur.lead_to_sql,
             prev.lead_to_sql, points=True),
        _kpi(fmt, _("Win rate"), fmt.percent(cur.win_rate), cur.win_rate, prev.win_rate,
             points=True, note=_("%(won)s won, %(lost)s lost", won=cur.won, lost=cur.lost)),
        _kpi(fmt, _("Won revenue"), fmt.money(cur.won_revenue, own.currency, whole=True),
             cur.won_revenue, prev.won_revenue),
    ]  # fmt: skip
    return kpis


def _period_text(fmt: Formatter, period: Period) -> str:
    return f"{fmt.date(period.start)} – {fmt.date(period.end)}"


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    actor: PageActor,
    period: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    """The role's dashboard: the company's three views, a team's or a rep's own figures."""
    fmt = formatter(request, actor)
    today = utcnow().date()
    chosen = figures.resolve_period(period, start, end, today=today)
    company: CompanyFigures | None = None
    receivables: Receivables | None = None
    own: OwnFigures | None = None
    engine = request.app.state.engine
    cache = figure_cache(request)
    if figures.sees_company(actor):
        company = cache.get(
            cache_key(request, "company", chosen.key),
            lambda: _company_figures(engine, chosen),
        )
    currency = company.currency if company else get_settings().currency
    if figures.sees_receivables(actor):
        receivables = cache.get(
            cache_key(request, "receivables", chosen.key, currency, today),
            lambda: in_session(
                engine,
                lambda s: figures.receivables(s, chosen, currency=currency, today=today),
            ),
        )
    scope = figures.own_scope(actor)
    if scope is not None:
        # Per owner (or team) and period, for a minute: a rep's figures stay almost live, and
        # twenty reloads of a manager's page do not scan the team's leads twenty times.
        own = figure_cache(request, "own_cache").get(
            cache_key(request, *scope, currency, chosen.key),
            lambda: in_session(
                engine,
                lambda s: figures.own_figures(s, actor, chosen, currency=currency, now=utcnow()),
            ),
        )
    _ = fmt.gettext
    return render(
        request,
        actor,
        "dashboard.html",
        chosen=chosen,
        period_kinds=[
            ("month", _("This month")),
            ("quarter", _("This quarter")),
            ("year", _("This year")),
            ("custom", _("Custom range")),
        ],
        current_text=_period_text(fmt, chosen.current),
        previous_text=_period_text(fmt, chosen.previous),
        company=company,
        kpis=_company_kpis(fmt, company) if company else None,
        company_charts=_company_charts(fmt, company) if company else None,
        receivables=receivables,
        finance_kpis=_finance_kpis(fmt, receivables) if receivables else None,
        aging_chart=charts.as_json(charts.aging_chart(receivables.aging, currency, _))
        if receivables
        else None,
        own=own,
        own_kpis=_own_kpis(fmt, own, actor.role) if own else None,
        stage_labels=STAGE_LABELS,
        finance_first=actor.role == Role.FINANCE,
        own_first=scope is not None,
        now=utcnow(),
    )


def _company_figures(engine: Any, chosen: figures.DashboardPeriod) -> CompanyFigures:
    """The parts of the company figures at the same time (each about a second at 1M leads)."""
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard") as pool:
        run = figures.concurrent_runner(pool, engine)
        with unit_of_work(engine) as session:
            return figures.company_figures(session, chosen, run=run)


def in_session(engine: Any, work: Any) -> Any:
    with unit_of_work(engine) as session:
        return work(session)
