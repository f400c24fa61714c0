"""Workflow, attachment and quiz endpoints under `/api/modules/{module_id}`."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from tutela.authoring.learning import service as learning
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.router import module_read, pdf_response
from tutela.authoring.modules.schemas import (
    AttemptCreate,
    AttemptRead,
    AttemptResult,
    ModuleRead,
    StateChange,
)
from tutela.authoring.publishing import reviewers
from tutela.authoring.publishing import service as publishing
from tutela.authoring.publishing.schemas import Person, Reviewers, ReviewersSet
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.users.models import User
from tutela.errors import PermissionDenied

router = APIRouter(prefix="/api/modules", tags=["authoring"])


@router.post("/{module_id}/state", response_model=ModuleRead)
def change_state(
    module_id: str, body: StateChange, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> ModuleRead:
    """Submit for review, publish to groups (checks must pass, or an admin overrides with a reason), archive,
    or move back to draft."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    publishing.change_state(
        runtime,
        db,
        module=module,
        who=who,
        actor=principal.actor,
        state=body.state,
        group_ids=body.group_ids,
        override_reason=body.override_reason,
        reviewer_ids=body.reviewer_ids,
        comment=body.comment,
    )
    return module_read(runtime, db, module=module, who=who)


def _people(users: list[User]) -> list[Person]:
    return [Person(id=u.id, name=reviewers.name_of(u)) for u in users]


@router.get("/{module_id}/reviewers", response_model=Reviewers)
def read_reviewers(module_id: str, principal: CurrentUser, db: RegionDB) -> Reviewers:
    """The module's assigned reviewers and the people who may be assigned (who may publish)."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    if not modules.is_staff_for(who, module):
        raise PermissionDenied("only the module's author, a reviewer or an admin sees its reviewers")
    return Reviewers(
        assigned=_people(reviewers.assigned(db, module=module)),
        candidates=_people(reviewers.candidates(db, org_id=principal.org_id)),
    )


@router.put("/{module_id}/reviewers", response_model=Reviewers)
def set_reviewers(
    module_id: str, body: ReviewersSet, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> Reviewers:
    """Ask these people to review the module (replacing the list); those newly asked are notified when the
    module is in review."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    chosen = reviewers.assign(
        runtime, db, module=module, who=who, actor=principal.actor, user_ids=body.user_ids
    )
    return Reviewers(
        assigned=_people(chosen), candidates=_people(reviewers.candidates(db, org_id=principal.org_id))
    )


@router.get("/{module_id}/attachment", response_class=Response)
def download_attachment(
    module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> Response:
    """The source PDF from the module's summary, where the author attached it (L5, L6)."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    doc, data = publishing.attachment_for(runtime, db, module=module, who=who)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="document.downloaded",
        target=f"document:{doc.id}",
        details={"module": module.id, "bytes": len(data)},
    )
    return pdf_response(doc, data)


@router.delete("/{module_id}/attachment", status_code=status.HTTP_204_NO_CONTENT)
def delete_attachment(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Delete the source PDF for good (its key is destroyed); the author or an admin, at any time."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    publishing.delete_attachment(runtime, db, module=module, who=who)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="module.source_pdf_deleted",
        target=f"module:{module_id}",
    )


@router.post("/{module_id}/attempts", response_model=AttemptResult, status_code=status.HTTP_201_CREATED)
def take_quiz(
    module_id: str, body: AttemptCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> AttemptResult:
    """Answer the quiz of a published module: the answers, the score and whether it passed are recorded
    (towards the caller's completion), the key is returned."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    content = modules.read_content(runtime, db, module=module)
    attempt, verdicts = modules.take_quiz(
        db, module=module, content=content, user_id=principal.user_id, answers=body.answers
    )
    learning.record_attempt(db, module=module, content=content, attempt=attempt)
    key = [
        {"answer": q.answer, "explanation": q.explanation, "citation": q.citation.model_dump()}
        for q in content.questions
    ]
    return AttemptResult.model_validate(
        AttemptRead.model_validate(attempt).model_dump() | {"results": verdicts, "key": key}
    )


@router.get("/{module_id}/attempts", response_model=list[AttemptRead])
def list_attempts(module_id: str, principal: CurrentUser, db: RegionDB) -> list[AttemptRead]:
    """The caller's attempts; the author, reviewers and admins see every learner's."""
    who = modules.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    module = modules.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    return [AttemptRead.model_validate(a) for a in modules.attempts_of(db, module=module, who=who)]
