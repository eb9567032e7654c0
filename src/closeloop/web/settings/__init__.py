"""The settings pages: marketing's reference data and spend, the rules, users and teams."""

from __future__ import annotations

from fastapi import APIRouter

from closeloop.web.settings import landing, marketing_pages, rules_pages, spend_pages, users_pages

router = APIRouter(include_in_schema=False)
for part in (landing, marketing_pages, spend_pages, rules_pages, users_pages):
    router.include_router(part.router)
