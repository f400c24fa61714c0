"""Reading an uploaded recording with PyAV (FFmpeg), child side: probe its container, decode a window.

Runs only inside the sandboxed ingest child (worker.py), behind its memory, CPU and wall-clock limits.
`probe` reads the container's header: the format, the sound track's codec and the length, so a recording
past the limit is refused before any of it is decoded; it then decodes the first second, so an unusable
codec is refused at upload rather than in the middle of a transcription. `decode_window` turns one stretch
of the recording into 16 kHz mono 16-bit samples for transcription.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from .exceptions import BrokenRecording, NoSoundTrack, NotARecording, RecordingTooLong, UnsupportedCodec

SAMPLE_RATE = 16_000
# FFmpeg's demuxer names for the formats authors upload, and how each is served back to a browser.
_FORMATS = {
    "wav": ("audio/wav", "audio/wav"),
    "mp3": ("audio/mpeg", "audio/mpeg"),
    "ogg": ("audio/ogg", "video/ogg"),
    "matroska,webm": ("audio/webm", "video/webm"),
    "mov,mp4,m4a,3gp,3g2,mj2": ("audio/mp4", "video/mp4"),
}
_PROBE_SECONDS = 1.0


def looks_like_media(data: bytes) -> bool:
    """Whether the file starts as one of the accepted formats does (so failing to open it means damage)."""
    head = data[:12]
    return (
        (head[:4] == b"RIFF" and head[8:12] == b"WAVE")
        or head[:3] == b"ID3"
        or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # an MPEG audio frame
        or head[:4] == b"OggS"
        or head[:4] == b"\x1a\x45\xdf\xa3"  # Matroska / WebM
        or head[4:8] == b"ftyp"  # MP4 / M4A
    )


def _open(data: bytes) -> Any:
    import av

    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError) as exc:
        raise (BrokenRecording() if looks_like_media(data) else NotARecording()) from exc


def _length(container: Any, stream: Any) -> float | None:
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def _frames(container: Any, stream: Any, start: float, length: float) -> tuple[list[Any], float | None, bool]:
    """The resampled frames covering [start, start + length), the time of the first one, and whether the
    stream ended before the window did."""
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    out: list[Any] = []
    first: float | None = None
    wanted = 0
    try:
        if start > 0:
            container.seek(int(start * 1_000_000), backward=True, any_frame=False)
        for frame in container.decode(stream):
            begins = float(frame.time) if frame.time is not None else None
            if begins is not None and begins + frame.samples / max(frame.sample_rate, 1) <= start:
                continue
            if first is None:
                first = begins if begins is not None else start
                wanted = round((start + length - first) * SAMPLE_RATE)
            out.extend(resampler.resample(frame))
            if sum(f.samples for f in out) >= wanted:
                return out, first, False
    except av.FFmpegError:
        return out, first, True  # damaged from here on: keep what was read before, as players do
    out.extend(resampler.resample(None))
    return out, first, True


def probe(data: bytes, max_seconds: float) -> dict[str, Any]:
    """What the recording is, or the refusal saying why it cannot be used."""

    container = _open(data)
    with container:
        name = container.format.name
        if not container.streams.audio:
            raise NoSoundTrack() if container.streams.video else NotARecording()
        if name not in _FORMATS:
            raise NotARecording()
        stream = container.streams.audio[0]
        codec = stream.codec_context.name if stream.codec_context is not None else "unknown"
        seconds = _length(container, stream)
        if seconds is not None and seconds > max_seconds:
            raise RecordingTooLong.lasting(seconds, max_seconds)
        frames, _, _ = _frames(container, stream, 0.0, _PROBE_SECONDS)
        if not frames:
            raise UnsupportedCodec.named(codec)
        audio_type, video_type = _FORMATS[name]
        video = bool(container.streams.video)
        return {
            "format": name,
            "codec": codec,
            "seconds": seconds,
            "video": video,
            "media_type": video_type if video else audio_type,
        }


def decode_window(data: bytes, start: float, length: float) -> dict[str, Any]:
    """16 kHz mono s16 samples from `start` for up to `length` seconds (base64), and whether the file ended.

    A file cut short decodes up to the damage, as players do; `ended` then says there is nothing after.
    """
    import numpy as np

    container = _open(data)
    with container:
        if not container.streams.audio:
            raise NoSoundTrack()
        stream = container.streams.audio[0]
        frames, first, ended = _frames(container, stream, start, length)
    if not frames or first is None:
        return {"pcm": "", "ended": True}
    pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype("<i2")
    # The window starts exactly at `start`: samples before it are dropped, a late first frame (an encoder's
    # delay) is preceded by silence, so time stamps stay true to the recording.
    gap = round((start - first) * SAMPLE_RATE)
    pcm = pcm[gap:] if gap >= 0 else np.concatenate([np.zeros(-gap, dtype="<i2"), pcm])
    window = pcm[: round(length * SAMPLE_RATE)]
    return {"pcm": base64.b64encode(window.tobytes()).decode("ascii"), "ended": ended}
