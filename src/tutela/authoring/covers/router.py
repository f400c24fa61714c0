"""Cover image routes: `/api/modules/{id}/cover…` for the module and `/api/modules/{id}/lessons/{n}/cover…`
for lesson n, numbered from 1 across chapters (editors generate and review; viewers see the cover)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from sqlalchemy.orm import Session

from tutela.authoring.covers import service
from tutela.authoring.covers.models import ModuleCover
from tutela.authoring.covers.schemas import CoverDecision, CoverGenerate, CoverRead
from tutela.authoring.generation.schemas import Module as ModuleContent
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
LessonNumber = Annotated[int, Path(ge=1, le=10_000)]


def _module(
    runtime: Runtime, db: Session, principal: UserPrincipal, module_id: str, *, edit: bool, lesson: int
) -> Module:
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    if edit:
        modules.require_editor(who, module)
    if lesson != 0:
        service.check_lesson(modules.read_content(runtime, db, module=module), lesson)
    return module


def cover_state(runtime: Runtime, db: Session, module: Module, lesson: int = 0) -> CoverRead:
    """The cover state of the module (lesson 0) or one of its lessons, as the API shows it."""
    content = modules.read_content(runtime, db, module=module)
    deployments = service.image_deployments(db, org_id=module.org_id)
    return _state(module, content, service.cover_of(db, module=module, lesson=lesson), deployments, lesson)


def lesson_cover_states(
    runtime: Runtime, db: Session, principal: UserPrincipal, module_id: str
) -> list[CoverRead]:
    """The cover state of every lesson in order (for the review page; editors)."""
    module = _module(runtime, db, principal, module_id, edit=True, lesson=0)
    content = modules.read_content(runtime, db, module=module)
    deployments = service.image_deployments(db, org_id=module.org_id)
    rows = service.covers_of(db, module=module)
    return [
        _state(module, content, rows.get(n), deployments, n)
        for n in range(1, len(service.lessons_of(content)) + 1)
    ]


def _state(
    module: Module, content: ModuleContent, cover: ModuleCover | None, deployments: list[str], lesson: int
) -> CoverRead:
    return CoverRead(
        module_id=module.id,
        lesson=lesson or None,
        deployments=deployments,
        proposed_prompt=service.propose_prompt(content, lesson=lesson),
        has_cover=cover is not None and cover.cover_object_id is not None,
        has_proposal=cover is not None and cover.proposal_object_id is not None,
        proposal_deployment=cover.proposal_deployment or None if cover is not None else None,
    )


def _audit(
    runtime: Runtime, db: Session, principal: UserPrincipal, action: str, module: Module, lesson: int
) -> None:
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action=action,
        target=f"module:{module.id}" + (f":lesson:{lesson}" if lesson else ""),
    )


def _read_cover(
    runtime: Runtime, db: Session, principal: UserPrincipal, module_id: str, lesson: int
) -> CoverRead:
    return cover_state(
        runtime, db, _module(runtime, db, principal, module_id, edit=True, lesson=lesson), lesson
    )


def _propose(
    runtime: Runtime,
    db: Session,
    principal: UserPrincipal,
    module_id: str,
    body: CoverGenerate,
    lesson: int,
) -> CoverRead:
    modules.check_generation_allowed(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.GENERATE_MODULES
    )
    module = _module(runtime, db, principal, module_id, edit=True, lesson=lesson)
    modules.require_editable(module)
    service.check_request(db, module=module, deployment=body.deployment, prompt=body.prompt)
    caller = caller_for_org(runtime, principal.org_id)
    data, media_type = regenerate.run_with_gateway(
        runtime,
        lambda gateway: service.generate(gateway, caller, deployment=body.deployment, prompt=body.prompt),
    )
    service.save_proposal(
        runtime,
        db,
        module=module,
        data=data,
        media_type=media_type,
        deployment=body.deployment,
        lesson=lesson,
    )
    _audit(runtime, db, principal, "module.cover_generated", module, lesson)
    return cover_state(runtime, db, module, lesson)


def _decide(
    runtime: Runtime,
    db: Session,
    principal: UserPrincipal,
    module_id: str,
    body: CoverDecision,
    lesson: int,
) -> CoverRead:
    module = _module(runtime, db, principal, module_id, edit=True, lesson=lesson)
    modules.require_editable(module)
    service.decide(runtime, db, module=module, accept=body.accept, lesson=lesson)
    action = "module.cover_accepted" if body.accept else "module.cover_discarded"
    _audit(runtime, db, principal, action, module, lesson)
    return cover_state(runtime, db, module, lesson)


def _image(
    runtime: Runtime, db: Session, principal: UserPrincipal, module_id: str, *, proposal: bool, lesson: int
) -> Response:
    module = _module(runtime, db, principal, module_id, edit=proposal, lesson=lesson)
    data, media_type = service.read_image(runtime, db, module=module, proposal=proposal, lesson=lesson)
    return Response(data, media_type=media_type, headers={"cache-control": "private, no-store"})


@router.get("/{module_id}/cover", response_model=CoverRead)
def read_cover(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> CoverRead:
    """The module's cover state and the prompt Tutela proposes from its title and objectives (editors)."""
    return _read_cover(runtime, db, principal, module_id, 0)


