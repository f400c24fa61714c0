"""A module's parts one at a time over REST: regenerate one chapter, lesson or question; accept or reject
one lesson or question (`/api/modules/{id}/...`). The rule for decisions is in items.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.generation.schemas import ModuleLesson
from tutela.authoring.library import service as library_sources
from tutela.authoring.modules import items, regenerate, service
from tutela.authoring.modules.router import (
    audit,
    check_index,
    editable_module,
    save_and_read,
    viewer_of,
)
from tutela.authoring.modules.schemas import (
    DecisionChange,
    ItemRead,
    ItemsRead,
    ModuleRead,
    RegenerateRequest,
)
from tutela.authoring.prompts import service as prompts
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.auth.principal import UserPrincipal
from tutela.core.permissions.roles import Permission
from tutela.gateway.pipeline import Gateway
from tutela.runtime import Runtime

router = APIRouter(prefix="/api/modules", tags=["authoring"])


def _regenerated(
    runtime: Runtime,
    db: Session,
    principal: UserPrincipal,
    module_id: str,
    extra: str,
    *,
    what: str,
    permission: Permission,
    check: Callable[[ModuleContent], None],
    write: Callable[[Gateway, Any, ModuleContent, Any, str, str], Awaitable[ModuleContent]],
) -> ModuleRead:
    """Write one part again with the module's deployment and template, and save it (the other parts and
    their decisions stay)."""
    service.check_generation_allowed(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=permission
    )
    who, module = editable_module(db, principal, module_id)
    content = service.read_content(runtime, db, module=module)
    check(content)
    _, extraction = service.source_of(runtime, db, module=module)
    # A module of several documents is written again from them laid end to end.
    combined = library_sources.combined_source(runtime, db, module=module)
    version = None
    if module.template_id is not None and module.template_version is not None:
        version = prompts.version(
            db, org_id=principal.org_id, template_id=module.template_id, number=module.template_version
        )
    instructions = prompts.instructions_of(version, extra)
    caller = library_sources.caller_for(runtime, org_id=principal.org_id, user_id=principal.user_id)
    document = combined.document if combined else extraction
    uncited = combined.uncite(content) if combined else content
    written = regenerate.run_with_gateway(
        runtime,
        lambda gateway: write(gateway, caller, uncited, document, module.deployment, instructions),
    )
    content = combined.cite(written) if combined else written
    return save_and_read(runtime, db, principal, who, module, content, f"{what} regenerated")


@router.post("/{module_id}/chapters/{chapter_index}/regenerate", response_model=ModuleRead)
def regenerate_chapter(
    module_id: str,
    chapter_index: int,
    body: RegenerateRequest,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> ModuleRead:
    """Write one chapter again from its source sections, with the module's deployment and template."""

    async def write(
        gateway: Gateway,
        caller: Any,
        content: ModuleContent,
        document: Any,
        deployment: str,
        instructions: str,
    ) -> ModuleContent:
        content.chapters[chapter_index] = await regenerate.regenerate_chapter(
            gateway, caller, module=content, index=chapter_index, document=document,
            deployment=deployment, instructions=instructions,
        )  # fmt: skip
        return content

    return _regenerated(
        runtime, db, principal, module_id, body.instructions,
        what=f"chapters[{chapter_index}]", permission=Permission.GENERATE_MODULES,
        check=lambda content: check_index(content.chapters, chapter_index, "chapter"), write=write,
    )  # fmt: skip


