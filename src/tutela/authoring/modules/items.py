"""A reviewer's decisions on a module's items: each lesson and each question is accepted, rejected or still
undecided (no row).

The rule, the same for the API and the pages:
- a decision is forgotten as soon as its item's content changes (an edit or a regeneration makes it a new
  item, to be decided again);
- publishing leaves the rejected items out for good (a chapter whose lessons are all rejected goes with
  them); a module whose lessons are all rejected cannot be published;
- undecided items are published as they are: the review page and `GET /api/modules/{id}/items` list them
  by name so a reviewer sees what is left before publishing;
- exports leave the rejected items out too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.generation.schemas import ModuleChapter, ModuleLesson, Question
from tutela.authoring.modules.exceptions import NothingLeft
from tutela.authoring.modules.models import ItemDecision, Module
from tutela.errors import NotFound
from tutela.storage.tenancy import scoped

Decision = Literal["accepted", "rejected"]


@dataclass(frozen=True)
class Item:
    """One lesson or question of a module, where it is and its decision (None: undecided)."""

    key: str  # "lesson:0:1" (chapter 0, lesson 1) or "question:3"
    kind: Literal["lesson", "question"]
    chapter: int | None
    index: int
    title: str
    decision: Decision | None

    @property
    def place(self) -> str:
        """The item in words: 'Chapter 1, lesson 2', 'Question 4'."""
        if self.kind == "lesson":
            return f"Chapter {(self.chapter or 0) + 1}, lesson {self.index + 1}"
        return f"Question {self.index + 1}"

    @property
    def anchor(self) -> str:
        """The id of the item on the review page."""
        if self.kind == "lesson":
            return f"lesson-{self.chapter}-{self.index}"
        return f"question-{self.index}"


def lesson_key(chapter: int, lesson: int) -> str:
    """The item name of lesson `lesson` of chapter `chapter` (both from 0)."""
    return f"lesson:{chapter}:{lesson}"


def question_key(index: int) -> str:
    """The item name of question `index` (from 0)."""
    return f"question:{index}"


def _contents(content: ModuleContent) -> dict[str, str]:
    """Every item's name and its content, as compared to tell whether it changed."""
    found = {
        lesson_key(c, i): lesson.model_dump_json()
        for c, chapter in enumerate(content.chapters)
        for i, lesson in enumerate(chapter.lessons)
    }
    found.update({question_key(i): q.model_dump_json() for i, q in enumerate(content.questions)})
    return found


def decisions(db: Session, *, module: Module) -> dict[str, Decision]:
    """The decisions taken on the module's items, by item name."""
    rows = db.scalars(scoped(ItemDecision, module.org_id).where(ItemDecision.module_id == module.id))
    return {row.item: row.decision for row in rows}  # type: ignore[misc]


def items(db: Session, *, module: Module, content: ModuleContent) -> list[Item]:
    """Every lesson then every question of the content, with its decision."""
    taken = decisions(db, module=module)
    found = [
        Item(lesson_key(c, i), "lesson", c, i, lesson.title, taken.get(lesson_key(c, i)))
        for c, chapter in enumerate(content.chapters)
        for i, lesson in enumerate(chapter.lessons)
    ]
    found += [
        Item(question_key(i), "question", None, i, q.stem, taken.get(question_key(i)))
        for i, q in enumerate(content.questions)
    ]
    return found


def decide(
    db: Session, *, module: Module, content: ModuleContent, item: str, decision: Decision | None, user_id: str
) -> None:
    """Accept or reject one item, or make it undecided again (None). NotFound for an item the content
    does not have."""
    if item not in _contents(content):
        raise NotFound(f"the module has no {item.split(':')[0]} there")
    db.execute(
        delete(ItemDecision).where(
            ItemDecision.org_id == module.org_id,
            ItemDecision.module_id == module.id,
            ItemDecision.item == item,
        )
    )
    if decision is not None:
        db.add(
            ItemDecision(
                org_id=module.org_id, module_id=module.id, item=item, decision=decision, decided_by=user_id
            )
        )
    db.flush()


