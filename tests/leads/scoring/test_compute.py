"""Pure scoring against hand-added points: fit, decaying engagement, the caps, the factors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.leads.scoring.compute import LeadFacts, Scorer, score_one
from closeloop.leads.scoring.rules import DEFAULT
from tests.leads.scoring.helpers import RULES

# software 20 + 150 employees 15 + CEO 25 + CN 5
FIT = 65


def test_fit_adds_the_points_of_each_rule() -> None:
    score = score_one(RULES, LeadFacts("Software", 150, "CN", "CEO"))
    assert (score.fit, score.engagement, score.total) == (FIT, 0, FIT)


def test_unknown_values_earn_nothing() -> None:
    score = score_one(RULES, LeadFacts("mining", None, "FR", "Engineer"))
    assert (score.fit, score.engagement, score.total, score.factors) == (0, 0, 0, [])


def test_engagement_halves_every_half_life() -> None:
    # a webinar 10 days ago (one half-life): 20 → 10; a visit today: 4; one 20 days ago: 1
    facts = LeadFacts(touches=[("webinar_attended", 10.0), ("visit", 0.0), ("visit", 20.0)])
    assert score_one(RULES, facts).engagement == 15


def test_touch_kinds_without_points_earn_nothing() -> None:
    assert score_one(RULES, LeadFacts(touches=[("ad_click", 0.0)])).engagement == 0


def test_engagement_is_capped_then_the_total_at_100() -> None:
    facts = LeadFacts("software", 150, "CN", "CEO", [("webinar_attended", 0.0)] * 3)
    score = score_one(RULES, facts)
    assert score.engagement == 40  # 60 capped at engagement_max
    assert score.total == 100  # 65 + 40 capped
    webinar = dict(score.factors)["engagement: webinar_attended"]
    assert webinar == 40  # the factor is scaled to what the cap let through


def test_factors_are_the_top_five_by_size() -> None:
    facts = LeadFacts("software", 150, "CN", "CEO", [("webinar_attended", 10.0), ("visit", 0)])
    assert score_one(RULES, facts).factors == [
        ["title: c-level", 25],
        ["industry: software", 20],
        ["size: 100+", 15],
        ["engagement: webinar_attended", 10],
        ["region: CN", 5],
    ]


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("CEO", "c-level"),
        ("Co-Founder & CEO", "c-level"),
        ("总经理", "c-level"),
        ("董事长", "c-level"),
        ("副总裁", "vp"),
        ("副总经理", "vp"),
        ("VP Sales", "vp"),
        ("Vice President, Marketing", "vp"),
        ("Operations Director", "director"),  # "cto" inside "director" is not a CTO
        ("销售总监", "director"),
        ("副总监", "director"),
        ("Head of Marketing", "director"),
        ("IT Manager", "manager"),
        ("采购经理", "manager"),
        ("客服主管", "manager"),
        ("Engineer", "individual"),
        ("Astronaut", None),
        (None, None),
    ],
)
def test_title_seniority_in_english_and_chinese(title: str | None, level: str | None) -> None:
    found = Scorer(DEFAULT).seniority(title)
    assert (found.level if found else None) == level


def test_one_lead_and_the_batch_agree() -> None:
    scorer = Scorer(DEFAULT)
    facts = [
        LeadFacts("software", 300, "CN", "CEO", [("webinar_attended", 3.0)]),
        LeadFacts("retail", 5, "US", "Analyst", [("visit", 40.0), ("referral", 1.0)]),
    ]
    singles = [score_one(scorer, f) for f in facts]
    kinds = [k for f in facts for k, _ in f.touches]
    batch = scorer.score_batch(
        industry=[f.industry for f in facts],
        company_size=[f.company_size for f in facts],
        region=[f.region for f in facts],
        title=[f.title for f in facts],
        touch_lead=np.array([i for i, f in enumerate(facts) for _ in f.touches]),
        touch_kind=scorer.kind_codes(kinds),
        touch_age_days=np.array([a for f in facts for _, a in f.touches], dtype=float),
    )
    assert batch.total.tolist() == [s.total for s in singles]
    assert batch.factors == [s.factors for s in singles]


touch = st.tuples(
    st.sampled_from(["webinar_attended", "visit", "ad_click"]),
    st.floats(min_value=0, max_value=400),
)
facts_strategy = st.builds(
    LeadFacts,
    industry=st.sampled_from(["software", "mining", None]),
    company_size=st.one_of(st.none(), st.integers(0, 100_000)),
    region=st.sampled_from(["CN", "US", None]),
    title=st.sampled_from(["CEO", "IT Manager", "总经理", "Engineer", None]),
    touches=st.lists(touch, max_size=12),
)


@given(facts_strategy, st.integers(-100, 100), st.integers(-100, 100))
def test_score_stays_within_0_and_100(facts: LeadFacts, industry: int, webinar: int) -> None:
    rules = RULES.model_copy(
        update={"industry": {"software": industry}, "engagement": {"webinar_attended": webinar}}
    )
    assert 0 <= score_one(rules, facts).total <= 100


@given(facts_strategy, st.integers(0, 60), st.sampled_from(["industry", "engagement", "region"]))
def test_more_points_never_lower_the_score(facts: LeadFacts, extra: int, part: str) -> None:
    key = {"industry": "software", "engagement": "webinar_attended", "region": "CN"}[part]
    table = dict(getattr(RULES, part))
    richer = RULES.model_copy(update={part: {**table, key: min(100, table[key] + extra)}})
    assert score_one(richer, facts).total >= score_one(RULES, facts).total
