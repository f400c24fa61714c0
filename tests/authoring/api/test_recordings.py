"""Authoring from a recording over HTTP, as an author meets it: upload audio → transcription job (the real
built-in Whisper, through the gateway) → transcript → correction → module whose lessons and questions cite
time ranges → the recording played to those allowed to see it → deletion that destroys its keys.
"""

from __future__ import annotations

import re
from typing import Any

from tests.authoring.api.recordings import encode, lecture_pcm, transcribed, upload_recording
from tests.authoring.api.support import (
    INJECTION,
    assert_destroyed,
    new_org,
    object_ids_of_module,
    ok,
    raw_objects,
    upload,
    wait_for,
)
from tests.support.platform import Platform
from tutela.authoring.generation.checks import quote_in_text
from tutela.authoring.recordings.speech import BUILTIN_NOTE


def _citations(content: dict[str, Any]) -> list[dict[str, Any]]:
    lessons = [
        c for chapter in content["chapters"] for lesson in chapter["lessons"] for c in lesson["citations"]
    ]
    return lessons + [q["citation"] for q in content["questions"]]


_PAGE_WORDS = re.compile(r"\bp(?:ages?)?\.?\s*\d", re.IGNORECASE)  # "page 3", "Pages 1–10", "p. 4"
_SPAN = re.compile(r"\d+:\d\d–\d+:\d\d")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_a_recording_becomes_a_module_that_cites_time_ranges(platform: Platform) -> None:
    org = new_org(platform)
    author, learner = platform.client(org.author), platform.client(org.learner)
    data = encode(lecture_pcm(), "ipod", "aac")  # an m4a, about 40 seconds
    doc = ok(upload_recording(author, "Safety briefing.m4a", data), 201)
    assert doc["kind"] == "recording" and doc["media_type"] == "audio/mp4" and doc["has_pdf"] is True
    assert 38 < doc["duration_seconds"] < 45 and doc["transcription_job_id"]
    job, seen = wait_for(author, doc["transcription_job_id"], timeout=300)
    assert job["status"] == "succeeded", job["error"]
    assert job["kind"] == "transcribe" and ("transcribing", 99) not in seen[:1]

    transcript = transcribed(author, doc["id"])
    assert transcript["status"] == "ready" and transcript["builtin_model"] is True
    assert transcript["note"] == BUILTIN_NOTE and "English only" in transcript["note"]
    segments = transcript["segments"]
    heard = _words(" ".join(s["text"] for s in segments))
    assert {"fire", "safety", "first", "aid", "exit", "emergency"} <= heard, heard
    # Time spans run forward through the whole recording, past the first 30-second part.
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts) and segments[-1]["end"] > 30 and segments[0]["start"] < 5
    assert all(s["start"] <= s["end"] for s in segments)

    # The author corrects one segment; the time spans stay as they were.
    texts = [{"text": s["text"]} for s in segments]
    texts[0] = {"text": "First aid basics, as taught by Tutela."}
    corrected = ok(author.put(f"/api/documents/{doc['id']}/transcript", json={"segments": texts}))
    assert corrected["segments"][0]["text"] == "First aid basics, as taught by Tutela."
    assert [(s["start"], s["end"]) for s in corrected["segments"]] == [
        (s["start"], s["end"]) for s in segments
    ]
    wrong = author.put(f"/api/documents/{doc['id']}/transcript", json={"segments": texts[:1]})
    assert wrong.status_code == 400 and f"has {len(segments)} segments" in wrong.json()["error"]["message"]

    job = ok(author.post("/api/modules", json={"document_id": doc["id"]}), 202)
    done, _ = wait_for(author, job["id"], timeout=300)
    assert done["status"] == "succeeded", done["error"]
    module = ok(author.get(f"/api/modules/{done['module_id']}"))
    spans = {i + 1: (s["start"], s["end"], s["text"]) for i, s in enumerate(corrected["segments"])}
    citations = _citations(module["content"])
    assert citations and module["content"]["questions"]
    for citation in citations:
        start, end, text = spans[citation["page"]]
        assert (citation["start"], citation["end"]) == (start, end)
        assert quote_in_text(citation["quote"], text)
    assert ok(author.get(f"/api/modules/{done['module_id']}/checks"))["errors"] == 0
    # Nothing shown to people speaks of pages: titles (the built-in model names an untitled stretch by its
    # pages) and the job's notes name time spans; the GIFT and Moodle XML exports cite moments.
    content = module["content"]
    titles = [c["title"] for c in content["chapters"]]
    titles += [le["title"] for c in content["chapters"] for le in c["lessons"]]
    shown = [*titles, *done["warnings"]]
    assert not [t for t in shown if _PAGE_WORDS.search(t)], shown
    assert any(_SPAN.fullmatch(t) for t in titles), titles
    for fmt in ("gift", "moodle_xml"):
        exported = author.get(f"/api/modules/{done['module_id']}/export", params={"format": fmt})
        assert exported.status_code == 200, exported.text
        feedback = re.findall(r"Source\\?: ([^“]*)", exported.text)
        assert feedback and all(_SPAN.fullmatch(f.replace("\\", "").rstrip(": ")) for f in feedback), feedback

    # The recording plays for its author, seekable by byte range; a learner of an unpublished module gets 404.
    whole = author.get(f"/api/documents/{doc['id']}/recording")
    assert whole.status_code == 200 and whole.content == data and whole.headers["accept-ranges"] == "bytes"
    part = author.get(f"/api/documents/{doc['id']}/recording", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert learner.get(f"/api/documents/{doc['id']}/recording").status_code == 404
    assert learner.get(f"/api/documents/{doc['id']}/transcript").status_code == 404

    # Deleting the module deletes the recording and its transcript: blobs gone, keys destroyed.
    ids = object_ids_of_module(platform, org.org_id, done["module_id"])
    assert ids["pdf"] and ids["extraction"]
    stored = raw_objects(platform, org.org_id, [i for i in ids.values() if i])
    assert data not in stored[2].blob.read_bytes()  # sealed: the raw blob is not the recording
    ok(author.delete(f"/api/modules/{done['module_id']}"), 204)
    assert_destroyed(platform, org.org_id, stored)
    assert author.get(f"/api/documents/{doc['id']}/recording").status_code == 404


def test_a_pdf_has_no_transcript_and_no_recording(platform: Platform) -> None:
    org = new_org(platform)
    with platform.client(org.author) as author:
        doc = ok(upload(author, INJECTION), 201)
        assert doc["kind"] == "pdf" and doc["media_type"] == "application/pdf"
        refused = author.get(f"/api/documents/{doc['id']}/transcript")
        assert refused.status_code == 400 and refused.json()["error"]["message"] == (
            "this document is a PDF, not a recording"
        )
        assert author.get(f"/api/documents/{doc['id']}/recording").status_code == 404
