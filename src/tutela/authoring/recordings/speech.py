"""Which speech deployment transcribes a recording, by the language its author says it is in.

English goes to the built-in offline model (deployment `whisper`: Whisper tiny.en, English only and rough
on accents, noise and jargon). Any other language needs an upstream speech deployment (OpenAI or Azure
OpenAI) on the organization's default AI resource; without one the upload is refused saying so.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from tutela.authoring.modules.exceptions import DocumentRefused
from tutela.gateway.deployments import service as deployments
from tutela.gateway.resources import service as resources

BUILTIN = deployments.SPEECH_DEPLOYMENT
BUILTIN_LANGUAGES = ("en",)
BUILTIN_NOTE = (
    "Transcribed on this server by the built-in speech model: English only, and rough on accents, noise "
    "and jargon. Read the transcript and correct it before generating."
)
# The languages an author can say a recording is in (ISO 639-1), as the upload form lists them.
SPOKEN_LANGUAGES = (
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("nl", "Dutch"),
    ("pt", "Portuguese"),
    ("pl", "Polish"),
)
_UPSTREAM = ("openai", "azure-openai")
_SPEECH_MODEL = re.compile(r"whisper|transcribe", re.IGNORECASE)


def _upstream(db: Session, *, org_id: str) -> tuple[list[str], bool]:
    """Names of the upstream speech deployments of the default resource, and whether the built-in one is
    there."""
    resource = resources.find_resource(db, org_id=org_id, name=resources.DEFAULT_RESOURCE)
    found = deployments.list_deployments(db, org_id=org_id, resource_id=resource.id) if resource else []
    upstream = [
        d.name
        for d in found
        if d.provider in _UPSTREAM and (_SPEECH_MODEL.search(d.model) or _SPEECH_MODEL.search(d.name))
    ]
    return upstream, any(d.name == BUILTIN and d.provider == "whisper" for d in found)


def hint(db: Session, *, org_id: str) -> str:
    """What the upload form says about transcription in this organization."""
    upstream, _ = _upstream(db, org_id=org_id)
    if upstream:
        return (
            "English is transcribed on this server by the built-in model (English only, rough on accents, "
            f"noise and jargon); other languages go to the speech deployment '{upstream[0]}'."
        )
    return (
        "English is transcribed on this server by the built-in model (English only, rough on accents, noise "
        "and jargon). Other languages need an upstream speech deployment, which an admin adds on the AI "
        "resources page."
    )


def deployment_for(db: Session, *, org_id: str, language: str) -> tuple[str, bool]:
    """The deployment that transcribes `language`, and whether it is the built-in offline model."""
    upstream, builtin = _upstream(db, org_id=org_id)
    if language in BUILTIN_LANGUAGES and builtin:
        return BUILTIN, True
    if upstream:
        return upstream[0], False
    if language in BUILTIN_LANGUAGES:
        raise DocumentRefused(
            "This organization has no speech deployment: an admin adds one on the AI resources page.",
            code="no_speech_deployment",
        )
    raise DocumentRefused(
        f"The built-in speech model understands English only, and this recording is in '{language}'. "
        "An admin can add an upstream speech deployment (OpenAI or Azure OpenAI, for example whisper-1) to "
        "the default AI resource; until then, only English recordings can be transcribed.",
        code="unsupported_language",
    )
