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
        code="paid_search",
        name="Paid search",
        kind="paid_search",
        utm_source="baidu",
        utm_medium="cpc",
        share=0.24,
        cost_per_lead=60,
        valid_rate=0.8,
        mql_rate=0.3,
        sal_rate=0.6,
        sql_rate=0.45,
        win_rate=0.22,
        deal_size=8000,
        cycle_days=45,
        skip_mql=0.0,
        campaigns=(
            ("Brand keywords", (("Brand ad A", "ad"), ("Brand ad B", "ad"))),
            (
                "CRM generic keywords",
                (("Generic ad", "ad"), ("Comparison ad", "ad"), ("Pricing ad", "ad")),
            ),
            ("Retargeting", (("Retargeting banner", "ad"),)),
        ),
    ),
    ChannelProfile(
        code="seo",
        name="SEO & content",
        kind="seo",
        utm_source="google",
        utm_medium="organic",
        share=0.16,
        cost_per_lead=12,
        valid_rate=0.85,
        mql_rate=0.28,
        sal_rate=0.55,
        sql_rate=0.45,
        win_rate=0.22,
        deal_size=7000,
        cycle_days=50,
        skip_mql=0.0,
        campaigns=(
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
        code="social",
        name="Social ads",
        kind="social",
        utm_source="linkedin",
        utm_medium="paid_social",
        share=0.15,
        cost_per_lead=55,
        valid_rate=0.7,
        mql_rate=0.22,
        sal_rate=0.5,
        sql_rate=0.4,
        win_rate=0.15,
        deal_size=6000,
        cycle_days=55,
        skip_mql=0.0,
        campaigns=(
            ("LinkedIn lead gen", (("Lead gen form", "ad"), ("Carousel", "ad"))),
            ("WeChat moments", (("WeChat video", "ad"),)),
        ),
    ),
    ChannelProfile(
        code="email",
        name="Email",
        kind="email",
        utm_source="newsletter",
        utm_medium="email",
        share=0.12,
        cost_per_lead=8,
        valid_rate=0.9,
        mql_rate=0.18,
        sal_rate=0.5,
        sql_rate=0.4,
        win_rate=0.2,
        deal_size=5000,
        cycle_days=40,
        skip_mql=0.0,
        campaigns=(
            ("Monthly newsletter", (("Newsletter issue", "email"),)),
            ("Nurture sequence", (("Nurture mail 1", "email"), ("Nurture mail 2", "email"))),
        ),
    ),
    ChannelProfile(
        code="webinar",
        name="Webinars",
        kind="webinar",
        utm_source="webinar",
        utm_medium="event",
        share=0.1,
        cost_per_lead=90,
        valid_rate=0.92,
        mql_rate=0.55,
        sal_rate=0.65,
        sql_rate=0.5,
        win_rate=0.3,
        deal_size=12000,
        cycle_days=50,
        skip_mql=0.0,
        campaigns=(
            (
                "Quarterly product webinar",
                (("Spring webinar", "webinar"), ("Autumn webinar", "webinar")),
            ),
            ("Industry roundtable", (("Manufacturing roundtable", "webinar"),)),
        ),
    ),
    ChannelProfile(
        code="trade_show",
        name="Trade shows",
        kind="trade_show",
        utm_source="expo",
        utm_medium="event",
        share=0.08,
        cost_per_lead=250,
        valid_rate=0.85,
        mql_rate=0.5,
        sal_rate=0.6,
        sql_rate=0.5,
        win_rate=0.3,
        deal_size=30000,
        cycle_days=70,
        skip_mql=0.1,
        campaigns=(
            ("CeBIT-style expo", (("Booth", "trade_show"),)),
            (
                "China industrial fair",
                (("Booth and talk", "trade_show"), ("Customer dinner", "trade_show")),
            ),
        ),
    ),
    ChannelProfile(
        code="referral",
        name="Referrals",
        kind="referral",
        utm_source="referral",
        utm_medium="referral",
        share=0.08,
        cost_per_lead=60,
        valid_rate=0.95,
        mql_rate=0.7,
        sal_rate=0.8,
        sql_rate=0.6,
        win_rate=0.45,
        deal_size=15000,
        cycle_days=35,
        skip_mql=0.25,
        campaigns=(("Customer referral programme", (("Referral bonus", "referral"),)),),
    ),
    ChannelProfile(
        code="partner",
        name="Partners",
        kind="partner",
        utm_source="partner",
        utm_medium="partner",
        share=0.07,
        cost_per_lead=150,
        valid_rate=0.9,
        mql_rate=0.5,
        sal_rate=0.65,
        sql_rate=0.55,
        win_rate=0.35,
        deal_size=22000,
        cycle_days=60,
        skip_mql=0.15,
        campaigns=(
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
