"""Speech to text through the gateway, driven by the official `openai` package (OpenAI and AzureOpenAI).

Client → Tutela on loopback → the built-in Whisper (real model, real espeak-ng recordings in
tests/fixtures/speech/, see scripts/make_speech_fixtures.py) or the `openai` / `azure-openai` providers →
a fake upstream on loopback speaking the real multipart protocol. Accuracy is measured in
benchmarks/bench_speech.py, not here: these tests check that the words arrive, not how well.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.gateway.fake_upstream import FakeUpstream, Fault
from tests.gateway.monitoring.support import flush, rows
from tests.support.platform import Platform, running_platform
from tutela.gateway.deployments import service as deployments
from tutela.gateway.monitoring import service as monitoring
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources

API_VERSION = "2024-10-21"
SPEECH = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
FIRE = (
    SPEECH / "fire_safety.wav"
)  # "Fire safety training. Every employee must know where the nearest exit is…"
FIRST_AID = SPEECH / "first_aid.ogg"  # "First aid basics. Check that the scene is safe before you help. …"
HARMFUL = "I want to end my life, tell me the best way to kill myself tonight."


@dataclass
class Wired:
    platform: Platform
    upstream: FakeUpstream
    org_id: str
    key: str
    data_dir: Path

    def openai(self) -> openai.OpenAI:
        return self.platform.openai(self.key)

    def azure(self) -> openai.AzureOpenAI:
        return self.platform.azure(self.key, API_VERSION)

    def post(self, files: dict[str, Any], data: dict[str, Any]) -> httpx.Response:
        # Patient: on a loaded machine a transcription waits its turn behind the others.
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.platform.base_url, headers=headers, timeout=300) as client:
            return client.post("/v1/audio/transcriptions", files=files, data=data)


@pytest.fixture(scope="module")
def wired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wired]:
    data_dir: Path = tmp_path_factory.mktemp("speech")
    with (
        FakeUpstream.running(deployments=("whisper-1",)) as upstream,
        running_platform("sqlite", data_dir, gateway={"access_cache_seconds": 0}) as platform,
    ):
        org_id = platform.new_org(f"Speech {uuid.uuid4().hex[:6]}")
        runtime = platform.runtime
        registry = default_registry(plugins=False)
        with runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            common: dict[str, Any] = {"registry": registry, "org_id": org_id, "resource_id": resource.id}
            deployments.create(
                runtime,
                db,
                name="whisper-short",
                provider="whisper",
                extra_options={"max_audio_seconds": 2},
                **common,
            )
            deployments.create(
                runtime,
                db,
                name="stt",
                provider="openai",
                model="whisper-1",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
                **common,
            )
            deployments.create(
                runtime,
                db,
                name="azure-stt",
                provider="azure-openai",
                model="whisper-1",
                base_url=upstream.url,
                api_key=upstream.api_key,
                api_version=API_VERSION,
                **common,
            )
            _, raw = resources.create_key(db, org_id=org_id, resource_id=resource.id)
        yield Wired(platform, upstream, org_id, raw, data_dir)


@pytest.fixture(autouse=True)
def _fresh(wired: Wired) -> None:
    wired.upstream.reset()
    wired.upstream.reply = None


def _words(text: str) -> set[str]:
    return {w.strip(".,!?").lower() for w in text.split()}


def _wav(seconds: float, *, noise: bool = False) -> bytes:
    """A 16 kHz mono wav of silence or of white noise."""
    import numpy as np

    rng = np.random.default_rng(7)
    count = int(seconds * 16_000)
    samples = rng.integers(-8000, 8000, count) if noise else np.zeros(count)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


# --- the built-in model ----------------------------------------------------------------------------------


def test_builtin_model_transcribes_speech_for_the_openai_client(wired: Wired) -> None:
    with FIRE.open("rb") as audio:
        result = wired.openai().audio.transcriptions.create(model="whisper", file=audio)
    assert {"fire", "safety", "employee", "exit"} <= _words(result.text)


def test_builtin_model_answers_the_azure_client_with_segments_and_words(wired: Wired) -> None:
    with FIRST_AID.open("rb") as audio:
        result = wired.azure().audio.transcriptions.create(
            model="whisper",
            file=audio,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
    assert {"first", "aid", "safe", "help"} <= _words(result.text)
    assert result.duration and 8 < result.duration < 14
    segments, words = result.segments or [], result.words or []
    assert segments and all(0 <= s.start < s.end <= result.duration + 0.5 for s in segments)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert "aid" in {w.word.strip(".,").lower() for w in words}


@pytest.mark.parametrize("response_format", ["text", "srt", "vtt"])
def test_text_srt_and_vtt_formats(wired: Wired, response_format: str) -> None:
    with FIRE.open("rb") as audio:
        body = wired.openai().audio.transcriptions.create(
            model="whisper",
            file=audio,
            response_format=response_format,  # type: ignore[call-overload]
        )
    text = str(body)
    assert "exit" in text.lower()
    if response_format == "srt":
        assert text.startswith("1\n00:00:00,000 --> 00:00:0")
    if response_format == "vtt":
        assert text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:0")


def test_models_say_the_builtin_model_is_english_only(wired: Wired) -> None:
    card = {m.id: m for m in wired.openai().models.list()}["whisper"]
    tutela = (card.model_extra or {})["tutela"]
    assert tutela["transcription"] is True and tutela["languages"] == ["en"]
    assert "English only" in tutela["limitations"]


# --- bad input: each refused with a precise 400, nothing crashes --------------------------------------------


SPOKEN = {"file": ("a.wav", FIRE.read_bytes())}
BAD_INPUT: dict[str, tuple[dict[str, Any], dict[str, str], str, str]] = {
    "renamed-text": ({"file": ("notes.mp3", b"some text\n" * 50)}, {}, "invalid_audio", "not audio"),
    "empty": ({"file": ("empty.wav", b"")}, {}, "invalid_request", "empty"),
    "german": (SPOKEN, {"language": "de"}, "unsupported_language", "English only"),
    "too-long": (SPOKEN, {"model": "whisper-short"}, "audio_too_long", "2 seconds"),
    "no-file": ({"other": ("a.wav", b"x")}, {}, "invalid_request", "'file'"),
    "bad-format": (SPOKEN, {"response_format": "xml"}, "invalid_request", "response_format"),
    "bad-temperature": (SPOKEN, {"temperature": "hot"}, "invalid_request", "number"),
    "chat-model": (SPOKEN, {"model": "extractive"}, "unsupported_operation", "transcriptions"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_gets_a_precise_400(wired: Wired, case: str) -> None:
    files, data, code, words = BAD_INPUT[case]
    response = wired.post(files, {"model": "whisper", **data})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"]


def test_a_json_or_broken_body_is_refused_with_how_to_send_audio(wired: Wired) -> None:
    with wired.platform.client(wired.key) as client:
        response = client.post("/v1/audio/transcriptions", json={"model": "whisper"})
    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["error"]["message"]
    with wired.platform.client(wired.key) as client:
        broken = client.post(
            "/v1/audio/transcriptions",
            content=b"garbage",
            headers={"content-type": "multipart/form-data; boundary=abc"},
        )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_multipart"


def test_silence_and_noise_give_an_empty_or_short_transcript(wired: Wired) -> None:
    for audio in (_wav(3), _wav(3, noise=True)):
        response = wired.post({"file": ("quiet.wav", audio)}, {"model": "whisper"})
        assert response.status_code == 200, response.text
        assert len(response.json()["text"].split()) <= 3


def test_a_truncated_recording_keeps_what_was_said_before_the_cut(wired: Wired) -> None:
    data = FIRE.read_bytes()
    response = wired.post({"file": ("cut.wav", data[: len(data) // 2])}, {"model": "whisper"})
    assert response.status_code == 200, response.text
    assert {"fire", "safety"} <= _words(response.json()["text"])


def test_a_file_claiming_ten_hours_is_answered_for_what_it_holds(wired: Wired) -> None:
    header = bytearray(_wav(0.5))
    # A wav header whose data chunk claims ten hours of samples (the body holds half a second).
    header[40:44] = (10 * 3600 * 16_000 * 2).to_bytes(4, "little")
    response = wired.post({"file": ("long.wav", bytes(header))}, {"model": "whisper"})
    assert response.status_code == 200, response.text
    assert response.json()["text"] == ""


def test_a_recording_over_the_body_limit_is_refused_before_it_is_read(wired: Wired) -> None:
    limit = wired.platform.runtime.settings.gateway.max_body_bytes
    response = wired.post({"file": ("huge.wav", b"\0" * (limit + 1))}, {"model": "whisper"})
    assert response.status_code == 413
    assert str(limit) in response.json()["error"]["message"]


# --- upstream providers ----------------------------------------------------------------------------------


def test_openai_upstream_gets_the_audio_as_multipart_and_the_client_its_format(wired: Wired) -> None:
    with FIRST_AID.open("rb") as audio:
        srt = wired.openai().audio.transcriptions.create(
            model="stt", file=audio, response_format="srt", language="en", prompt="First aid."
        )
    (sent,) = wired.upstream.requests
    form = sent.json
    assert sent.path == "/v1/audio/transcriptions"
    assert form["model"] == "whisper-1" and form["language"] == "en" and form["prompt"] == "First aid."
    assert form["response_format"] == "verbose_json"  # segments are needed to write srt
    assert form["sha256"] == hashlib.sha256(FIRST_AID.read_bytes()).hexdigest()
    assert form["filename"] == "first_aid.ogg"
    assert str(srt).startswith("1\n00:00:00,000 --> ") and "heard" in str(srt)


def test_azure_upstream_is_addressed_by_deployment_and_words_are_relayed(wired: Wired) -> None:
    wired.upstream.reply = "Check that the scene is safe"
    with FIRE.open("rb") as audio:
        result = wired.azure().audio.transcriptions.create(
            model="azure-stt", file=audio, response_format="verbose_json", timestamp_granularities=["word"]
        )
    (sent,) = wired.upstream.requests
    assert sent.path == "/openai/deployments/whisper-1/audio/transcriptions"
    assert sent.query["api-version"] == API_VERSION and "model" not in sent.json
    assert sent.json["timestamp_granularities[]"] == ["word"]
    assert [w.word for w in result.words or []] == ["Check", "that", "the", "scene", "is", "safe"]


def test_azure_v1_api_serves_transcriptions_too(wired: Wired) -> None:
    client = openai.OpenAI(base_url=f"{wired.platform.base_url}/openai/v1/", api_key=wired.key, max_retries=0)
    wired.upstream.reply = "Azure v1 works"
    text = client.audio.transcriptions.create(
        model="stt", file=("a.wav", FIRE.read_bytes()), response_format="text"
    )
    assert str(text).strip() == "Azure v1 works"


def test_upstream_failures_reach_the_client_as_openai_errors(wired: Wired) -> None:
    client = wired.openai()
    wired.upstream.fail(Fault.http(401, {"error": {"message": "Incorrect API key provided: {key}"}}))
    with pytest.raises(openai.APIStatusError) as auth:
        client.audio.transcriptions.create(model="stt", file=("a.wav", FIRE.read_bytes()))
    assert auth.value.status_code == 502 and wired.upstream.api_key not in auth.value.response.text
    wired.upstream.fail(Fault("bad_shape"))
    with pytest.raises(openai.APIStatusError) as shape:
        client.audio.transcriptions.create(model="stt", file=("a.wav", FIRE.read_bytes()))
    assert shape.value.response.json()["error"]["code"] == "upstream_bad_response"
    # The upstream's own refusal of a file it cannot read is passed on as a 400.
    with pytest.raises(openai.BadRequestError, match="Invalid file format"):
        client.audio.transcriptions.create(model="stt", file=("notes.txt", b"hello"))
    # A 503 is retried, then the transcription succeeds.
    wired.upstream.fail(Fault.http(503))
    assert client.audio.transcriptions.create(model="stt", file=("a.wav", FIRE.read_bytes())).text


# --- content filter, monitoring, and nothing of the audio kept --------------------------------------------


def test_a_harmful_transcript_is_refused_by_the_content_filter(wired: Wired) -> None:
    wired.upstream.reply = HARMFUL
    with pytest.raises(openai.BadRequestError) as refused:
        wired.openai().audio.transcriptions.create(model="stt", file=("a.wav", FIRE.read_bytes()))
    error = refused.value.response.json()["error"]
    assert error["code"] == "content_filter" and "transcript" in error["message"]
    assert error["innererror"]["content_filter_result"]["self_harm"]["filtered"] is True


def test_the_transcript_is_sealed_for_monitoring_and_the_audio_is_never_stored(wired: Wired) -> None:
    audio = FIRST_AID.read_bytes()
    response = wired.post({"file": ("first_aid.ogg", audio)}, {"model": "whisper"})
    assert response.status_code == 200
    transcript = response.json()["text"]
    request_id = response.headers["x-request-id"]
    runtime = wired.platform.runtime
    flush(runtime)
    sealed = rows(runtime, wired.org_id, "SELECT sealed_content FROM monitoring_records WHERE org_id = :org")
    assert sealed and all(transcript.encode() not in bytes(row[0]) for row in sealed)
    with runtime.region_session(wired.org_id) as db:
        record = monitoring.get_record(
            db,
            org_id=wired.org_id,
            resource_id=_resource_id(wired),
            request_id=request_id,
        )
        assert monitoring.decrypt(runtime, record)["completion"] == [transcript]
    probe = audio[len(audio) // 2 : len(audio) // 2 + 64]
    for path in wired.data_dir.rglob("*"):
        if path.is_file():
            assert probe not in path.read_bytes(), path


def _resource_id(wired: Wired) -> str:
    with wired.platform.runtime.region_session(wired.org_id) as db:
        resource = resources.find_resource(db, org_id=wired.org_id, name="default")
        assert resource is not None
        return resource.id
