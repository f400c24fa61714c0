"""The workflow draft → in_review → published → archived, visibility to groups, and the PDF attachment.

- draft ⇄ in_review, archived → draft: whoever may edit the module (its author, reviewers, admins).
- in_review → published, published → archived: the permission `content.review_publish`.
- Publishing needs passing checks; an admin may publish anyway with a written reason, which is audited.
- Publishing leaves the rejected lessons and questions out for good (see modules/items.py); the checks run
  on what is left.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tutela.authoring.covers import service as covers
from tutela.authoring.modules import items
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.exceptions import ChecksFailed, SourceUnavailable, WrongState
from tutela.authoring.modules.models import Module, ModuleGroup, SourceDocument
from tutela.authoring.publishing import reviewers
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.exceptions import AdminOnly
from tutela.core.permissions.roles import Permission
from tutela.errors import InvalidInput, NotFound, PermissionDenied
from tutela.runtime import Runtime
from tutela.storage.db import utcnow

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "in_review"): "edit",
    ("in_review", "draft"): "edit",
    ("archived", "draft"): "edit",
    ("in_review", "published"): "publish",
    ("published", "archived"): "publish",
}


def change_state(
    runtime: Runtime,
    db: Session,
    *,
    module: Module,
    who: modules.Viewer,
    actor: str,
    state: str,
    group_ids: list[str] | None,
    override_reason: str | None,
    reviewer_ids: list[str] | None = None,
    comment: str | None = None,
) -> Module:
    """Move a module along the workflow; publishing sets the groups it is visible to. Submitting may assign
    reviewers; the people concerned are notified (see reviewers.py)."""
    before = module.state
    need = TRANSITIONS.get((module.state, state))
    if need is None:
        raise WrongState(f"a {module.state} module cannot become {state}")
    if need == "edit":
        modules.require_editor(who, module)
    else:
        permissions.require(
            db, org_id=module.org_id, user_id=who.user_id, permission=Permission.REVIEW_PUBLISH
        )
    details: dict[str, object] = {"from": module.state, "to": state}
    if state == "published":
        if not group_ids:
            raise InvalidInput("name the groups to publish to", param="group_ids")
        left_out = _leave_out_rejected(runtime, db, module=module)
        if left_out:
            details["left_out"] = left_out
        _check_or_override(db, module=module, who=who, reason=override_reason)
        set_groups(db, module=module, group_ids=group_ids)
        module.published_at = utcnow()
        details["groups"] = sorted(set(group_ids))
        if module.override_reason:
            organizations.record(
                runtime,
                db,
                org_id=module.org_id,
                actor=actor,
                action="module.publish_override",
                target=f"module:{module.id}",
                details={"reason": module.override_reason},
            )
    if state == "in_review" and reviewer_ids is not None:
        reviewers.assign(runtime, db, module=module, who=who, actor=actor, user_ids=reviewer_ids)
    module.state = state
    db.flush()
    if comment and comment.strip():
        details["comment"] = comment.strip()
    organizations.record(
        runtime,
        db,
        org_id=module.org_id,
        actor=actor,
        action="module.state_changed",
        target=f"module:{module.id}",
        details=details,
    )
    reviewers.on_state_changed(runtime, db, module=module, who=who, before=before, comment=comment)
    return module


def _leave_out_rejected(runtime: Runtime, db: Session, *, module: Module) -> int:
    """Drop the rejected items from the content (lesson covers follow their lessons); how many went."""
    taken = items.decisions(db, module=module)
    if "rejected" not in taken.values():
        return 0
    kept = items.without_rejected(modules.read_content(runtime, db, module=module), taken)
    before = items.taken_by(db, module=module)
    covers.renumber_lessons(runtime, db, module=module, moved=kept.lessons)
    modules.save_content(runtime, db, module=module, content=kept.content)
    items.rename(db, module=module, before=before, renamed=kept.renamed)
    return kept.left_out


def _check_or_override(db: Session, *, module: Module, who: modules.Viewer, reason: str | None) -> None:
    try:
        passed = modules.report_row(db, module=module).passed
    except NotFound:
        passed = False
    module.override_reason = module.overridden_by = None
    if passed:
        return
    if not (reason and reason.strip()):
        raise ChecksFailed(
            "the module's checks found errors: fix them, "
            "or an admin may publish it anyway with a written reason"
        )
    if not who.admin:
        raise AdminOnly("only an organization admin may publish a module whose checks failed")
    module.override_reason = reason.strip()
    module.overridden_by = who.user_id


def set_groups(db: Session, *, module: Module, group_ids: list[str]) -> None:
    """Make the module visible to exactly these groups of the organization."""
    wanted = {groups.get(db, org_id=module.org_id, group_id=g).id for g in group_ids}
    db.execute(
        delete(ModuleGroup).where(ModuleGroup.org_id == module.org_id, ModuleGroup.module_id == module.id)
    )
    for group_id in sorted(wanted):
        db.add(ModuleGroup(org_id=module.org_id, module_id=module.id, group_id=group_id))
    db.flush()


def attachment_for(
    runtime: Runtime, db: Session, *, module: Module, who: modules.Viewer
) -> tuple[SourceDocument, bytes]:
    """The source PDF offered in the module's summary: staff always, learners where it is attached."""
    if not (modules.is_staff_for(who, module) or module.attach_source):
        raise NotFound(f"module {module.id!r} has no attachment")
    if module.document_id is None:
        raise SourceUnavailable("the source PDF has been deleted")
    doc = modules.get_document(db, org_id=module.org_id, document_id=module.document_id)
    return doc, modules.read_pdf(runtime, db, doc=doc)


def delete_attachment(runtime: Runtime, db: Session, *, module: Module, who: modules.Viewer) -> None:
    """The author or an admin deletes the source PDF: file deleted, key destroyed, attachment off."""
    if module.created_by != who.user_id and not who.admin:
        raise PermissionDenied("only the module's author or an admin may delete its source PDF")
    if module.document_id is None:
        raise SourceUnavailable("the source PDF has already been deleted")
    doc = modules.get_document(db, org_id=module.org_id, document_id=module.document_id)
    if doc.pdf_object_id is None:
        raise SourceUnavailable("the source PDF has already been deleted")
    modules.delete_pdf(runtime, db, doc=doc)
    module.attach_source = False
    db.flush()
