"""Progress through a published module, per learner: which lessons were opened, where to resume, whether the
quiz was passed at the author's pass mark, and completion (every lesson seen and the quiz passed).

Only lesson numbers and dates are kept; a module whose content changes keeps the numbers that still exist.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.learning.models import Progress
from tutela.authoring.learning.schemas import CompletionRead, GroupCompletion, ProgressRead
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.exceptions import WrongState
from tutela.authoring.modules.models import Attempt, Module
from tutela.core.groups import service as groups
from tutela.errors import InvalidInput
from tutela.storage.db import new_id, utcnow
from tutela.storage.tenancy import scoped


def lesson_count(content: ModuleContent) -> int:
    """How many lessons the module has, across its chapters."""
    return sum(len(chapter.lessons) for chapter in content.chapters)


def progress_of(db: Session, *, module: Module, user_id: str) -> Progress | None:
    """The learner's progress row, if they have opened the module."""
    stmt = scoped(Progress, module.org_id).where(Progress.module_id == module.id, Progress.user_id == user_id)
    return db.scalars(stmt).first()


def _row(db: Session, *, module: Module, user_id: str) -> Progress:
    """The learner's row, created if missing and locked for this unit of work (on PostgreSQL).

    Two first opens at the same moment (two tabs, a double click) both find no row: the insert skips a row
    the other one made, so both go on with the same row instead of one failing on the unique constraint.
    """
    progress = _locked(db, module=module, user_id=user_id)
    if progress is not None:
        return progress
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    db.execute(
        insert(Progress)
        .values(
            id=new_id(),
            org_id=module.org_id,
            module_id=module.id,
            user_id=user_id,
            seen=[],
            current=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Progress.module_id, Progress.user_id])
    )
    progress = _locked(db, module=module, user_id=user_id)
    assert progress is not None  # inserted just now, or by the other request that got there first
    return progress


def _locked(db: Session, *, module: Module, user_id: str) -> Progress | None:
    stmt = (
        scoped(Progress, module.org_id)
        .where(Progress.module_id == module.id, Progress.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.scalars(stmt).first()


def _complete_if_done(progress: Progress, *, content: ModuleContent) -> None:
    total = lesson_count(content)
    seen_all = len({n for n in progress.seen if n < total}) == total
    quiz_done = progress.quiz_passed_at is not None or not content.questions
    if seen_all and quiz_done and progress.completed_at is None:
        progress.completed_at = utcnow()


def record_lesson(
    db: Session, *, module: Module, content: ModuleContent, user_id: str, lesson: int
) -> Progress:
    """Note that the learner opened `lesson` (their place to resume) and complete the module if that was
    the last step."""
    if module.state != "published":
        raise WrongState("progress is kept only for a published module")
    total = lesson_count(content)
    if not 0 <= lesson < total:
        raise InvalidInput(
            f"there is no lesson {lesson}: this module's lessons are numbered 0 to {total - 1}",
            param="lesson",
        )
    progress = _row(db, module=module, user_id=user_id)
    if lesson not in progress.seen:
        progress.seen = sorted([*progress.seen, lesson])
    progress.current = lesson
    progress.updated_at = utcnow()
    _complete_if_done(progress, content=content)
    db.flush()
    return progress


def record_attempt(db: Session, *, module: Module, content: ModuleContent, attempt: Attempt) -> Progress:
    """Note a quiz attempt: a passing one counts towards completion."""
    progress = _row(db, module=module, user_id=attempt.user_id)
    if attempt.passed and progress.quiz_passed_at is None:
        progress.quiz_passed_at = utcnow()
    progress.updated_at = utcnow()
    _complete_if_done(progress, content=content)
    db.flush()
    return progress


def read(module: Module, content: ModuleContent, progress: Progress | None, *, user_id: str) -> ProgressRead:
    """The learner's progress as shown to them; a learner who has not started gets all zeros."""
    total = lesson_count(content)
    seen = sorted({n for n in (progress.seen if progress else []) if n < total})
    passed = progress is not None and progress.quiz_passed_at is not None
    steps = total + (1 if content.questions else 0)
    done = len(seen) + (1 if content.questions and passed else 0)
    return ProgressRead(
        module_id=module.id,
        user_id=user_id,
        lessons_total=total,
        lessons_seen=seen,
        current_lesson=min(progress.current, total - 1) if progress else 0,
        questions=len(content.questions),
        pass_mark=module.pass_mark,
        quiz_passed=passed,
        percent=round(done * 100 / steps) if steps else 0,
        completed=progress is not None and progress.completed_at is not None,
        completed_at=progress.completed_at if progress else None,
        quiz_passed_at=progress.quiz_passed_at if progress else None,
    )


def completion(db: Session, *, module: Module) -> CompletionRead:
    """How far the members of each group the module is published to have got: counts only, no names."""
    rows = {
        p.user_id: p
        for p in db.scalars(scoped(Progress, module.org_id).where(Progress.module_id == module.id))
    }
    per_group, everyone = [], set()
    for group_id in modules.module_groups(db, org_id=module.org_id, module_id=module.id):
        group = groups.get(db, org_id=module.org_id, group_id=group_id)
        people = {m.user_id for m in groups.members(db, org_id=module.org_id, group_id=group_id)}
        everyone |= people
        per_group.append(_counts(group_id, group.name, people, rows))
    total = _counts("", "", everyone, rows)
    return CompletionRead(
        module_id=module.id,
        groups=sorted(per_group, key=lambda g: g.name.casefold()),
        learners=total.learners,
        started=total.started,
        completed=total.completed,
    )


def _counts(group_id: str, name: str, people: set[str], rows: dict[str, Progress]) -> GroupCompletion:
    return GroupCompletion(
        group_id=group_id,
        name=name,
        learners=len(people),
        started=sum(1 for u in people if u in rows),
        completed=sum(1 for u in people if u in rows and rows[u].completed_at is not None),
    )
