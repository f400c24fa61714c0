"""Bad recordings over HTTP: each is refused at upload, or its transcription ends, with one precise line.

Refused at upload (nothing stored): a renamed text file, a header claiming ten hours (checked before
decoding), an unknown codec, a video without sound, a cut-short m4a, a language the built-in model does not
speak. Refused by the transcription job: silence, noise. A cut-short wav is transcribed as far as it goes.
Another language goes to an upstream speech deployment when the organization has one.
"""

from __future__ import annotations

import struct
from typing import Any

import httpx
import numpy as np
import pytest

from tests.authoring.api.recordings import (
    encode,
    lecture_pcm,
    noise,
    silent_video,
    transcribed,
    upload_recording,
    wav,
)
from tests.authoring.api.support import INJECTION, count_rows, new_org, ok, upload
from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import Platform
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources


def _ten_hour_mp3() -> bytes:
    """Three seconds of mp3 whose Info header says it has ten hours of frames (576 samples each at 16 kHz)."""
    data = encode(lecture_pcm()[: 16_000 * 3], "mp3", "libmp3lame")
    at = data.find(b"Info") + 8
    return data[:at] + (10 * 3600 * 16_000 // 576).to_bytes(4, "big") + data[at + 4 :]


def _unknown_codec() -> bytes:
    """A WAV whose format tag names no codec anyone knows (0x1234)."""
    fmt = struct.pack("<IHHIIHH", 16, 0x1234, 1, 16_000, 32_000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + 32_000)
        + b"WAVEfmt "
        + fmt
        + b"data"
        + struct.pack("<I", 32_000)
        + bytes(32_000)
    )


def _refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["param"] == "file", error
    return str(error["message"])


