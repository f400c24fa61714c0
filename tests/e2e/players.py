"""What the player tests share: a module with several lessons and hostile questions, and a learner who
answers its quiz."""

from __future__ import annotations

from playwright.sync_api import FrameLocator, Page

from tests.authoring.exports.hostile import CITATION, hostile_module
from tutela.authoring.generation.schemas import Module


def player_module() -> Module:
    """The hostile questions after three lessons in two chapters."""
    lessons = [
        {
            "title": f"Lesson {n}",
            "content": f"Text of lesson {n}.\n\nSecond paragraph.",
            "citations": [CITATION],
        }
        for n in (1, 2, 3)
    ]
    chapters = [
        {"title": "First chapter", "lessons": lessons[:2]},
        {"title": "Second chapter", "lessons": lessons[2:]},
    ]
    return Module.model_validate({**hostile_module().model_dump(), "chapters": chapters})


def answer_quiz(frame: FrameLocator | Page, module: Module, right: int) -> None:
    """Answer the first `right` questions with the key and the rest wrongly."""
    for i, q in enumerate(module.questions):
        inputs = frame.locator(f'input[name="q{i}"]')
        if q.type in ("fill_in_blank", "short_answer"):
            inputs.fill(q.answer[0] if i < right else "not this")
            continue
        chosen = q.answer if i < right else [o for o in q.options if o not in q.answer][:1]
        for option in chosen:
            inputs.nth(q.options.index(option)).check()
