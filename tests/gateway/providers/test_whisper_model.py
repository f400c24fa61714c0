"""The built-in speech model's integrity check and its decoding sandbox, below the HTTP layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela.gateway.providers.whisper import model
from tutela.gateway.providers.whisper.decoding import DecodeLimits, decode, seconds
from tutela.gateway.providers.whisper.exceptions import AudioDecodingFailed, SpeechModelUnavailable

FIRE = Path(__file__).resolve().parents[2] / "fixtures" / "speech" / "fire_safety.wav"


def _copy(tmp_path: Path, *, damage: str | None = None, drop: str | None = None) -> Path:
    """The installed model's folder, linked file by file, with one file changed or left out."""
    for name in model.MODEL_FILES:
        source = model.model_dir() / name
        if name == drop:
            continue
        if name == damage:
            data = bytearray(source.read_bytes())
            data[-1] ^= 1
            (tmp_path / name).write_bytes(bytes(data))
        else:
            (tmp_path / name).symlink_to(source)
    return tmp_path


def test_the_installed_files_match_their_pins() -> None:
    assert set(model.verified_files()) == set(model.MODEL_FILES)


def test_a_changed_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SpeechModelUnavailable, match=r"vocabulary.txt failed the integrity check"):
        model.verified_files(_copy(tmp_path, damage="vocabulary.txt"))


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SpeechModelUnavailable, match=r"Cannot read speech model file .*config.json"):
        model.verified_files(_copy(tmp_path, drop="config.json"))


def test_decoding_gives_16khz_mono_samples() -> None:
    samples = decode(FIRE.read_bytes(), DecodeLimits())
    assert 5 < seconds(samples) < 8 and samples.dtype.name == "float32"
    assert 0.05 < float(abs(samples).max()) <= 1.0


def test_a_decoder_past_its_deadline_is_killed_with_a_clear_error() -> None:
    with pytest.raises(AudioDecodingFailed, match=r"took longer than 0\.05 seconds"):
        decode(FIRE.read_bytes(), DecodeLimits(timeout_seconds=0.05))


def test_the_voice_activity_detector_is_pinned_and_used_from_verified_bytes(tmp_path: Path) -> None:
    assert model.verified_vad()[:4] == model.vad_path().read_bytes()[:4]
    damaged = bytearray(model.vad_path().read_bytes())
    damaged[-1] ^= 1
    (tmp_path / model.VAD_FILE).write_bytes(bytes(damaged))
    with pytest.raises(SpeechModelUnavailable, match=r"silero_vad_v6.onnx failed the integrity check"):
        model.verified_vad(tmp_path / model.VAD_FILE)
    from faster_whisper import vad

    model.load(threads=1)
    # faster-whisper's VAD filter now runs the detector built from the hashed bytes, not a path on disk.
    session = vad.get_vad_model().session
    assert session._model_path is None and session._model_bytes == model.verified_vad()