def forget_changed(db: Session, *, module: Module, old: ModuleContent | None, new: ModuleContent) -> None:
    """Forget the decisions on items whose content changed (or that no longer exist) between two versions."""
    before = _contents(old) if old is not None else {}
    after = _contents(new)
    changed = [key for key, value in before.items() if after.get(key) != value]
    changed += [key for key in after if key not in before]
    if changed:
        db.execute(
            delete(ItemDecision).where(
                ItemDecision.org_id == module.org_id,
                ItemDecision.module_id == module.id,
                ItemDecision.item.in_(changed),
            )
        )
        db.flush()


def forget_all(db: Session, *, module: Module) -> None:
    """Forget every decision on the module (its items were renumbered)."""
    db.execute(
        delete(ItemDecision).where(ItemDecision.org_id == module.org_id, ItemDecision.module_id == module.id)
    )
    db.flush()


@dataclass(frozen=True)
class Kept:
    """The content without its rejected items, and where each lesson went (numbered from 1 across
    chapters, as lesson covers are; None for a lesson left out)."""

    content: ModuleContent
    lessons: dict[int, int | None]
    renamed: dict[str, str]  # the kept items' old names to their new ones
    left_out: int


def without_rejected(content: ModuleContent, taken: dict[str, Decision]) -> Kept:
    """The content with the rejected lessons and questions left out; NothingLeft when every lesson is."""
    chapters: list[ModuleChapter] = []
    moved: dict[int, int | None] = {}
    renamed: dict[str, str] = {}
    number = kept_number = 0
    left_out = 0
    for c, chapter in enumerate(content.chapters):
        lessons: list[ModuleLesson] = []
        for i, lesson in enumerate(chapter.lessons):
            number += 1
            if taken.get(lesson_key(c, i)) == "rejected":
                moved[number] = None
                left_out += 1
                continue
            kept_number += 1
            moved[number] = kept_number
            renamed[lesson_key(c, i)] = lesson_key(len(chapters), len(lessons))
            lessons.append(lesson)
        if lessons:
            chapters.append(chapter.model_copy(update={"lessons": lessons}))
    if not chapters:
        raise NothingLeft("every lesson of the module was rejected: accept at least one lesson first")
    questions: list[Question] = []
    for i, question in enumerate(content.questions):
        if taken.get(question_key(i)) == "rejected":
            left_out += 1
            continue
        renamed[question_key(i)] = question_key(len(questions))
        questions.append(question)
    kept = content.model_copy(update={"chapters": chapters, "questions": questions})
    return Kept(
        content=ModuleContent.model_validate(kept.model_dump()),
        lessons=moved,
        renamed=renamed,
        left_out=left_out,
    )


def taken_by(db: Session, *, module: Module) -> list[tuple[str, str, str]]:
    """The decisions as (item, decision, who decided), to carry them over a renumbering."""
    rows = db.scalars(scoped(ItemDecision, module.org_id).where(ItemDecision.module_id == module.id))
    return [(r.item, r.decision, r.decided_by) for r in rows]


def for_export(db: Session, *, module: Module, content: ModuleContent) -> ModuleContent:
    """The content an export carries: without the rejected items."""
    taken = decisions(db, module=module)
    return without_rejected(content, taken).content if "rejected" in taken.values() else content


def rename(
    db: Session, *, module: Module, before: list[tuple[str, str, str]], renamed: dict[str, str]
) -> None:
    """Record the decisions taken `before` the rejected items were left out under their items' new names."""
    kept = [(renamed[item], decision, user_id) for item, decision, user_id in before if item in renamed]
    forget_all(db, module=module)
    for item, decision, user_id in kept:
        db.add(
            ItemDecision(
                org_id=module.org_id, module_id=module.id, item=item, decision=decision, decided_by=user_id
            )
        )
    db.flush()
