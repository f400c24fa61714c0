"""Recordings as source documents: stored sealed like a PDF, transcribed by a job, corrected by the author.

The recording's file is an encrypted object in the document's file slot, so it is seen, attached and
deleted (its key destroyed) exactly like a PDF (modules/service.py). Its transcript is the document's
extraction: one page per segment, the segment's time span in `times`. Correcting the transcript stores a new
extraction with the same segments and time spans, and destroys the old one's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy.orm import Session

from tutela.authoring.ingest.document import ExtractedDocument, Page, Paragraph, TimeSpan
from tutela.authoring.ingest.exceptions import IngestError, ParserBusy, RecordingTooLarge
from tutela.authoring.modules import service as documents
from tutela.authoring.modules.exceptions import (
    DocumentRefused,
    ReadingBusy,
    TranscriptNotReady,
    UploadTooLarge,
)
from tutela.authoring.modules.models import AuthoringJob, SourceDocument
from tutela.authoring.modules.settings import AuthoringSettings
from tutela.authoring.recordings import speech
from tutela.core.permissions.roles import Permission
from tutela.errors import InvalidInput
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.tenancy import scoped

RECORDING_PURPOSE = "authoring-recording"
TRANSCRIBE = "transcribe"
MAX_SEGMENT_CHARS = 5000


@dataclass(frozen=True)
class Segment:
    """One stretch of speech: its time span in seconds and what was said."""

    start: float
    end: float
    text: str


def upload(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    user_id: str,
    filename: str,
    data: bytes,
    size: int,
    language: str,
    settings: AuthoringSettings,
) -> tuple[SourceDocument, AuthoringJob]:
    """Probe the recording in the sandbox (length checked before decoding), store it sealed, and queue its
    transcription (the caller enqueues the job after commit).

    Refused before anything is read when the uploader may not generate modules or the organization has AI
    switched off (a transcript is written by AI), and when the file (`size` bytes) is over the limit."""
    from tutela.authoring.ingest.audio import probe_recording

    documents.check_generation_allowed(
        db, org_id=org_id, user_id=user_id, permission=Permission.GENERATE_MODULES
    )
    if size > settings.max_upload_bytes:
        refusal = RecordingTooLarge.for_size(size, settings.max_upload_bytes)
        raise UploadTooLarge(refusal.message, param="file")
    deployment, builtin = speech.deployment_for(db, org_id=org_id, language=language)
    try:
        info = probe_recording(
            data,
            max_seconds=settings.max_recording_seconds,
            limits=settings.ingest_limits(max_bytes=settings.max_upload_bytes),
        )
    except ParserBusy as exc:
        raise ReadingBusy(exc.message, retry_after=exc.retry_after) from None
    except IngestError as exc:
        status = 400 if exc.code == "unsupported_file" else 422
        raise DocumentRefused(exc.message, code=exc.code, status_code=status) from None
    stored = objects.put(
        runtime, db, org_id=org_id, purpose=RECORDING_PURPOSE, data=data, content_type=info.media_type
    )
    doc = SourceDocument(
        org_id=org_id,
        filename=documents.safe_filename(filename, default="recording"),
        size=len(data),
        uploaded_by=user_id,
        page_count=0,
        language=language,
        headings_source="none",
        pdf_object_id=stored.id,
        extraction_object_id=None,
        kind="recording",
        media_type=info.media_type,
        duration_seconds=info.seconds,
    )
    db.add(doc)
    db.flush()
    job = documents.create_job(
        db,
        org_id=org_id,
        user_id=user_id,
        kind=TRANSCRIBE,
        document_id=doc.id,
        params={"deployment": deployment, "builtin": builtin, "language": language},
    )
    return doc, job


def transcription_job(db: Session, *, doc: SourceDocument) -> AuthoringJob | None:
    """The recording's latest transcription job."""
    stmt = scoped(AuthoringJob, doc.org_id).where(
        AuthoringJob.document_id == doc.id, AuthoringJob.kind == TRANSCRIBE
    )
    return db.scalars(stmt.order_by(AuthoringJob.created_at.desc()).limit(1)).first()


def build(title: str, language: str, segments: Sequence[Segment]) -> ExtractedDocument:
    """The transcript as generation reads it: one page (and paragraph) per segment, with its time span."""
    if not segments:
        raise InvalidInput("a transcript needs at least one segment", param="segments")
    return ExtractedDocument(
        title=title,
        language=language,
        page_count=len(segments),
        pages=[Page(number=i, text=s.text) for i, s in enumerate(segments, start=1)],
        paragraphs=[
            Paragraph(page=i, text=s.text) for i, s in enumerate(segments, start=1) if s.text.strip()
        ],
        headings=[],
        headings_source="none",
        times=[TimeSpan(start=s.start, end=max(s.end, s.start)) for s in segments],
    )


def segments_of(transcript: ExtractedDocument) -> list[Segment]:
    """The transcript's segments."""
    times = transcript.times or []
    return [Segment(t.start, t.end, p.text) for p, t in zip(transcript.pages, times, strict=True)]


def title_of(doc: SourceDocument) -> str:
    """A recording's working title: its file name without the extension."""
    return PurePath(doc.filename).stem.replace("_", " ").strip() or doc.filename


def transcript(runtime: Runtime, db: Session, *, doc: SourceDocument) -> ExtractedDocument:
    """The recording's transcript; TranscriptNotReady before it exists."""
    if doc.kind != "recording":
        raise InvalidInput("this document is a PDF, not a recording", param="document_id")
    if doc.extraction_object_id is None:
        raise TranscriptNotReady("the recording has no transcript yet; follow its transcription job")
    return documents.read_extraction(runtime, db, doc=doc)


def save(runtime: Runtime, db: Session, *, doc: SourceDocument, value: ExtractedDocument) -> None:
    """Store the transcript as the document's extraction, destroying the previous one's key."""
    old = doc.extraction_object_id
    doc.extraction_object_id = documents.put_model(
        runtime, db, org_id=doc.org_id, purpose=documents.EXTRACTION_PURPOSE, value=value
    )
    doc.page_count = value.page_count
    db.flush()
    if old is not None:
        objects.delete(runtime, db, org_id=doc.org_id, object_id=old)


def correct(runtime: Runtime, db: Session, *, doc: SourceDocument, texts: Sequence[str]) -> ExtractedDocument:
    """Replace the segments' text with the author's, keeping every segment's time span."""
    current = segments_of(transcript(runtime, db, doc=doc))
    if len(texts) != len(current):
        raise InvalidInput(
            f"the transcript has {len(current)} segments; send one text for each, in order", param="segments"
        )
    for index, text in enumerate(texts):
        if len(text) > MAX_SEGMENT_CHARS:
            raise InvalidInput(
                f"segment {index + 1} is longer than {MAX_SEGMENT_CHARS} characters", param="segments"
            )
    if not any(text.strip() for text in texts):
        raise InvalidInput(
            "the corrected transcript is empty; keep the words that were said", param="segments"
        )
    fixed = [Segment(s.start, s.end, " ".join(t.split())) for s, t in zip(current, texts, strict=True)]
    value = build(title_of(doc), doc.language, fixed)
    save(runtime, db, doc=doc, value=value)
    return value
