"""The demo company's true parameters: its ground truth, which the reports must recover."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelProfile:
    """How a channel truly behaves. Rates are conditional on the previous stage."""

    code: str
    name: str
    kind: str
    utm_source: str
    utm_medium: str
    share: float  # of all leads
    cost_per_lead: float  # in the company's currency
    valid_rate: float
    mql_rate: float
    sal_rate: float
    sql_rate: float
    win_rate: float  # before the rep's skill
    deal_size: float  # mean won amount
    cycle_days: float  # mean days from SQL to close
    skip_mql: float  # share of sales-accepted leads that sales took straight, without an MQL
    campaigns: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # name, ((content, kind), …)

    @property
    def lead_to_won(self) -> float:
        """True probability that a lead of this channel becomes a won deal."""
        return self.valid_rate * self.mql_rate * self.sal_rate * self.sql_rate * self.win_rate

    @property
    def roas(self) -> float:
        """True revenue per unit of spend."""
        return self.lead_to_won * self.deal_size / self.cost_per_lead


CHANNELS: tuple[ChannelProfile, ...] = (
    ChannelProfile(
        "paid_search",
        "Paid search",
        "paid_search",
        "baidu",
        "cpc",
        0.24,
        60,
        0.80,
        0.30,
        0.60,
        0.45,
        0.22,
        8_000,
        45,
        0.0,
        (
            ("Brand keywords", (("Brand ad A", "ad"), ("Brand ad B", "ad"))),
            (
                "CRM generic keywords",
                (("Generic ad", "ad"), ("Comparison ad", "ad"), ("Pricing ad", "ad")),
            ),
            ("Retargeting", (("Retargeting banner", "ad"),)),
        ),
    ),
    ChannelProfile(
        "seo",
        "SEO & content",
        "seo",
        "google",
        "organic",
        0.16,
        12,
        0.85,
        0.28,
        0.55,
        0.45,
        0.22,
        7_000,
        50,
        0.0,
        (
            (
                "Blog",
                (
                    ("Lead-to-cash guide", "article"),
                    ("ROI calculator", "article"),
                    ("Public pool explained", "article"),
                ),
            ),
            ("White papers", (("B2B funnel benchmark 2026", "white_paper"),)),
        ),
    ),
    ChannelProfile(
        "social",
        "Social ads",
        "social",
        "linkedin",
        "paid_social",
        0.15,
        45,
        0.70,
        0.22,
        0.50,
        0.40,
        0.20,
        6_000,
        55,
        0.0,
        (
            ("LinkedIn lead gen", (("Lead gen form", "ad"), ("Carousel", "ad"))),
            ("WeChat moments", (("WeChat video", "ad"),)),
        ),
    ),
    ChannelProfile(
        "email",
        "Email",
        "email",
        "newsletter",
        "email",
        0.12,
        8,
        0.90,
        0.18,
        0.50,
        0.40,
        0.20,
        5_000,
        40,
        0.0,
        (
            ("Monthly newsletter", (("Newsletter issue", "email"),)),
            ("Nurture sequence", (("Nurture mail 1", "email"), ("Nurture mail 2", "email"))),
        ),
    ),
    ChannelProfile(
        "webinar",
        "Webinars",
        "webinar",
        "webinar",
        "event",
        0.10,
        90,
        0.92,
        0.55,
        0.65,
        0.50,
        0.30,
        12_000,
        50,
        0.0,
        (
            (
                "Quarterly product webinar",
                (("Spring webinar", "webinar"), ("Autumn webinar", "webinar")),
            ),
            ("Industry roundtable", (("Manufacturing roundtable", "webinar"),)),
        ),
    ),
    ChannelProfile(
        "trade_show",
        "Trade shows",
        "trade_show",
        "expo",
        "event",
        0.08,
        250,
        0.85,
        0.50,
        0.60,
        0.50,
        0.30,
        30_000,
        70,
        0.10,
        (
            ("CeBIT-style expo", (("Booth", "trade_show"),)),
            (
                "China industrial fair",
                (("Booth and talk", "trade_show"), ("Customer dinner", "trade_show")),
            ),
        ),
    ),
    ChannelProfile(
        "referral",
        "Referrals",
        "referral",
        "referral",
        "referral",
        0.08,
        60,
        0.95,
        0.70,
        0.80,
        0.60,
        0.45,
        15_000,
        35,
        0.25,
        (("Customer referral programme", (("Referral bonus", "referral"),)),),
    ),
    ChannelProfile(
        "partner",
        "Partners",
        "partner",
        "partner",
        "partner",
        0.07,
        150,
        0.90,
        0.50,
        0.65,
        0.55,
        0.35,
        22_000,
        60,
        0.15,
        (
            ("Reseller programme", (("Partner co-marketing", "partner"),)),
            ("System integrators", (("SI joint webinar", "webinar"),)),
        ),
    ),
)

# Channel-level spend with no campaign (tools, agency retainers), per month.
CHANNEL_RETAINERS = {"seo": 3_000}

# Sales reps: (name, team, skill). Skill multiplies a deal's chance to be won.
SALES_REPS = (
    ("Chen Jing", "Sales East", 1.45),
    ("Olivia Brown", "Sales East", 1.25),
    ("Wang Lei", "Sales East", 1.10),
    ("Lukas Weber", "Sales East", 0.95),
    ("Zhang Min", "Sales West", 1.00),
    ("Daniel Clark", "Sales West", 0.85),
    ("Liu Yang", "Sales West", 0.70),
    ("Sophie Martin", "Sales West", 0.55),
)
SDRS = ("Zhao Na", "Emma Wilson", "Sun Tao", "Noah Hall")

# Pipeline stages: (name, probability %, entry criteria).
PIPELINE_STAGES = (
    ("Qualification", 10, ["budget confirmed", "decision maker identified"]),
    ("Discovery", 20, ["needs documented", "demo held"]),
    ("Proposal", 40, ["proposal sent", "pricing approved"]),
    ("Negotiation", 60, ["legal review started"]),
    ("Contract", 80, ["contract sent for signature"]),
)

# Monthly lead-volume seasonality (Jan…Dec): Chinese New Year dip, spring and autumn peaks.
SEASONALITY = (0.85, 0.60, 1.10, 1.10, 1.05, 0.95, 0.85, 0.85, 1.10, 1.15, 1.20, 0.90)
MONTHLY_GROWTH = 0.02


def best_converting_channel() -> str:
    """The channel whose leads truly become won deals most often."""
    return max(CHANNELS, key=lambda c: c.lead_to_won).name


def best_roas_channel() -> str:
    """The channel that truly returns the most revenue per unit of spend."""
    return max(CHANNELS, key=lambda c: c.roas).name


def worst_roas_channel() -> str:
    """The channel that truly returns the least revenue per unit of spend."""
    return min(CHANNELS, key=lambda c: c.roas).name
