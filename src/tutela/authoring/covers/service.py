"""Cover images of a module and of each of its lessons: a prompt proposed from the module (or lesson), an
image generated through the gateway, the author's review, and the accepted cover.

`lesson` 0 is the module's own cover; 1, 2, … are its lessons numbered across chapters (as the learner's
lesson pages number them).

Generating never replaces the cover: the new image waits as a proposal until its author accepts it (it then
becomes the cover, the old one destroyed) or discards it. Both are encrypted objects in the organization's
region; deleting one destroys its key. The image comes from the organization's own image deployment through
the gateway, in process, so the prompt is filtered and monitored like any other request.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from tutela.authoring.covers.models import ModuleCover
from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.generation.schemas import ModuleLesson
from tutela.authoring.modules.models import Module
from tutela.errors import InvalidInput, NotFound
from tutela.gateway.access import Caller
from tutela.gateway.deployments import service as deployments
from tutela.gateway.pipeline import Gateway
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources.service import find_resource
from tutela.gateway.wire.images import ImageRequest, decode_image, image_type
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.tenancy import scoped

PURPOSE = "module-cover"
MAX_PROMPT_CHARS = 4000  # DALL-E 3's limit, the strictest of the image models
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


_STYLE = "Clean, friendly flat illustration, calm colours, no text, letters or logos."
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def lessons_of(content: ModuleContent) -> list[ModuleLesson]:
    """Every lesson in order across chapters (lesson n is item n - 1)."""
    return [lesson for chapter in content.chapters for lesson in chapter.lessons]


def check_lesson(content: ModuleContent, lesson: int) -> None:
    """NotFound unless `lesson` is 0 (the module) or one of the module's lessons."""
    if not 0 <= lesson <= len(lessons_of(content)):
        raise NotFound(f"this module has no lesson {lesson}")


def propose_prompt(content: ModuleContent, *, lesson: int = 0) -> str:
    """The prompt Tutela suggests, in a style without text: for the module, its title and learning
    objectives; for a lesson, its title, the module's title and the lesson's first sentences."""
    if lesson == 0:
        objectives = "; ".join(o.strip().rstrip(".") for o in content.learning_objectives[:5] if o.strip())
        about = f" Learners will: {objectives}." if objectives else ""
        prompt = f'A cover illustration for a training module titled "{content.title}".{about} {_STYLE}'
    else:
        item = lessons_of(content)[lesson - 1]
        opening = " ".join(_SENTENCE_END.split(" ".join(item.content.split()))[:2])
        prompt = (
            f'A cover illustration for the lesson "{item.title}" of the training module "{content.title}". '
            f"The lesson begins: {opening} {_STYLE}"
        )
    return prompt[:MAX_PROMPT_CHARS]


def image_deployments(db: Session, *, org_id: str) -> list[str]:
    """The deployments of the organization's default AI resource whose provider can generate images."""
    resource = find_resource(db, org_id=org_id, name="default")
    if resource is None:
        return []
    registry = default_registry()
    return [
        d.name
        for d in deployments.list_deployments(db, org_id=org_id, resource_id=resource.id)
        if d.provider in registry and registry.get(d.provider).supports_images
    ]


async def generate(gateway: Gateway, caller: Caller, *, deployment: str, prompt: str) -> tuple[bytes, str]:
    """One image through the gateway (filtered and monitored as any request): its bytes and media type."""
    request = ImageRequest.model_validate(
        {"model": deployment, "prompt": prompt, "n": 1, "response_format": "b64_json"}
    )
    response = await gateway.generate_images(caller, request)
    data = decode_image(response.data[0].b64_json or "")
    return data, image_type(data) or "application/octet-stream"


def cover_of(db: Session, *, module: Module, lesson: int = 0) -> ModuleCover | None:
    """The module's (or lesson's) cover row, if it ever had a cover or a proposal."""
    return db.scalars(
        scoped(ModuleCover, module.org_id).where(
            ModuleCover.module_id == module.id, ModuleCover.lesson == lesson
        )
    ).one_or_none()


def covers_of(db: Session, *, module: Module) -> dict[int, ModuleCover]:
    """Every cover row of the module and its lessons, by lesson (0: the module)."""
    rows = db.scalars(scoped(ModuleCover, module.org_id).where(ModuleCover.module_id == module.id))
    return {row.lesson: row for row in rows}


def has_cover(db: Session, *, org_id: str, module_id: str, lesson: int = 0) -> bool:
    """Whether the module (or lesson) has an accepted cover (for pages that show it)."""
    found = db.scalars(
        scoped(ModuleCover, org_id).where(
            ModuleCover.module_id == module_id,
            ModuleCover.lesson == lesson,
            ModuleCover.cover_object_id.is_not(None),
        )
    ).first()
    return found is not None


