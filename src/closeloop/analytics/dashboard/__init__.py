"""The dashboard's figures, per role: the company's (from the reports), a team's or a rep's own.

Company figures come from the report services (``roi_report``, ``funnel_report``,
``sla_compliance``), so the dashboard and the reports always agree. They cost about a second at
1M leads, so the page caches them per (period, scope) for a few minutes (``FigureCache``). A rep's
own figures are small indexed queries on ``owner_id`` and are always live.

The package: periods.py, cache.py, company.py (and finance's receivables), own.py.
"""

from closeloop.analytics.dashboard.cache import (
    FigureCache,
)
from closeloop.analytics.dashboard.company import (
    AGING_BUCKETS,
    TREND_WEEKS,
    CompanyFigures,
    Receivables,
    Runner,
    Week,
    company_figures,
    concurrent_runner,
    period_bounds,
    receivables,
    targets,
    weekly_trend,
)
from closeloop.analytics.dashboard.own import (
    COMPANY_ROLES,
    DUE_SOON,
    OPEN_LEAD_STATUSES,
    DueLead,
    OwnFigures,
    OwnPeriod,
    SlaClocks,
    own_figures,
    own_scope,
    sees_company,
    sees_receivables,
)
from closeloop.analytics.dashboard.periods import (
    DashboardPeriod,
    PeriodKind,
    change,
    point_change,
    resolve_period,
)

__all__ = [
    "AGING_BUCKETS",
    "COMPANY_ROLES",
    "DUE_SOON",
    "OPEN_LEAD_STATUSES",
    "TREND_WEEKS",
    "CompanyFigures",
    "DashboardPeriod",
    "DueLead",
    "FigureCache",
    "OwnFigures",
    "OwnPeriod",
    "PeriodKind",
    "Receivables",
    "Runner",
    "SlaClocks",
    "Week",
    "change",
    "company_figures",
    "concurrent_runner",
    "own_figures",
    "own_scope",
    "period_bounds",
    "point_change",
    "receivables",
    "resolve_period",
    "sees_company",
    "sees_receivables",
    "targets",
    "weekly_trend",
]
