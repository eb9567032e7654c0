"""The scoring rules: their schema (kind ``scoring`` in ``rule_sets``) and the built-in default.

A lead's score is *fit* (who they are: industry, company size, title seniority, region) plus
*engagement* (what they did: touches, each worth points that halve every ``half_life_days``),
capped to 0..100. At or above ``mql_threshold`` the lead is sales-ready (MQL).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KIND = "scoring"

Points = Annotated[int, Field(ge=-100, le=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SizeBand(Strict):
    """Companies with ``min_employees`` up to ``max_employees`` (inclusive; open when absent)."""

    min_employees: Annotated[int, Field(ge=0)]
    max_employees: Annotated[int | None, Field(ge=0)] = None
    points: Points

    @model_validator(mode="after")
    def _ordered(self) -> SizeBand:
        if self.max_employees is not None and self.max_employees < self.min_employees:
            raise ValueError("max_employees is below min_employees")
        return self

    @property
    def label(self) -> str:
        top = "+" if self.max_employees is None else f"-{self.max_employees}"
        return f"{self.min_employees}{top}"


class Seniority(Strict):
    """A seniority level, recognized by any of its keywords in the title (case-insensitive)."""

    level: Annotated[str, Field(min_length=1, max_length=40)]
    keywords: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    points: Points

    @field_validator("keywords")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [keyword.strip().lower() for keyword in value]


class ScoringRules(Strict):
    """The whole scoring configuration, validated strictly (unknown keys are refused)."""

    mql_threshold: Annotated[int, Field(ge=1, le=100)]
    half_life_days: Annotated[float, Field(gt=0, le=3650)]
    engagement_max: Annotated[int, Field(ge=0, le=100)] = 100
    industry: dict[str, Points] = Field(default_factory=dict)
    company_size: list[SizeBand] = Field(default_factory=list)
    seniority: list[Seniority] = Field(default_factory=list)
    region: dict[str, Points] = Field(default_factory=dict)
    engagement: dict[str, Points] = Field(default_factory=dict)

    @field_validator("industry", "engagement")
    @classmethod
    def _lower_keys(cls, value: dict[str, int]) -> dict[str, int]:
        lowered = {key.strip().lower(): points for key, points in value.items()}
        if len(lowered) != len(value) or "" in lowered:
            raise ValueError("names must be unique (ignoring case) and not empty")
        return lowered

    @field_validator("region")
    @classmethod
    def _country_codes(cls, value: dict[str, int]) -> dict[str, int]:
        for code in value:
            if len(code) != 2 or not code.isalpha() or not code.isupper():
                raise ValueError(f"{code!r} is not a two-letter upper-case country code")
        return value

    @field_validator("company_size")
    @classmethod
    def _bands_apart(cls, bands: list[SizeBand]) -> list[SizeBand]:
        ordered = sorted(bands, key=lambda band: band.min_employees)
        for lower, upper in pairwise(ordered):
            if lower.max_employees is None or lower.max_employees >= upper.min_employees:
                raise ValueError(f"size bands {lower.label} and {upper.label} overlap")
        return ordered

    @field_validator("seniority")
    @classmethod
    def _levels_unique(cls, levels: list[Seniority]) -> list[Seniority]:
        names = [level.level for level in levels]
        if len(set(names)) != len(names):
            raise ValueError("seniority levels must have different names")
        return levels


DEFAULT = ScoringRules(
    mql_threshold=60,
    half_life_days=30,
    engagement_max=50,
    industry={
        "software": 15,
        "finance": 12,
        "manufacturing": 12,
        "healthcare": 10,
        "logistics": 8,
        "energy": 8,
        "retail": 5,
        "education": 2,
    },
    company_size=[
        SizeBand(min_employees=0, max_employees=9, points=0),
        SizeBand(min_employees=10, max_employees=49, points=5),
        SizeBand(min_employees=50, max_employees=199, points=10),
        SizeBand(min_employees=200, max_employees=999, points=15),
        SizeBand(min_employees=1000, points=20),
    ],
    # The longest keyword found in a title decides ("副总裁" is vp although it holds "总裁").
    seniority=[
        Seniority(
            level="c-level",
            keywords=[
                "ceo", "cto", "cfo", "coo", "cio", "cmo", "chief", "founder", "president",
                "managing director", "总经理", "董事长", "总裁", "创始人", "首席", "老板",
            ],
            points=25,
        ),
        Seniority(
            level="vp",
            keywords=["vp", "vice president", "svp", "evp", "副总裁", "副总", "副总经理"],
            points=20,
        ),
        Seniority(
            level="director",
            keywords=["director", "head of", "总监", "副总监", "部长"],
            points=15,
        ),
        Seniority(
            level="manager",
            keywords=["manager", "lead", "supervisor", "经理", "主管", "主任"],
            points=10,
        ),
        Seniority(
            level="individual",
            keywords=[
                "engineer", "analyst", "specialist", "assistant", "intern",
                "工程师", "专员", "助理", "实习",
            ],
            points=2,
        ),
    ],
    region={"CN": 5, "US": 5, "DE": 5, "GB": 3, "SG": 3},
    engagement={
        "referral": 30,
        "partner_referral": 25,
        "meeting": 25,
        "trade_show_visit": 20,
        "webinar_attended": 20,
        "form_fill": 15,
        "call": 15,
        "content_download": 10,
        "email_click": 5,
        "ad_click": 3,
        "visit": 2,
        "list_import": 0,
    },
)  # fmt: skip
