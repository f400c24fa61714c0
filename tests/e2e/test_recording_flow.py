"""Authoring from a recording in a real browser: the author uploads an m4a made from the espeak-ng clips,
follows the transcription, reads the note on the built-in model, corrects a segment beside the player,
generates, and on the review page a citation shows its time range with a player cued to it
(`#t=start,end`). Every page passes axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.authoring.api.recordings import encode, lecture_pcm
from tests.e2e.conftest import AUTHOR, ORG_SLUG
from tests.e2e.helpers import assert_accessible, shot, sign_in


def test_an_author_turns_a_recording_into_a_module_citing_moments(make_page: Callable[..., Page]) -> None:
    page = make_page()
    sign_in(page, ORG_SLUG, AUTHOR)
    page.goto("/author/new")
    expect(page.get_by_label("Language spoken in a recording")).to_have_value("en")
    expect(page.locator("#language-hint")).to_contain_text("English only")
    assert_accessible(page, "upload form")
    recording = encode(lecture_pcm(), "ipod", "aac")
    page.get_by_label("PDF file or recording").set_input_files(
        {"name": "Safety briefing.m4a", "mimeType": "audio/mp4", "buffer": recording}
    )
    page.get_by_role("button", name="Upload and generate").click()
    expect(page).to_have_url(re.compile(r"/author/recordings/[^/?#]+$"))
    document_id = page.url.rsplit("/", 1)[-1]

    # The page follows the transcription, then shows the transcript beside the recording.
    expect(page.get_by_role("heading", name="Read and correct the transcript")).to_be_visible(timeout=300_000)
    expect(page.locator("#speech-note")).to_contain_text("English only")
    expect(page.locator("audio")).to_have_attribute("src", f"/author/recordings/{document_id}/media")
    assert (
        page.evaluate(
            "async (url) => (await fetch(url, {headers: {Range: 'bytes=0-9'}})).status",
            f"/author/recordings/{document_id}/media",
        )
        == 206
    )
    assert_accessible(page, "transcript page")
    shot(page, "author-transcript")
    first = page.locator("textarea#segment-0")
    first.fill("First aid basics, as the trainer says.")
    page.get_by_role("button", name="Save corrections").click()
    expect(page.get_by_role("status")).to_have_text("Your corrections were saved.")
    expect(page.locator("textarea#segment-0")).to_have_value("First aid basics, as the trainer says.")

    page.get_by_role("button", name="Generate from this transcript").click()
    expect(page).to_have_url(re.compile(r"/author/jobs/"))
    draft = page.get_by_role("link", name="Review the draft")
    expect(draft).to_be_visible(timeout=300_000)
    draft.click()
    expect(page).to_have_url(re.compile(r"/author/modules/[^/?#]+"))

    # A citation names its moment in the recording and plays exactly that stretch.
    cite = page.locator("a.cite").first
    expect(cite).to_have_text(re.compile(r"^\d+:\d\d–\d+:\d\d$"))
    cite.click()
    expect(page.locator("#source-title")).to_have_text(re.compile(r"^\d+:\d\d–\d+:\d\d in the recording"))
    player = page.locator("#source-view audio")
    expect(player).to_have_attribute(
        "src", re.compile(rf"^/author/recordings/{document_id}/media#t=\d+(\.\d+)?,\d+(\.\d+)?$")
    )
    # No title, note or citation on the page speaks of pages (an untitled stretch is named by its span).
    expect(page.locator("main")).not_to_contain_text(re.compile(r"\b[Pp]ages? \d"))
    assert_accessible(page, "review page of a module made from a recording")
    shot(page, "author-review-recording")
    # Opened on a page of its own (no htmx), the cited moment is its heading and its title.
    source = cite.get_attribute("hx-get")
    assert source is not None
    page.goto(source)
    expect(page.locator("h1")).to_have_text(re.compile(r"^\d+:\d\d–\d+:\d\d in the recording$"))
    expect(page).to_have_title(re.compile(r"^\d+:\d\d–\d+:\d\d in the recording"))
    assert_accessible(page, "a cited moment of a recording on its own page")
