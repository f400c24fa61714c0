"""Every route of content safety in one router: blocklists and filters, policy rules, `/v1/moderations`."""

from __future__ import annotations

from fastapi import APIRouter

from tutela.gateway.safety.moderation import router as moderation_router
from tutela.gateway.safety.policies.router import router as policies_router
from tutela.gateway.safety.router import router as filtering_router

router = APIRouter()
for _part in (filtering_router, policies_router, moderation_router):
    router.include_router(_part)
