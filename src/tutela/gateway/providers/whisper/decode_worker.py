"""Entry point of the audio decoding child: `python -m tutela.gateway.providers.whisper.decode_worker
MEMORY_BYTES CPU_SECONDS MAX_SECONDS`.

Reads the file's bytes from stdin and writes one answer to the original stdout: `b"\\x00"` then 16 kHz mono
float32 samples, or `b"\\x01"` then a JSON refusal `{"code", "message"}`. FFmpeg (through PyAV) parses the
untrusted file here, behind the parent's address-space, CPU and wall-clock limits.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
from typing import Any

SAMPLE_RATE = 16_000
EXIT_MEMORY = 86


def _apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Refusal(Exception):
    """A precise reason the file cannot be transcribed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _too_long(max_seconds: float) -> Refusal:
    return Refusal(
        "audio_too_long", f"The recording is longer than this deployment's limit of {max_seconds:g} seconds."
    )


def decode(data: bytes, max_seconds: float) -> Any:
    """16 kHz mono float32 samples of the first audio stream, refusing past `max_seconds`."""
    import av
    import numpy as np

    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise Refusal(
            "invalid_audio",
            "The file is not audio or video that can be read (wav, mp3, m4a, ogg, webm, mp4...).",
        ) from exc
    with container:
        if not container.streams.audio:
            raise Refusal("invalid_audio", "The file has no audio track.")
        stream = container.streams.audio[0]
        if container.duration is not None and container.duration / 1_000_000 > max_seconds:
            raise _too_long(max_seconds)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        parts: list[Any] = []
        samples, limit = 0, int(max_seconds * SAMPLE_RATE)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
                    samples += parts[-1].shape[0]
                if samples > limit:
                    raise _too_long(max_seconds)
            parts.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
        except av.FFmpegError as exc:
            if not parts:
                codec = stream.codec_context.name if stream.codec_context is not None else "unknown"
                raise Refusal(
                    "invalid_audio", f"The audio track (codec '{codec}') could not be decoded."
                ) from exc
            # A truncated file: keep what was decoded before the damage, as players do.
    if not parts:
        raise Refusal("invalid_audio", "The audio track is empty.")
    pcm = np.concatenate(parts).astype(np.float32) / 32768.0
    return pcm


def main() -> None:
    """Decode stdin under the limits given on the command line."""
    _apply_limits(int(sys.argv[1]), int(sys.argv[2]))
    answer_stream = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        pcm = decode(sys.stdin.buffer.read(), float(sys.argv[3]))
        answer = b"\x00" + pcm.tobytes()
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except Refusal as refusal:
        answer = b"\x01" + json.dumps({"code": refusal.code, "message": refusal.message}).encode()
    answer_stream.write(answer)
    answer_stream.flush()


if __name__ == "__main__":
    main()
