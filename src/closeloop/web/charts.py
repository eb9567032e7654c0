"""Chart specifications for Plotly (plotly.js, served by the app from the ``plotly`` package).

Each function returns a plain ``{"data": [...], "layout": {...}}`` dict that ``static/charts.js``
hands to ``Plotly.newPlot``. Titles and axis titles come already translated; numbers are floats
only here, at the edge, because a chart has no use for exact cents.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup

Spec = dict[str, Any]
Translate = Callable[..., str]

FONT = (
    'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", '
    '"Microsoft YaHei", sans-serif'
)
BRAND, GREEN, ORANGE, RED, GREY = "#2457d6", "#12805c", "#f79009", "#c0362c", "#98a2b3"
FUNNEL_COLOURS = [
    "#1d3f9e", "#2457d6", "#3b6fe0", "#5b8bea", "#7aa2ff", "#12805c", "#32a37a", "#5cc19a",
]  # fmt: skip


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the installed ``plotly`` Python package."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


@lru_cache(maxsize=1)
def plotly_js_gzipped() -> bytes:
    """The 4.8 MB bundle compressed once (about 1.4 MB on the wire)."""
    return gzip.compress(plotly_js_path().read_bytes(), compresslevel=6)


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 12, "color": "#1c2430"},
        "margin": {"l": 56, "r": 24, "t": 16, "b": 48},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
    }
    layout.update(extra)
    return layout


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 12, "color": "#667085"}},
        "gridcolor": "#eef0f3",
        "zerolinecolor": "#d0d5dd",
        "automargin": True,
        **extra,
    }


def _num(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def funnel_chart(stages: Sequence[tuple[str, int]], _: Translate) -> Spec:
    """Leads at each stage of the funnel, with the share of the first stage."""
    return {
        "data": [
            {
                "type": "funnel",
                "y": [label for label, _count in stages],
                "x": [count for _label, count in stages],
                "texttemplate": "%{value:,}<br>%{percentInitial:.1%}",
                "textposition": "inside",
                "marker": {"color": FUNNEL_COLOURS[: len(stages)]},
                "connector": {"line": {"color": "#d0d5dd"}},
                "hovertemplate": "%{y}: %{x:,}<extra></extra>",
            }
        ],
        "layout": _layout(margin={"l": 110, "r": 24, "t": 8, "b": 24}, showlegend=False),
    }


def roi_by_channel(
    channels: Sequence[str],
    roi: Sequence[Decimal | None],
    spend: Sequence[Decimal],
    revenue: Sequence[Decimal],
    currency: str,
    _: Translate,
) -> Spec:
    """ROI per channel as bars (green above break-even, red below), spend and revenue on hover."""
    values = [_num(r) for r in roi]
    return {
        "data": [
            {
                "type": "bar",
                "x": list(channels),
                "y": values,
                "marker": {"color": [GREEN if (v or 0) >= 0 else RED for v in values]},
                "customdata": [[_num(s), _num(r)] for s, r in zip(spend, revenue, strict=True)],
                "hovertemplate": (
                    "%{x}<br>"
                    + _("ROI")
                    + ": %{y:.0%}<br>"
                    + _("Spend")
                    + ": %{customdata[0]:,.0f} "
                    + currency
                    + "<br>"
                    + _("Revenue")
                    + ": %{customdata[1]:,.0f} "
                    + currency
                    + "<extra></extra>"
                ),
            }
        ],
        "layout": _layout(
            showlegend=False,
            xaxis=_axis(_("Channel")),
            yaxis=_axis(_("ROI"), tickformat=".0%"),
        ),
    }


def weekly_trend(
    weeks: Sequence[str],
    leads: Sequence[int],
    revenue: Sequence[Decimal],
    cash: Sequence[Decimal],
    currency: str,
    _: Translate,
) -> Spec:
    """Leads (right axis) and revenue and cash (left axis, money) per week."""
    money_axis = _("Amount (%(currency)s)", currency=currency)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Revenue"),
                "x": list(weeks),
                "y": [_num(v) for v in revenue],
                "line": {"color": BRAND, "width": 2.5},
                "hovertemplate": "%{y:,.0f} " + currency + "<extra>" + _("Revenue") + "</extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Cash"),
                "x": list(weeks),
                "y": [_num(v) for v in cash],
                "line": {"color": GREEN, "width": 2.5},
                "hovertemplate": "%{y:,.0f} " + currency + "<extra>" + _("Cash") + "</extra>",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("Leads"),
                "x": list(weeks),
                "y": list(leads),
                "yaxis": "y2",
                "line": {"color": ORANGE, "width": 2, "dash": "dot"},
                "hovertemplate": "%{y:,}<extra>" + _("Leads") + "</extra>",
            },
        ],
        "layout": _layout(
            xaxis=_axis(_("Week starting"), type="category"),
            yaxis=_axis(money_axis, rangemode="tozero", tickformat=".3~s"),
            yaxis2=_axis(
                _("Leads"),
                overlaying="y",
                side="right",
                rangemode="tozero",
                showgrid=False,
                tickformat=".3~s",
            ),
            margin={"l": 64, "r": 64, "t": 16, "b": 56},
            hovermode="x unified",
        ),
    }


def aging_chart(buckets: Sequence[tuple[str, Decimal]], currency: str, _: Translate) -> Spec:
    """Overdue receivables by days past due."""
    colours = [ORANGE, "#dc6803", "#b54708", RED]
    return {
        "data": [
            {
                "type": "bar",
                "x": [label for label, _amount in buckets],
                "y": [_num(amount) for _label, amount in buckets],
                "marker": {"color": colours[: len(buckets)]},
                "hovertemplate": "%{x}: %{y:,.0f} " + currency + "<extra></extra>",
            }
        ],
        "layout": _layout(
            showlegend=False,
            xaxis=_axis(_("Days past due")),
            yaxis=_axis(
                _("Amount (%(currency)s)", currency=currency), rangemode="tozero", tickformat=".3~s"
            ),
        ),
    }


def as_json(spec: Spec) -> Markup:
    """The spec for a ``data-chart`` attribute or a JSON script block (escaped for HTML)."""
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))
