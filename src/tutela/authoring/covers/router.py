"""Cover image routes: `/api/modules/{id}/cover…` (editors generate and review; viewers see the cover)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from tutela.authoring.covers import service
from tutela.authoring.covers.schemas import CoverDecision, CoverGenerate, CoverRead
from tutela.authoring.modules import regenerate
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.models import Module
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.auth.principal import UserPrincipal
from tutela.core.organizations import service as organizations
from tutela.core.permissions.roles import Permission
from tutela.gateway.access import caller_for_org
from tutela.runtime import Runtime

router = APIRouter(prefix="/api/modules", tags=["authoring"])


def _module(db: Session, principal: UserPrincipal, module_id: str, *, edit: bool) -> Module:
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    if edit:
        modules.require_editor(who, module)
    return module


def _read(runtime: Runtime, db: Session, module: Module) -> CoverRead:
    cover = service.cover_of(db, module=module)
    content = modules.read_content(runtime, db, module=module)
    return CoverRead(
        module_id=module.id,
        deployments=service.image_deployments(db, org_id=module.org_id),
        proposed_prompt=service.propose_prompt(content),
        has_cover=cover is not None and cover.cover_object_id is not None,
        has_proposal=cover is not None and cover.proposal_object_id is not None,
        proposal_deployment=cover.proposal_deployment or None if cover is not None else None,
    )


def _audit(runtime: Runtime, db: Session, principal: UserPrincipal, action: str, module: Module) -> None:
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action=action,
        target=f"module:{module.id}",
    )


@router.get("/{module_id}/cover", response_model=CoverRead)
def read_cover(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> CoverRead:
    """The module's cover state and the prompt Tutela proposes from its title and objectives (editors)."""
    return _read(runtime, db, _module(db, principal, module_id, edit=True))


@router.post("/{module_id}/cover/proposal", response_model=CoverRead)
def propose_cover(
    module_id: str, body: CoverGenerate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> CoverRead:
    """Generate a cover image with an image deployment; it waits for the author's review (editors)."""
    modules.check_generation_allowed(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.GENERATE_MODULES
    )
    module = _module(db, principal, module_id, edit=True)
    modules.require_editable(module)
    service.check_request(db, module=module, deployment=body.deployment, prompt=body.prompt)
    caller = caller_for_org(runtime, principal.org_id)
    data, media_type = regenerate.run_with_gateway(
        runtime,
        lambda gateway: service.generate(gateway, caller, deployment=body.deployment, prompt=body.prompt),
    )
    service.save_proposal(
        runtime, db, module=module, data=data, media_type=media_type, deployment=body.deployment
    )
    _audit(runtime, db, principal, "module.cover_generated", module)
    return _read(runtime, db, module)


@router.post("/{module_id}/cover/decision", response_model=CoverRead)
def decide_cover(
    module_id: str, body: CoverDecision, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> CoverRead:
    """Accept the proposed image as the module's cover, or discard it (editors)."""
    module = _module(db, principal, module_id, edit=True)
    modules.require_editable(module)
    service.decide(runtime, db, module=module, accept=body.accept)
    _audit(
        runtime, db, principal, "module.cover_accepted" if body.accept else "module.cover_discarded", module
    )
    return _read(runtime, db, module)


@router.get("/{module_id}/cover/image", response_class=Response)
def cover_image(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> Response:
    """The accepted cover, for everyone who may see the module."""
    module = _module(db, principal, module_id, edit=False)
    data, media_type = service.read_image(runtime, db, module=module, proposal=False)
    return Response(data, media_type=media_type, headers={"cache-control": "private, no-store"})


@router.get("/{module_id}/cover/proposal/image", response_class=Response)
def proposal_image(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> Response:
    """The proposed cover waiting for review (editors)."""
    module = _module(db, principal, module_id, edit=True)
    data, media_type = service.read_image(runtime, db, module=module, proposal=True)
    return Response(data, media_type=media_type, headers={"cache-control": "private, no-store"})