def test_bad_recordings_are_refused_at_upload_with_a_precise_message(platform: Platform) -> None:
    org = new_org(platform)
    with platform.client(org.author) as author:
        text = _refused(
            upload_recording(author, "talk.mp3", b"Meeting notes: nothing to hear.\n" * 40),
            400,
            "unsupported_file",
        )
        assert (
            text.startswith("This file is neither a PDF nor a recording")
            and "wav, mp3, m4a, ogg, webm or mp4" in text
        )
        assert _refused(upload_recording(author, "day.mp3", _ten_hour_mp3()), 422, "recording_too_long") == (
            "This recording lasts 10 h 00 min; the limit is 2 h 00 min. Cut it into parts."
        )
        codec = _refused(upload_recording(author, "odd.wav", _unknown_codec()), 422, "unsupported_codec")
        assert "convert it to mp3, m4a (AAC), ogg (Opus or Vorbis) or wav" in codec
        mute = _refused(upload_recording(author, "screen.mp4", silent_video()), 422, "no_sound")
        assert mute == "This video has no sound track, so there is nothing to transcribe."
        m4a = encode(lecture_pcm(), "mp4", "aac")
        cut = _refused(upload_recording(author, "cut.m4a", m4a[: len(m4a) // 2]), 422, "broken_recording")
        assert cut.startswith("This recording is damaged or cut short")
        german = _refused(
            upload_recording(author, "talk.wav", wav(lecture_pcm()), language="de"),
            422,
            "unsupported_language",
        )
        assert "understands English only" in german and "'de'" in german
    assert count_rows(platform, org.org_id, "authoring_documents", "org_id", org.org_id) == 0


def test_a_recording_is_refused_up_front_while_ai_is_off_or_when_over_the_size_limit(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AI off: refused as generation is, before the file is probed or stored. Too large: its size in MB,
    worded for a recording (an oversized PDF is still "This PDF is …")."""
    org = new_org(platform)
    data = wav(lecture_pcm())  # about 1.2 MB
    with platform.client(org.admin) as admin, platform.client(org.author) as author:
        pdf = ok(upload(author, INJECTION), 201)
        ok(admin.patch("/api/org", json={"ai_enabled": False}))
        generation = author.post("/api/modules", json={"document_id": pdf["id"]})
        assert generation.status_code == 403, generation.text
        off = upload_recording(author, "talk.wav", data)
        assert off.status_code == 403, off.text
        assert off.json()["error"]["code"] == generation.json()["error"]["code"] == "ai_disabled"
        assert off.json()["error"]["message"] == generation.json()["error"]["message"]
        assert off.json()["error"]["message"] == "AI features are switched off for this organization"
        assert [d["kind"] for d in ok(author.get("/api/documents"))] == ["pdf"]  # nothing kept
        ok(admin.patch("/api/org", json={"ai_enabled": True}))

        monkeypatch.setenv("TUTELA_AUTHORING__MAX_UPLOAD_BYTES", str(1024 * 1024))
        big = upload_recording(author, "talk.wav", data)
        assert big.status_code == 413, big.text
        assert big.json()["error"]["code"] == "too_large" and big.json()["error"]["param"] == "file"
        assert big.json()["error"]["message"] == (
            f"This recording is {len(data) / 2**20:.1f} MB; the limit is 1 MB. Cut it into parts, or upload "
            "only its sound (mp3 or m4a)."
        )
        big_pdf = upload(author, INJECTION, data=b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024 // 2))
        assert big_pdf.json()["error"]["message"] == "This PDF is 1.5 MB; the limit is 1 MB."
    assert count_rows(platform, org.org_id, "authoring_documents", "org_id", org.org_id) == 1


def test_silence_and_noise_end_their_transcription_with_a_precise_message(platform: Platform) -> None:
    org = new_org(platform)
    with platform.client(org.author) as author:
        silent = ok(upload_recording(author, "silent.wav", wav(np.zeros(16_000 * 20, dtype=np.int16))), 201)
        hiss = ok(upload_recording(author, "hiss.ogg", encode(noise(12), "ogg", "libopus", rate=48_000)), 201)
        for doc, expected in (
            (
                silent,
                "This recording is silent: no sound was found in it, so there is nothing to transcribe.",
            ),
            (hiss, "No speech was found in this recording"),
        ):
            transcript = transcribed(author, doc["id"])
            assert transcript["status"] == "failed" and transcript["segments"] == []
            assert transcript["job"]["error"]["code"] == "no_speech"
            assert transcript["job"]["error"]["message"].startswith(expected)
            refused = author.post("/api/modules", json={"document_id": doc["id"]})
            assert refused.status_code == 409 and refused.json()["error"]["code"] == "transcript_not_ready"


def test_a_cut_short_wav_is_transcribed_as_far_as_it_goes(platform: Platform) -> None:
    org = new_org(platform)
    whole = wav(lecture_pcm())
    with platform.client(org.author) as author:
        doc = ok(upload_recording(author, "cut.wav", whole[: len(whole) // 4]), 201)
        transcript = transcribed(author, doc["id"])
        assert transcript["status"] == "ready", transcript["job"]
        assert transcript["segments"][-1]["end"] <= len(whole) // 4 / 32_000 + 0.5
        assert "first" in " ".join(s["text"] for s in transcript["segments"]).lower()


def test_another_language_goes_to_the_upstream_speech_deployment(platform: Platform) -> None:
    org = new_org(platform)
    with FakeUpstream.running(deployments=("whisper-1",)) as upstream:
        upstream.reply = "Erste Hilfe: zuerst die Umgebung sichern."
        with platform.runtime.region_session(org.org_id) as db:
            resource = resources.find_resource(db, org_id=org.org_id, name="default")
            assert resource is not None
            deployments.create(
                platform.runtime,
                db,
                registry=default_registry(plugins=False),
                org_id=org.org_id,
                resource_id=resource.id,
                name="speech-upstream",
                provider="openai",
                model="whisper-1",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
            )
        with platform.client(org.author) as author:
            doc = ok(
                upload_recording(author, "erste_hilfe.wav", wav(lecture_pcm()[: 16_000 * 8]), language="de"),
                201,
            )
            transcript = transcribed(author, doc["id"])
    assert transcript["status"] == "ready", transcript["job"]
    assert (
        transcript["builtin_model"] is False and transcript["note"] is None and transcript["language"] == "de"
    )
    assert [s["text"] for s in transcript["segments"]] == ["Erste Hilfe: zuerst die Umgebung sichern."]
    (sent,) = upstream.requests  # eight seconds: one part
    assert sent.path == "/v1/audio/transcriptions"
    assert (
        sent.json["language"] == "de"
        and sent.json["model"] == "whisper-1"
        and sent.json["filename"] == "part.wav"
    )
