"""The demo's reference data (channels, campaigns, users, pipeline), written through the ORM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from closeloop.demo.company import (
    CHANNELS,
    PIPELINE_STAGES,
    SALES_REPS,
    SDRS,
)
from closeloop.models import (
    Campaign,
    Channel,
    Content,
    Pipeline,
    Role,
    Stage,
    StageOutcome,
    Team,
    User,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Reference:
    """Ids and true parameters as arrays, indexed by channel / campaign / content / rep position."""

    channel_ids: IntArray
    campaign_ids: IntArray
    campaign_channel: IntArray  # channel index of each campaign
    campaign_codes: npt.NDArray[np.object_]
    content_ids: IntArray
    content_campaign: IntArray  # campaign index of each content
    content_codes: npt.NDArray[np.object_]
    campaigns_per_channel: IntArray
    first_campaign: IntArray  # of each channel
    contents_per_campaign: IntArray
    first_content: IntArray  # of each campaign
    sdr_ids: IntArray
    rep_ids: IntArray
    rep_skill: FloatArray
    pipeline_id: int
    open_stage_ids: IntArray
    open_stage_probability: IntArray
    won_stage_id: int
    lost_stage_id: int


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def email_for(name: str) -> str:
    return f"{slug(name).replace('-', '.')}@closeloop-demo.com"


def create_reference(
    session: Session, *, currency: str, start: date, end: date, now: datetime
) -> Reference:
    """Insert channels → campaigns → contents, teams and users, and the sales pipeline."""
    campaign_ids: list[int] = []
    content_ids: list[int] = []
    channel_ids, campaign_channel, campaign_codes = [], [], []
    content_campaign, content_codes = [], []
    campaigns_per_channel, first_campaign, contents_per_campaign, first_content = [], [], [], []
    stamp = {"created_at": now, "updated_at": now}
    for channel_index, profile in enumerate(CHANNELS):
        channel = Channel(
            code=profile.code,
            name=profile.name,
            kind=profile.kind,
            utm_source=profile.utm_source,
            utm_medium=profile.utm_medium,
            **stamp,
        )
        session.add(channel)
        session.flush()
        channel_ids.append(channel.id)
        first_campaign.append(len(campaign_ids))
        campaigns_per_channel.append(len(profile.campaigns))
        for campaign_name, contents in profile.campaigns:
            code = slug(campaign_name)
            campaign = Campaign(
                channel_id=channel.id,
                code=code,
                name=campaign_name,
                utm_campaign=code,
                starts_on=start,
                ends_on=end,
                currency=currency,
                **stamp,
            )
            session.add(campaign)
            session.flush()
            first_content.append(len(content_ids))
            contents_per_campaign.append(len(contents))
            campaign_index = len(campaign_ids)
            campaign_ids.append(campaign.id)
            campaign_channel.append(channel_index)
            campaign_codes.append(code)
            for content_name, kind in contents:
                content = Content(
                    campaign_id=campaign.id,
                    code=slug(content_name),
                    name=content_name,
                    kind=kind,
                    utm_content=slug(content_name),
                    **stamp,
                )
                session.add(content)
                session.flush()
                content_ids.append(content.id)
                content_campaign.append(campaign_index)
                content_codes.append(slug(content_name))

    teams = {
        name: Team(name=name, **stamp)
        for name in (
            "Marketing",
            "Inside sales",
            "Sales East",
            "Sales West",
            "Finance",
            "Management",
        )
    }
    session.add_all(teams.values())
    session.flush()

    def user(name: str, role: Role, team: str, **extra: object) -> User:
        person = User(
            email=email_for(name),
            full_name=name,
            role=role,
            team_id=teams[team].id,
            **extra,
            **stamp,
        )
        session.add(person)
        return person

    user("Admin", Role.ADMIN, "Management")
    user("Grace Lin", Role.EXECUTIVE, "Management")
    user("Marta Weber", Role.MARKETING, "Marketing")
    user("Li Hua", Role.FINANCE, "Finance")
    managers = {
        "Inside sales": user("He Ping", Role.SALES_MANAGER, "Inside sales"),
        "Sales East": user("Robert King", Role.SALES_MANAGER, "Sales East"),
        "Sales West": user("Gao Yan", Role.SALES_MANAGER, "Sales West"),
    }
    sdrs = [user(name, Role.SDR, "Inside sales", max_open_leads=400) for name in SDRS]
    reps = [user(name, Role.SALES_REP, team, max_open_leads=150) for name, team, _ in SALES_REPS]
    session.flush()
    for team_name, manager in managers.items():
        teams[team_name].manager_id = manager.id

    pipeline = Pipeline(name="New business", is_default=True, **stamp)
    session.add(pipeline)
    session.flush()
    open_stages = [
        Stage(
            pipeline_id=pipeline.id,
            name=name,
            position=position,
            probability=probability,
            outcome=StageOutcome.OPEN,
            entry_criteria=criteria,
            key_activities=[],
            expected_roles=["sales_rep"],
            **stamp,
        )
        for position, (name, probability, criteria) in enumerate(PIPELINE_STAGES)
    ]
    won = Stage(
        pipeline_id=pipeline.id,
        name="Won",
        position=len(open_stages),
        probability=100,
        outcome=StageOutcome.WON,
        entry_criteria=["contract signed"],
        **stamp,
    )
    lost = Stage(
        pipeline_id=pipeline.id,
        name="Lost",
        position=len(open_stages) + 1,
        probability=0,
        outcome=StageOutcome.LOST,
        entry_criteria=[],
        **stamp,
    )
    session.add_all([*open_stages, won, lost])
    session.flush()

    def ints(values: list[int]) -> IntArray:
        return np.array(values, dtype=np.int64)

    return Reference(
        channel_ids=ints(channel_ids),
        campaign_ids=ints(campaign_ids),
        campaign_channel=ints(campaign_channel),
        campaign_codes=np.array(campaign_codes, dtype=object),
        content_ids=ints(content_ids),
        content_campaign=ints(content_campaign),
        content_codes=np.array(content_codes, dtype=object),
        campaigns_per_channel=ints(campaigns_per_channel),
        first_campaign=ints(first_campaign),
        contents_per_campaign=ints(contents_per_campaign),
        first_content=ints(first_content),
        sdr_ids=ints([u.id for u in sdrs]),
        rep_ids=ints([u.id for u in reps]),
        rep_skill=np.array([skill for *_, skill in SALES_REPS]),
        pipeline_id=pipeline.id,
        open_stage_ids=ints([s.id for s in open_stages]),
        open_stage_probability=ints([s.probability for s in open_stages]),
        won_stage_id=won.id,
        lost_stage_id=lost.id,
    )
