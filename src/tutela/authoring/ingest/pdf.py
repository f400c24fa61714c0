"""extract_pdf: an uploaded PDF in, an ExtractedDocument out, or a refusal a user can read."""

from __future__ import annotations

import json
import threading

from pydantic import ValidationError

from tutela.core.language import detect_language, load_language_model, sample_text

from .document import ExtractedDocument
from .exceptions import BrokenPdf, NotAPdf, PdfTooLarge, error_for_code
from .limits import IngestLimits
from .sandbox import run_isolated

# The spec puts "%PDF-" first, but readers accept it within the first KiB and so do real files.
_MAGIC = b"%PDF-"
_MAGIC_WINDOW = 1024


def _check_upload(data: bytes, limits: IngestLimits) -> None:
    if len(data) > limits.max_bytes:
        raise PdfTooLarge.for_size(len(data), limits.max_bytes)
    if _MAGIC not in data[:_MAGIC_WINDOW]:
        raise NotAPdf()


def _request(data: bytes, password: str | None, limits: IngestLimits) -> bytes:
    # The password travels on the pipe, never on the command line where other users could see it.
    header = json.dumps({"password": password, "max_pages": limits.max_pages}).encode()
    return len(header).to_bytes(4, "big") + header + data


def extract_pdf(data: bytes, *, password: str | None = None, limits: IngestLimits) -> ExtractedDocument:
    """Extract pages, paragraphs, headings, title and language from a PDF, parsing it in a sandboxed child."""
    _check_upload(data, limits)
    # The language model takes seconds to load the first time: load it while the child parses.
    loading = threading.Thread(target=load_language_model, name="language-model", daemon=True)
    loading.start()
    try:
        answer_bytes = run_isolated(_request(data, password, limits), limits)
    finally:
        loading.join()
    try:
        answer = json.loads(answer_bytes)
        if not answer.get("ok"):
            raise error_for_code(str(answer.get("code")), answer.get("message"))
        document = ExtractedDocument.model_validate(answer["document"])
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as error:
        raise BrokenPdf() from error
    language = detect_language(sample_text(paragraph.text for paragraph in document.paragraphs))
    return document.model_copy(update={"language": language})
