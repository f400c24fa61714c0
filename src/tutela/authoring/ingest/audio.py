"""Recordings (audio or video) as ingest reads them: probed at upload, decoded window by window later.

Both run in the same sandboxed child as PDF parsing (sandbox.py, media.py), under the same memory, CPU and
wall-clock limits and the same pool; a crash or a kill becomes a refusal naming the recording, never an error
page.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .exceptions import BrokenPdf, BrokenRecording, error_for_code
from .limits import IngestLimits
from .sandbox import run_isolated

SAMPLE_RATE = 16_000
_PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """What the container says about a recording."""

    format: str
    codec: str
    seconds: float | None
    video: bool
    media_type: str


def is_pdf(data: bytes) -> bool:
    """Whether an upload says it is a PDF (readers accept the marker within the first KiB)."""
    return _PDF_MAGIC in data[:1024]


def _ask(header: dict[str, Any], data: bytes, limits: IngestLimits) -> dict[str, Any]:
    encoded = json.dumps(header).encode()
    try:
        answer = json.loads(run_isolated(len(encoded).to_bytes(4, "big") + encoded + data, limits))
        if not answer.get("ok"):
            raise error_for_code(str(answer.get("code")), answer.get("message"))
        return dict(answer)
    except BrokenPdf:
        raise BrokenRecording() from None
    except (ValueError, TypeError, AttributeError) as error:
        raise BrokenRecording() from error


def probe_recording(data: bytes, *, max_seconds: float, limits: IngestLimits) -> RecordingInfo:
    """Format, codec and length of a recording; refused when too long, without sound, or unreadable."""
    found = _ask({"kind": "probe", "max_seconds": max_seconds}, data, limits)["recording"]
    return RecordingInfo(
        format=str(found["format"]),
        codec=str(found["codec"]),
        seconds=float(found["seconds"]) if found["seconds"] is not None else None,
        video=bool(found["video"]),
        media_type=str(found["media_type"]),
    )


def decode_window(
    data: bytes, *, start: float, length: float, limits: IngestLimits
) -> tuple[NDArray[np.int16], bool]:
    """16 kHz mono samples of [start, start + length), and whether the recording ends within it."""
    window = _ask({"kind": "decode", "start": start, "length": length}, data, limits)["window"]
    samples = np.frombuffer(base64.b64decode(window["pcm"]), dtype="<i2").astype(np.int16)
    return samples, bool(window["ended"])
