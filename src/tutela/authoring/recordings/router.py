"""A recording's transcript and the recording itself over REST: `/api/documents/{id}/transcript`,
`/api/documents/{id}/recording`.

The transcript is read and corrected by whoever manages the document (its uploader or an admin); the
recording is played by those who may see the document's file (L5: as for a PDF), with byte ranges so a
player can seek to a cited segment (`#t=start,end`).
"""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlalchemy.orm import Session

from tutela.authoring.modules import service as documents
from tutela.authoring.modules.models import SourceDocument
from tutela.authoring.modules.router import job_read
from tutela.authoring.modules.schemas import JobRead
from tutela.authoring.recordings import service as recordings
from tutela.authoring.recordings import speech
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.auth.principal import UserPrincipal
from tutela.core.organizations import service as organizations
from tutela.core.schemas import Body, Read
from tutela.errors import InvalidInput, NotFound

router = APIRouter(prefix="/api/documents", tags=["authoring"])
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class SegmentRead(Read):
    """One segment of a transcript: its time span in seconds and its text."""

    index: int
    start: float
    end: float
    text: str


class TranscriptRead(Read):
    """A recording's transcript, or where its transcription stands."""

    document_id: str
    status: Literal["transcribing", "failed", "ready"]
    language: str
    duration_seconds: float | None
    builtin_model: bool  # transcribed offline by the built-in English-only model
    note: str | None  # what to expect of the model that transcribed it
    job: JobRead | None
    segments: list[SegmentRead]


class SegmentText(Body):
    """The corrected text of one segment (its time span is kept)."""

    text: str = Field(max_length=recordings.MAX_SEGMENT_CHARS)


class TranscriptCorrection(Body):
    """Every segment's corrected text, in order."""

    segments: list[SegmentText] = Field(min_length=1, max_length=20_000)


def managed(db: Session, principal: UserPrincipal, document_id: str) -> SourceDocument:
    """A recording its uploader (or an admin) manages; NotFound for anyone else."""
    who = documents.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    doc = documents.document_for(db, org_id=principal.org_id, who=who, document_id=document_id)
    if doc.kind != "recording":
        raise InvalidInput("this document is a PDF, not a recording", param="document_id")
    return doc


def transcript_read(runtime: RuntimeDep, db: Session, doc: SourceDocument) -> TranscriptRead:
    """The transcript as the API shows it, or where its transcription stands."""
    job = recordings.transcription_job(db, doc=doc)
    builtin = bool(job.params.get("builtin")) if job is not None else False
    segments: list[SegmentRead] = []
    if doc.extraction_object_id is not None:
        found = recordings.segments_of(recordings.transcript(runtime, db, doc=doc))
        segments = [SegmentRead(index=i, start=s.start, end=s.end, text=s.text) for i, s in enumerate(found)]
        status: Literal["transcribing", "failed", "ready"] = "ready"
    else:
        status = "failed" if job is not None and job.status == "failed" else "transcribing"
    return TranscriptRead(
        document_id=doc.id,
        status=status,
        language=doc.language,
        duration_seconds=doc.duration_seconds,
        builtin_model=builtin,
        note=speech.BUILTIN_NOTE if builtin else None,
        job=job_read(job) if job is not None else None,
        segments=segments,
    )


@router.get("/{document_id}/transcript", response_model=TranscriptRead)
def read_transcript(
    document_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> TranscriptRead:
    """The recording's transcript with each segment's time span, or where its transcription stands."""
    return transcript_read(runtime, db, managed(db, principal, document_id))


@router.put("/{document_id}/transcript", response_model=TranscriptRead)
def correct_transcript(
    document_id: str, body: TranscriptCorrection, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> TranscriptRead:
    """Correct the transcript's words before generating: one text per segment, the time spans are kept."""
    doc = managed(db, principal, document_id)
    recordings.correct(runtime, db, doc=doc, texts=[s.text for s in body.segments])
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="document.transcript_corrected",
        target=f"document:{doc.id}",
        details={"segments": len(body.segments)},
    )
    return transcript_read(runtime, db, doc)


def _ranged(data: bytes, header: str | None) -> tuple[bytes, int, dict[str, str]]:
    """The bytes a Range header asks for (one range), the status, and the headers saying which."""
    total = len(data)
    found = _RANGE.match(header.strip()) if header else None
    if found is None or (not found.group(1) and not found.group(2)):
        return data, 200, {}
    first, last = found.group(1), found.group(2)
    if first:
        start, end = int(first), min(int(last) if last else total - 1, total - 1)
    else:
        start, end = max(0, total - int(last)), total - 1
    if start >= total or start > end:
        return b"", 416, {"Content-Range": f"bytes */{total}"}
    return data[start : end + 1], 206, {"Content-Range": f"bytes {start}-{end}/{total}"}


@router.get("/{document_id}/recording", response_class=Response)
def play_recording(
    document_id: str, request: Request, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> Response:
    """The recording for a player (byte ranges supported), for those who may see the document's file."""
    who = documents.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    doc = documents.get_document(db, org_id=principal.org_id, document_id=document_id)
    if doc.kind != "recording" or not documents.pdf_visible(db, who=who, doc=doc):
        raise NotFound(f"document {document_id!r} not found")
    body, status, headers = _ranged(documents.read_pdf(runtime, db, doc=doc), request.headers.get("range"))
    headers |= {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store"}
    return Response(content=body, status_code=status, media_type=doc.media_type, headers=headers)