@router.post(
    "/{module_id}/chapters/{chapter_index}/lessons/{lesson_index}/regenerate", response_model=ModuleRead
)
def regenerate_lesson(
    module_id: str,
    chapter_index: int,
    lesson_index: int,
    body: RegenerateRequest,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> ModuleRead:
    """Write one lesson again from the source section it came from; the chapter's other lessons stay."""

    def check(content: ModuleContent) -> None:
        check_index(content.chapters, chapter_index, "chapter")
        check_index(content.chapters[chapter_index].lessons, lesson_index, "lesson")

    async def write(
        gateway: Gateway,
        caller: Any,
        content: ModuleContent,
        document: Any,
        deployment: str,
        instructions: str,
    ) -> ModuleContent:
        lesson: ModuleLesson = await regenerate.regenerate_lesson(
            gateway, caller, module=content, index=chapter_index, lesson=lesson_index, document=document,
            deployment=deployment, instructions=instructions,
        )  # fmt: skip
        content.chapters[chapter_index].lessons[lesson_index] = lesson
        return content

    return _regenerated(
        runtime, db, principal, module_id, body.instructions,
        what=f"chapters[{chapter_index}].lessons[{lesson_index}]", permission=Permission.GENERATE_MODULES,
        check=check, write=write,
    )  # fmt: skip


@router.post("/{module_id}/questions/{question_index}/regenerate", response_model=ModuleRead)
def regenerate_question(
    module_id: str,
    question_index: int,
    body: RegenerateRequest,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> ModuleRead:
    """Replace one question by a new one written from the passage it cites."""

    async def write(
        gateway: Gateway,
        caller: Any,
        content: ModuleContent,
        document: Any,
        deployment: str,
        instructions: str,
    ) -> ModuleContent:
        content.questions[question_index] = await regenerate.regenerate_question(
            gateway, caller, module=content, index=question_index, document=document,
            deployment=deployment, instructions=instructions,
        )  # fmt: skip
        return content

    return _regenerated(
        runtime, db, principal, module_id, body.instructions,
        what=f"questions[{question_index}]", permission=Permission.GENERATE_QUESTIONS,
        check=lambda content: check_index(content.questions, question_index, "question"), write=write,
    )  # fmt: skip


# --- decisions --------------------------------------------------------------------------------------


def items_read(db: Session, *, module_id: str, found: list[items.Item]) -> ItemsRead:
    """The items with their decisions, and the undecided ones by name."""
    return ItemsRead(
        module_id=module_id,
        items=[
            ItemRead(
                item=i.key, kind=i.kind, chapter=i.chapter, index=i.index, place=i.place, decision=i.decision
            )
            for i in found
        ],
        undecided=[i.place for i in found if i.decision is None],
        rejected=sum(1 for i in found if i.decision == "rejected"),
    )


@router.get("/{module_id}/items", response_model=ItemsRead)
def read_items(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> ItemsRead:
    """Every lesson and question with its decision (accepted, rejected or null: undecided), and the
    undecided ones by name (author, reviewers, admins)."""
    who = viewer_of(db, principal)
    module = service.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    service.require_editor(who, module)
    content = service.read_content(runtime, db, module=module)
    return items_read(db, module_id=module.id, found=items.items(db, module=module, content=content))


def decide(
    runtime: Runtime, db: Session, principal: UserPrincipal, module_id: str, item: str, body: DecisionChange
) -> ItemsRead:
    """Record one decision on a module in draft or review, audited (the item's name, never its text)."""
    _, module = editable_module(db, principal, module_id)
    content = service.read_content(runtime, db, module=module)
    items.decide(
        db, module=module, content=content, item=item, decision=body.decision, user_id=principal.user_id
    )
    audit(
        runtime,
        db,
        principal,
        "module.item_decided",
        f"module:{module.id}",
        item=item,
        decision=body.decision,
    )
    return items_read(db, module_id=module.id, found=items.items(db, module=module, content=content))


@router.put("/{module_id}/chapters/{chapter_index}/lessons/{lesson_index}/decision", response_model=ItemsRead)
def decide_lesson(
    module_id: str,
    chapter_index: int,
    lesson_index: int,
    body: DecisionChange,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> ItemsRead:
    """Accept or reject one lesson, or make it undecided again (`null`); rejected lessons are left out
    when the module is published and of its exports."""
    key = items.lesson_key(chapter_index, lesson_index)
    return decide(runtime, db, principal, module_id, key, body)


@router.put("/{module_id}/questions/{question_index}/decision", response_model=ItemsRead)
def decide_question(
    module_id: str,
    question_index: int,
    body: DecisionChange,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> ItemsRead:
    """Accept or reject one question, or make it undecided again (`null`)."""
    return decide(runtime, db, principal, module_id, items.question_key(question_index), body)
