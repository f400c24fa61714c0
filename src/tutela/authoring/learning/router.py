"""A learner's progress under `/api/modules/{module_id}/progress`."""

from __future__ import annotations

from fastapi import APIRouter

from tutela.authoring.learning import service as learning
from tutela.authoring.learning.schemas import CompletionRead, LessonSeen, ProgressRead
from tutela.authoring.modules import service as modules
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.errors import PermissionDenied

router = APIRouter(prefix="/api/modules", tags=["learning"])


@router.get("/{module_id}/progress", response_model=ProgressRead)
def read_progress(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> ProgressRead:
    """The caller's progress: lessons seen, where to resume, the quiz passed, completion."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    content = modules.read_content(runtime, db, module=module)
    progress = learning.progress_of(db, module=module, user_id=principal.user_id)
    return learning.read(module, content, progress, user_id=principal.user_id)


@router.post("/{module_id}/progress", response_model=ProgressRead)
def record_lesson(
    module_id: str, body: LessonSeen, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> ProgressRead:
    """Record that the caller opened a lesson of a published module (where they will resume)."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    content = modules.read_content(runtime, db, module=module)
    progress = learning.record_lesson(
        db, module=module, content=content, user_id=principal.user_id, lesson=body.lesson
    )
    return learning.read(module, content, progress, user_id=principal.user_id)


@router.get("/{module_id}/completion", response_model=CompletionRead)
def read_completion(module_id: str, principal: CurrentUser, db: RegionDB) -> CompletionRead:
    """How many members of each group the module is published to have started and completed it (its author,
    reviewers and admins)."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    if not modules.is_staff_for(who, module):
        raise PermissionDenied("only the module's author, a reviewer or an admin sees how far learners got")
    return learning.completion(db, module=module)
