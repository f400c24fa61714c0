"""Decoding untrusted audio in a child process with memory, CPU and wall-clock limits (decode_worker.py).

A hostile or broken file can at worst kill its own child: every failure becomes a precise 400, never a
crash of the gateway. The file's bytes travel over a pipe and the samples come back the same way: nothing
is written to disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tutela.gateway.providers.whisper.decode_worker import EXIT_MEMORY, SAMPLE_RATE
from tutela.gateway.providers.whisper.exceptions import AudioDecodingFailed, AudioTooLong, UnreadableAudio

_WORKER_MODULE = "tutela.gateway.providers.whisper.decode_worker"
_REFUSALS = {"invalid_audio": UnreadableAudio, "audio_too_long": AudioTooLong}


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """How long a recording may be, and what decoding it may cost."""

    max_seconds: float = 1800.0
    timeout_seconds: float = 60.0
    memory_bytes: int = 1536 * 1024 * 1024


def _child_env() -> dict[str, str]:
    source_root = str(Path(__file__).resolve().parents[4])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    return env


def decode(data: bytes, limits: DecodeLimits) -> NDArray[np.float32]:
    """16 kHz mono samples of the recording, or a refusal naming what is wrong with it (blocking)."""
    argv = [
        sys.executable,
        "-m",
        _WORKER_MODULE,
        str(limits.memory_bytes),
        str(max(1, int(limits.timeout_seconds) + 1)),
        repr(limits.max_seconds),
    ]
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv: this interpreter and our own module
            argv,
            input=data,
            capture_output=True,
            timeout=limits.timeout_seconds,
            env=_child_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AudioDecodingFailed(
            f"Decoding the audio took longer than {limits.timeout_seconds:g} seconds.", param="file"
        ) from None
    answer = done.stdout
    if done.returncode == 0 and answer[:1] == b"\x00":
        return np.frombuffer(answer[1:], dtype=np.float32)
    if done.returncode == 0 and answer[:1] == b"\x01":
        refusal = json.loads(answer[1:])
        raise _REFUSALS.get(refusal["code"], UnreadableAudio)(refusal["message"], param="file")
    if done.returncode == EXIT_MEMORY or done.returncode == -signal.SIGKILL:
        raise AudioDecodingFailed(
            f"Decoding the audio needed more than {limits.memory_bytes // 2**20} MB.", param="file"
        )
    if done.returncode == -signal.SIGXCPU:
        raise AudioDecodingFailed(
            f"Decoding the audio took longer than {limits.timeout_seconds:g} seconds.", param="file"
        )
    raise UnreadableAudio("The audio could not be decoded (the decoder failed on this file).", param="file")


def seconds(samples: NDArray[np.float32]) -> float:
    """The duration of decoded samples."""
    return float(samples.shape[0]) / SAMPLE_RATE