@router.post("/{module_id}/cover/proposal", response_model=CoverRead)
def propose_cover(
    module_id: str, body: CoverGenerate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> CoverRead:
    """Generate a cover image with an image deployment; it waits for the author's review (editors)."""
    return _propose(runtime, db, principal, module_id, body, 0)


@router.post("/{module_id}/cover/decision", response_model=CoverRead)
def decide_cover(
    module_id: str, body: CoverDecision, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> CoverRead:
    """Accept the proposed image as the module's cover, or discard it (editors)."""
    return _decide(runtime, db, principal, module_id, body, 0)


@router.get("/{module_id}/cover/image", response_class=Response)
def cover_image(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> Response:
    """The accepted cover, for everyone who may see the module."""
    return _image(runtime, db, principal, module_id, proposal=False, lesson=0)


@router.get("/{module_id}/cover/proposal/image", response_class=Response)
def proposal_image(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> Response:
    """The proposed cover waiting for review (editors)."""
    return _image(runtime, db, principal, module_id, proposal=True, lesson=0)


@router.get("/{module_id}/lessons/{lesson}/cover", response_model=CoverRead)
def read_lesson_cover(
    module_id: str, lesson: LessonNumber, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> CoverRead:
    """A lesson's cover state and the prompt proposed from its title and first sentences (editors)."""
    return _read_cover(runtime, db, principal, module_id, lesson)


@router.post("/{module_id}/lessons/{lesson}/cover/proposal", response_model=CoverRead)
def propose_lesson_cover(
    module_id: str,
    lesson: LessonNumber,
    body: CoverGenerate,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> CoverRead:
    """Generate a cover image for a lesson; it waits for the author's review (editors)."""
    return _propose(runtime, db, principal, module_id, body, lesson)


@router.post("/{module_id}/lessons/{lesson}/cover/decision", response_model=CoverRead)
def decide_lesson_cover(
    module_id: str,
    lesson: LessonNumber,
    body: CoverDecision,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> CoverRead:
    """Accept the proposed image as the lesson's cover, or discard it (editors)."""
    return _decide(runtime, db, principal, module_id, body, lesson)


@router.get("/{module_id}/lessons/{lesson}/cover/image", response_class=Response)
def lesson_cover_image(
    module_id: str, lesson: LessonNumber, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> Response:
    """A lesson's accepted cover, for everyone who may see the module."""
    return _image(runtime, db, principal, module_id, proposal=False, lesson=lesson)


@router.get("/{module_id}/lessons/{lesson}/cover/proposal/image", response_class=Response)
def lesson_proposal_image(
    module_id: str, lesson: LessonNumber, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> Response:
    """A lesson's proposed cover waiting for review (editors)."""
    return _image(runtime, db, principal, module_id, proposal=True, lesson=lesson)
