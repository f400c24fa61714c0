"""Reviewers of a module and the notifications of its workflow.

An author submitting a module may assign one or more reviewers among the people who may publish in the
organization; they are notified. When nobody is assigned, everyone who may publish is. The author is
notified when the module is published or sent back to draft (with the reviewer's comment).
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tutela.authoring.modules import service as modules
from tutela.authoring.modules.models import Module
from tutela.authoring.publishing.models import ModuleReviewer
from tutela.core.notifications import service as notifications
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.core.users.models import User
from tutela.errors import InvalidInput
from tutela.runtime import Runtime
from tutela.storage.tenancy import scoped


def name_of(user: User) -> str:
    """How a person is named to others: their name, or their e-mail address."""
    return user.display_name or user.email


def candidates(db: Session, *, org_id: str) -> list[User]:
    """Who may review and publish in the organization (the people an author may assign)."""
    return permissions.holders(db, org_id=org_id, permission=Permission.REVIEW_PUBLISH)


def assigned(db: Session, *, module: Module) -> list[User]:
    """The module's assigned reviewers, by name."""
    stmt = (
        scoped(User, module.org_id)
        .join(ModuleReviewer, ModuleReviewer.user_id == User.id)
        .where(ModuleReviewer.module_id == module.id, ModuleReviewer.org_id == module.org_id)
    )
    return sorted(db.scalars(stmt), key=lambda u: name_of(u).casefold())


def assign(
    runtime: Runtime,
    db: Session,
    *,
    module: Module,
    who: modules.Viewer,
    actor: str,
    user_ids: list[str],
) -> list[User]:
    """Set the module's reviewers; people newly assigned to a module in review are notified."""
    modules.require_editor(who, module)
    allowed = {u.id: u for u in candidates(db, org_id=module.org_id)}
    wanted = list(dict.fromkeys(user_ids))
    refused = [u for u in wanted if u not in allowed]
    if refused:
        raise InvalidInput(
            "only people who may review and publish in this organization can be assigned as reviewers",
            param="reviewer_ids",
        )
    before = {u.id for u in assigned(db, module=module)}
    db.execute(
        delete(ModuleReviewer).where(
            ModuleReviewer.org_id == module.org_id, ModuleReviewer.module_id == module.id
        )
    )
    db.add_all(
        ModuleReviewer(org_id=module.org_id, module_id=module.id, user_id=u, assigned_by=who.user_id)
        for u in wanted
    )
    db.flush()
    organizations.record(
        runtime,
        db,
        org_id=module.org_id,
        actor=actor,
        action="module.reviewers_assigned",
        target=f"module:{module.id}",
        details={"reviewers": sorted(wanted)},
    )
    added = [u for u in wanted if u not in before and u != who.user_id]
    if module.state == "in_review" and added:
        _ask_to_review(runtime, db, module=module, user_ids=added)
    return [allowed[u] for u in sorted(wanted, key=lambda u: name_of(allowed[u]).casefold())]


def _ask_to_review(runtime: Runtime, db: Session, *, module: Module, user_ids: list[str]) -> None:
    notifications.notify(
        runtime,
        db,
        org_id=module.org_id,
        user_ids=user_ids,
        kind="review_requested",
        text=f"“{module.title}” waits for your review.",
        link=f"/author/modules/{module.id}",
    )


def on_state_changed(
    runtime: Runtime, db: Session, *, module: Module, who: modules.Viewer, before: str, comment: str | None
) -> None:
    """Tell the people concerned that the module moved: reviewers when it is submitted, its author when it
    is published or sent back to draft by someone else."""
    if module.state == "in_review":
        reviewers = [u.id for u in assigned(db, module=module)] or [
            u.id for u in candidates(db, org_id=module.org_id)
        ]
        _ask_to_review(runtime, db, module=module, user_ids=[u for u in reviewers if u != who.user_id])
        return
    if module.created_by == who.user_id:
        return
    link = f"/author/modules/{module.id}"
    if module.state == "published":
        text = f"“{module.title}” was published."
        kind = "module_published"
    elif before == "in_review" and module.state == "draft":
        text = f"“{module.title}” was sent back to draft"
        text += f" with this comment: “{comment.strip()}”" if comment and comment.strip() else "."
        kind = "module_sent_back"
    else:
        return
    notifications.notify(
        runtime, db, org_id=module.org_id, user_ids=[module.created_by], kind=kind, text=text, link=link
    )
