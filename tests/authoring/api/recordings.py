"""Recordings for authoring tests, made in the test from the committed espeak-ng clips with PyAV.

`lecture(...)` joins the spoken clips of tests/fixtures/speech/ (scripts/make_speech_fixtures.py) with pauses
into one recording longer than a transcription part (30 s), in any container and codec PyAV can write; the
other helpers make the bad inputs: silence, noise, a header that claims ten hours, a video without sound.
"""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from numpy.typing import NDArray

from tests.authoring.api.support import ok

SPEECH = Path(__file__).parents[2] / "fixtures" / "speech"
FIRE = (
    SPEECH / "fire_safety.wav"
)  # "Fire safety training. Every employee must know where the nearest exit is located."
FIRST_AID = SPEECH / "first_aid.ogg"  # "First aid basics. Check that the scene is safe before you help. …"
RATE = 16_000


def samples(path: Path) -> NDArray[np.int16]:
    """A clip's 16 kHz mono samples."""
    with av.open(str(path)) as source:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        parts = [
            f.to_ndarray().reshape(-1) for frame in source.decode(audio=0) for f in resampler.resample(frame)
        ]
    return np.concatenate(parts).astype(np.int16)


def encode(pcm: NDArray[np.int16], fmt: str, codec: str, *, rate: int = RATE) -> bytes:
    """Samples written as a `fmt` file with `codec` (mono)."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as sink:
        stream = sink.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            sink.mux(stream.encode(piece))
        sink.mux(stream.encode(None))
    return out.getvalue()


def lecture_pcm() -> NDArray[np.int16]:
    """About 40 seconds: first aid, a pause, fire safety, a pause, first aid again, fire safety again."""
    pause = np.zeros(RATE * 2, dtype=np.int16)
    aid, fire = samples(FIRST_AID), samples(FIRE)
    return np.concatenate([aid, pause, fire, pause, aid, pause, fire])


def wav(pcm: NDArray[np.int16]) -> bytes:
    """Samples as a 16-bit WAV file."""
    return encode(pcm, "wav", "pcm_s16le")


def noise(seconds: float) -> NDArray[np.int16]:
    """White noise at about a third of full scale."""
    return (
        (np.random.default_rng(7).normal(0, 6000, int(RATE * seconds))).clip(-32000, 32000).astype(np.int16)
    )


def ten_hour_header() -> bytes:
    """A WAV whose header says ten hours of 16 kHz mono audio, followed by one second of it."""
    size = 10 * 3600 * RATE * 2
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
    )
    return header + b"data" + struct.pack("<I", size) + bytes(RATE * 2)


def silent_video() -> bytes:
    """An mp4 with one second of video and no sound track."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as sink:
        stream = sink.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                sink.mux(packet)
        for packet in stream.encode(None):
            sink.mux(packet)
    return out.getvalue()


def upload_recording(client: httpx.Client, name: str, data: bytes, **form: str) -> httpx.Response:
    """POST /api/documents with a recording."""
    return client.post("/api/documents", files={"file": (name, data, "application/octet-stream")}, data=form)


def transcribed(client: httpx.Client, document_id: str, *, timeout: float = 300) -> dict[str, Any]:
    """Poll the transcript until its transcription has ended."""
    deadline = time.monotonic() + timeout
    while True:
        found = ok(client.get(f"/api/documents/{document_id}/transcript"))
        if found["status"] != "transcribing":
            return dict(found)
        assert time.monotonic() < deadline, f"still transcribing after {timeout} s: {found['job']}"
        time.sleep(0.1)
