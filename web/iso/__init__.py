"""The web side of the ISO records, one module per record family (as models/iso and cli/iso):
audits and findings, corrective actions, objectives and the management review, each with a JSON
API module (under /api/v1) and a pages module, plus what they share (api_common, pages_common)."""

from __future__ import annotations

from fastapi import APIRouter

from web.iso import (
    actions_api,
    actions_pages,
    audits_api,
    audits_pages,
    objectives_api,
    objectives_pages,
    reviews_api,
    reviews_pages,
)

api_router = APIRouter()
for _module in (audits_api, actions_api, objectives_api, reviews_api):
    api_router.include_router(_module.router)

pages_router = APIRouter(include_in_schema=False)
for _module in (audits_pages, actions_pages, objectives_pages, reviews_pages):
    pages_router.include_router(_module.router)
