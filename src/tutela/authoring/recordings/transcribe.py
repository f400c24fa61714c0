"""The transcription job: a stored recording in, its transcript (the document's extraction) out.

The recording is decoded in the sandboxed ingest child a window at a time (five minutes of 16 kHz mono),
so a two-hour recording never sits decoded in memory; each window is cut into parts of about 30 seconds,
at the quietest moment near the cut so no word is split, and each part goes through the gateway's
transcription pipeline (access, content filter, monitoring) to the deployment chosen at upload, the way a
generation calls chat. Progress is the share of the recording transcribed. Silent parts are not sent.
"""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tutela.authoring.ingest.audio import SAMPLE_RATE, decode_window
from tutela.authoring.ingest.exceptions import IngestError, clock
from tutela.authoring.ingest.limits import IngestLimits
from tutela.authoring.modules import leases
from tutela.authoring.modules import service as documents
from tutela.authoring.modules import settings as authoring_settings
from tutela.authoring.modules.exceptions import DocumentRefused
from tutela.authoring.modules.models import AuthoringJob
from tutela.authoring.modules.regenerate import run_with_gateway
from tutela.authoring.recordings import service as recordings
from tutela.authoring.recordings.service import Segment
from tutela.errors import InvalidInput
from tutela.gateway.access import Caller, caller_for_org
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire.audio import TranscriptionRequest
from tutela.runtime import Runtime
from tutela.storage.db import utcnow
from tutela.storage.tenancy import get_owned

WINDOW_SECONDS = 300.0
PART_SECONDS = 30.0
# A part is cut at the quietest 100 ms of its last few seconds.
_CUT_SEARCH_SECONDS = 4.0
_FRAME = SAMPLE_RATE // 10
# Peaks below this (about -50 dBFS) are silence: such a part is not sent, such a recording is refused.
SILENT_PEAK = 100


class NoSpeech(InvalidInput):
    """The recording holds no speech the model could hear."""

    code = "no_speech"


@dataclass
class _Run:
    gateway: Gateway
    caller: Caller
    data: bytes
    limits: IngestLimits
    deployment: str
    language: str
    length: float | None
    progress: Callable[[float], None]
    segments: list[Segment] = field(default_factory=list)
    peak: int = 0
    heard: float = 0.0  # seconds of the recording decoded


def cut_point(samples: NDArray[np.int16], size: int) -> int:
    """Where to end a part of at most `size` samples: at the quietest 100 ms near its end."""
    if len(samples) <= size:
        return len(samples)
    low = max(0, size - int(_CUT_SEARCH_SECONDS * SAMPLE_RATE))
    frames = samples[low:size].astype(np.float32)
    count = len(frames) // _FRAME
    if count == 0:
        return size
    energy = (frames[: count * _FRAME].reshape(count, _FRAME) ** 2).mean(axis=1)
    return low + int(np.argmin(energy)) * _FRAME + _FRAME // 2


def wav(samples: NDArray[np.int16]) -> bytes:
    """16 kHz mono 16-bit samples as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sink:
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(SAMPLE_RATE)
        sink.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


async def _part(run: _Run, samples: NDArray[np.int16], offset: float) -> None:
    if not len(samples) or int(np.abs(samples.astype(np.int32)).max()) < SILENT_PEAK:
        return
    request = TranscriptionRequest(
        model=run.deployment,
        file=wav(samples),
        filename="part.wav",
        language=run.language,
        response_format="verbose_json",
    )
    result = await run.gateway.transcribe(run.caller, request)
    end_of_part = offset + len(samples) / SAMPLE_RATE
    pieces = result.segments or []
    if not pieces and result.text.strip():
        run.segments.append(Segment(round(offset, 2), round(end_of_part, 2), result.text.strip()))
    for piece in pieces:
        text = " ".join(piece.text.split())
        if text:
            start = round(min(offset + max(piece.start, 0.0), end_of_part), 2)
            run.segments.append(Segment(start, round(min(offset + piece.end, end_of_part), 2), text))


async def _transcribe(run: _Run) -> None:
    pending = np.zeros(0, dtype=np.int16)
    offset = 0.0  # where `pending` starts in the recording
    position, ended = 0.0, False
    size = int(PART_SECONDS * SAMPLE_RATE)
    while not ended:
        window, ended = await asyncio.to_thread(
            decode_window, run.data, start=position, length=WINDOW_SECONDS, limits=run.limits
        )
        position += WINDOW_SECONDS
        run.heard += len(window) / SAMPLE_RATE
        if len(window):
            run.peak = max(run.peak, int(np.abs(window.astype(np.int32)).max()))
        pending = np.concatenate([pending, window])
        while len(pending) > size or (ended and len(pending)):
            cut = cut_point(pending, size)
            await _part(run, pending[:cut], offset)
            pending, offset = pending[cut:], offset + cut / SAMPLE_RATE
            total = run.length or max(position, offset)
            run.progress(min(offset / total, 0.99) if total else 0.5)


def _refusal(run: _Run) -> NoSpeech:
    if run.peak < SILENT_PEAK:
        return NoSpeech(
            "This recording is silent: no sound was found in it, so there is nothing to transcribe.",
            param="file",
        )
    return NoSpeech(
        "No speech was found in this recording (only noise, music or sounds too faint to make out words); "
        "upload a recording in which someone speaks clearly.",
        param="file",
    )


def _warnings(run: _Run) -> list[str]:
    if run.length is not None and run.heard < 0.9 * run.length - 1:
        return [
            f"The recording stops at {clock(run.heard)} although it says it lasts {clock(run.length)}: the "
            "file looks cut short, so the transcript covers only what could be read."
        ]
    return []


def run_transcription(runtime: Runtime, lease: leases.Lease) -> None:
    """Transcribe the job's recording and store the transcript (the job fails with a precise message)."""
    org_id, job_id = lease.org_id, lease.job_id
    settings = authoring_settings.current()
    with runtime.region_session(org_id) as db:
        job = get_owned(db, AuthoringJob, job_id, org_id=org_id, what="job")
        doc = documents.get_document(db, org_id=org_id, document_id=job.document_id or "")
        data = documents.read_pdf(runtime, db, doc=doc)
        params, user_id, length = dict(job.params), job.created_by, doc.duration_seconds
    last = [-1]

    def progress(fraction: float) -> None:
        percent = max(1, min(99, int(fraction * 100)))
        if percent != last[0]:
            last[0] = percent
            lease.renew(stage="transcribing", percent=percent)

    caller = caller_for_org(runtime, org_id, user_id=user_id)

    async def work(gateway: Gateway) -> _Run:
        run = _Run(
            gateway=gateway,
            caller=caller,
            data=data,
            limits=settings.ingest_limits(max_bytes=settings.max_upload_bytes),
            deployment=str(params["deployment"]),
            language=str(params.get("language") or "en"),
            length=length,
            progress=progress,
        )
        await _transcribe(run)
        return run

    with lease.kept():
        try:
            run = run_with_gateway(runtime, work)
        except IngestError as exc:
            raise DocumentRefused(exc.message, code=exc.code) from None
    if not run.segments:
        raise _refusal(run)
    with runtime.region_session(org_id) as db:
        lease.write(db, stage="saving", percent=99)
        doc = documents.get_document(db, org_id=org_id, document_id=doc.id)
        value = recordings.build(recordings.title_of(doc), doc.language, run.segments)
        recordings.save(runtime, db, doc=doc, value=value)
        lease.finish(
            db, status="succeeded", stage="done", percent=100, warnings=_warnings(run), finished_at=utcnow()
        )