def check_request(db: Session, *, module: Module, deployment: str, prompt: str) -> None:
    """InvalidInput unless the prompt fits and the deployment is one of the organization's image ones."""
    if not prompt.strip():
        raise InvalidInput("write a prompt for the cover image", param="prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidInput(f"the prompt is longer than {MAX_PROMPT_CHARS} characters", param="prompt")
    if deployment not in image_deployments(db, org_id=module.org_id):
        raise InvalidInput(
            f"{deployment!r} is not an image deployment of this organization", param="deployment"
        )


def save_proposal(
    runtime: Runtime,
    db: Session,
    *,
    module: Module,
    data: bytes,
    media_type: str,
    deployment: str,
    lesson: int = 0,
) -> ModuleCover:
    """Keep a generated image as the proposal (replacing an earlier one) for the author to review."""
    cover = cover_of(db, module=module, lesson=lesson)
    if cover is None:
        cover = ModuleCover(org_id=module.org_id, module_id=module.id, lesson=lesson)
        db.add(cover)
    _drop(runtime, db, module.org_id, cover.proposal_object_id)
    stored = objects.put(
        runtime, db, org_id=module.org_id, purpose=PURPOSE, data=data, content_type=media_type
    )
    cover.proposal_object_id, cover.proposal_type = stored.id, media_type
    cover.proposal_deployment = deployment
    cover.updated_at = runtime.clock.now()
    db.flush()
    return cover


def decide(runtime: Runtime, db: Session, *, module: Module, accept: bool, lesson: int = 0) -> ModuleCover:
    """Accept the proposal as the cover (the old cover destroyed), or discard it."""
    cover = cover_of(db, module=module, lesson=lesson)
    if cover is None or cover.proposal_object_id is None:
        raise NotFound("there is no proposed cover image to review")
    if accept:
        _drop(runtime, db, module.org_id, cover.cover_object_id)
        cover.cover_object_id, cover.cover_type = cover.proposal_object_id, cover.proposal_type
    else:
        _drop(runtime, db, module.org_id, cover.proposal_object_id)
    cover.proposal_object_id, cover.proposal_type, cover.proposal_deployment = None, "", ""
    cover.updated_at = runtime.clock.now()
    db.flush()
    return cover


def read_image(
    runtime: Runtime, db: Session, *, module: Module, proposal: bool, lesson: int = 0
) -> tuple[bytes, str]:
    """The accepted cover's (or the proposal's) bytes and media type; NotFound when there is none."""
    cover = cover_of(db, module=module, lesson=lesson)
    object_id = None if cover is None else cover.proposal_object_id if proposal else cover.cover_object_id
    if cover is None or object_id is None:
        raise NotFound("this module has no such cover image")
    media_type = cover.proposal_type if proposal else cover.cover_type
    return objects.read(runtime, db, org_id=module.org_id, object_id=object_id), media_type


def exported(runtime: Runtime, db: Session, *, module: Module, lessons: int) -> dict[int, tuple[str, bytes]]:
    """The accepted covers as {lesson: (path in the module's folder, bytes)} for the export: `cover.png`
    for the module, `lessons/<n>/cover.png` for lesson n (of the module's `lessons` lessons)."""
    found: dict[int, tuple[str, bytes]] = {}
    for lesson, cover in sorted(covers_of(db, module=module).items()):
        if cover.cover_object_id is None or lesson > lessons:
            continue
        data = objects.read(runtime, db, org_id=module.org_id, object_id=cover.cover_object_id)
        name = f"cover.{_EXTENSIONS.get(cover.cover_type, 'bin')}"
        found[lesson] = (name if lesson == 0 else f"lessons/{lesson}/{name}", data)
    return found


def renumber_lessons(runtime: Runtime, db: Session, *, module: Module, moved: dict[int, int | None]) -> None:
    """Follow lessons that moved (lesson n is now lesson moved[n]) or were left out (None: its cover and
    proposal are destroyed)."""
    for lesson, cover in sorted(covers_of(db, module=module).items()):
        if lesson == 0 or lesson not in moved:
            continue
        target = moved[lesson]
        if target is None:
            for object_id in (cover.cover_object_id, cover.proposal_object_id):
                _drop(runtime, db, module.org_id, object_id)
            db.delete(cover)
        else:
            cover.lesson = target
        # One row at a time: a lesson only ever moves down to a number already freed.
        db.flush()


def delete_covers(runtime: Runtime, db: Session, *, module: Module) -> None:
    """Destroy the covers and proposals of the module and its lessons (when the module is deleted)."""
    for cover in covers_of(db, module=module).values():
        for object_id in (cover.cover_object_id, cover.proposal_object_id):
            _drop(runtime, db, module.org_id, object_id)
        db.delete(cover)
    db.flush()


def _drop(runtime: Runtime, db: Session, org_id: str, object_id: str | None) -> None:
    if object_id is not None:
        objects.delete(runtime, db, org_id=org_id, object_id=object_id)
