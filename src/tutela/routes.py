"""Every router of the application, in one list."""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request, Response

from tutela.authoring.covers.router import router as covers_router
from tutela.authoring.learning.router import router as learning_router
from tutela.authoring.library.router import catalog_router as library_catalog_router
from tutela.authoring.library.router import router as library_router
from tutela.authoring.modules.parts_router import router as module_parts_router
from tutela.authoring.modules.router import documents_router
from tutela.authoring.modules.router import router as modules_router
from tutela.authoring.prompts.router import router as prompts_router
from tutela.authoring.publishing.router import router as publishing_router
from tutela.authoring.recordings.router import router as recordings_router
from tutela.core.audit.router import router as audit_router
from tutela.core.auth.router import router as auth_router
from tutela.core.directory.router import router as platform_router
from tutela.core.groups.router import router as groups_router
from tutela.core.notifications.router import router as notifications_router
from tutela.core.organizations.router import router as organization_router
from tutela.core.users.router import router as users_router
from tutela.errors import NotFound
from tutela.gateway.api.files import router as files_router
from tutela.gateway.api.fine_tuning import router as fine_tuning_router
from tutela.gateway.api.router import router as gateway_router
from tutela.gateway.grounding.router import router as data_sources_router
from tutela.gateway.limits.router import router as limits_router
from tutela.gateway.monitoring.router import platform_router as monitoring_platform_router
from tutela.gateway.monitoring.router import router as monitoring_router
from tutela.gateway.pii.router import router as pii_router
from tutela.gateway.resources.router import router as resources_router
from tutela.gateway.safety.routes import router as safety_router
from tutela.gateway.usage.router import router as usage_router
from tutela.web.router import router as web_router


def include_routers(app: FastAPI) -> None:
    """Attach every router."""
    for router in (
        gateway_router,  # first: the hot path, matched before every other route
        files_router,
        fine_tuning_router,
        auth_router,
        organization_router,
        users_router,
        groups_router,
        notifications_router,
        audit_router,
        resources_router,
        data_sources_router,
        pii_router,
        limits_router,
        usage_router,
        platform_router,
        monitoring_router,
        monitoring_platform_router,
        safety_router,
        web_router,
        documents_router,
        library_router,
        library_catalog_router,
        recordings_router,
        modules_router,
        module_parts_router,
        covers_router,
        publishing_router,
        learning_router,
        prompts_router,
    ):
        app.include_router(router)

    @app.get("/metrics", tags=["health"], response_class=Response)
    def metrics(request: Request) -> Response:
        """Prometheus metrics, for `Authorization: Bearer <server.metrics_token>` only (404 when unset)."""
        runtime = request.app.state.runtime
        token = runtime.settings.server.metrics_token
        presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token is None or not hmac.compare_digest(presented.encode(), token.get_secret_value().encode()):
            raise NotFound("no such endpoint")
        from tutela.metrics import CONTENT_TYPE

        return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}
