"""Why an upload was refused; each message is one line a user can act on.

    IngestError
    ├── NotAPdf
    ├── PdfTooLarge
    ├── TooManyPages
    ├── PdfPasswordRequired
    ├── PdfWrongPassword
    ├── NoTextLayer
    ├── BrokenPdf
    ├── NotARecording           an upload that is neither a PDF nor audio or video in a format read here
    ├── NoSoundTrack
    ├── RecordingTooLong        checked from the container's header, before any decoding
    ├── UnsupportedCodec
    ├── BrokenRecording
    ├── IngestTimeout
    ├── IngestMemoryExceeded
    └── ParserBusy              not the file's fault: every parse slot is taken and the line is full

The parsing child reports a refusal by `code`; `error_for_code` rebuilds the same exception in the caller.
"""

from __future__ import annotations

from typing import ClassVar

_MB = 1024 * 1024


class IngestError(Exception):
    """Base of every refusal to ingest a document."""

    code: ClassVar[str] = "ingest_error"
    default_message: ClassVar[str] = "This document could not be read."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        """The one-line text to show the user."""
        return str(self.args[0])


class NotAPdf(IngestError):
    code = "not_a_pdf"
    default_message = "This file is not a PDF; export or save the document as PDF and upload it again."


class PdfTooLarge(IngestError):
    code = "too_large"
    default_message = "This PDF is larger than the upload limit."

    @classmethod
    def for_size(cls, size: int, limit: int) -> PdfTooLarge:
        """Refusal naming the file's size and the limit, in MB."""
        return cls(f"This PDF is {size / _MB:.1f} MB; the limit is {limit / _MB:.0f} MB.")


class RecordingTooLarge(IngestError):
    code = "too_large"
    default_message = "This recording is larger than the upload limit."

    @classmethod
    def for_size(cls, size: int, limit: int) -> RecordingTooLarge:
        """Refusal naming the file's size and the limit, in MB, and what to upload instead."""
        return cls(
            f"This recording is {size / _MB:.1f} MB; the limit is {limit / _MB:.0f} MB. Cut it into parts, "
            "or upload only its sound (mp3 or m4a)."
        )


class TooManyPages(IngestError):
    code = "too_many_pages"
    default_message = "This PDF has more pages than the limit."

    @classmethod
    def for_count(cls, pages: int, limit: int) -> TooManyPages:
        """Refusal naming the page count and the limit."""
        return cls(f"This PDF has {pages} pages; the limit is {limit} pages.")


class PdfPasswordRequired(IngestError):
    code = "password_required"
    default_message = "This PDF is password-protected; enter its password or upload an unprotected copy."


class PdfWrongPassword(IngestError):
    code = "wrong_password"
    default_message = "The password for this PDF is not correct; check it and try again."


class NoTextLayer(IngestError):
    code = "no_text"
    default_message = (
        "This PDF contains no selectable text; OCR is not available, so upload a PDF exported with its text."
    )


class BrokenPdf(IngestError):
    code = "broken"
    default_message = "This PDF is damaged or unreadable; export it again from the original application."


RECORDING_FORMATS = "wav, mp3, m4a, ogg, webm or mp4"


class NotARecording(IngestError):
    code = "unsupported_file"
    default_message = (
        f"This file is neither a PDF nor a recording that can be read; upload a PDF, or audio or video as "
        f"{RECORDING_FORMATS}."
    )


class NoSoundTrack(IngestError):
    code = "no_sound"
    default_message = "This video has no sound track, so there is nothing to transcribe."


class RecordingTooLong(IngestError):
    code = "recording_too_long"
    default_message = "This recording is longer than the limit."

    @classmethod
    def lasting(cls, seconds: float, limit: float) -> RecordingTooLong:
        """Refusal naming the recording's length and the limit."""
        return cls(f"This recording lasts {clock(seconds)}; the limit is {clock(limit)}. Cut it into parts.")


class UnsupportedCodec(IngestError):
    code = "unsupported_codec"
    default_message = "The sound of this recording is in a format that cannot be decoded here."

    @classmethod
    def named(cls, codec: str) -> UnsupportedCodec:
        """Refusal naming the codec."""
        return cls(
            f"The sound of this recording is encoded as '{codec}', which cannot be decoded here; convert it "
            "to mp3, m4a (AAC), ogg (Opus or Vorbis) or wav and upload it again."
        )


class BrokenRecording(IngestError):
    code = "broken_recording"
    default_message = (
        "This recording is damaged or cut short and cannot be read; export it again from the original "
        "application, or upload the complete file."
    )


class IngestTimeout(IngestError):
    code = "timeout"
    default_message = "Reading this file took too long and was stopped."

    @classmethod
    def after(cls, seconds: float) -> IngestTimeout:
        """Refusal naming the time limit."""
        return cls(f"Reading this file took longer than {seconds:g} seconds and was stopped.")


class IngestMemoryExceeded(IngestError):
    code = "memory"
    default_message = "Reading this file needed too much memory and was stopped."

    @classmethod
    def beyond(cls, limit: int) -> IngestMemoryExceeded:
        """Refusal naming the memory limit in MB."""
        return cls(f"Reading this file needed more than {limit / _MB:.0f} MB of memory and was stopped.")


class ParserBusy(IngestError):
    code = "busy"
    default_message = "Too many documents are being read right now; try again in a minute."

    def __init__(self, message: str | None = None, *, retry_after: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


_BY_CODE: dict[str, type[IngestError]] = {
    cls.code: cls
    for cls in (
        NotAPdf,
        PdfTooLarge,
        TooManyPages,
        PdfPasswordRequired,
        PdfWrongPassword,
        NoTextLayer,
        BrokenPdf,
        NotARecording,
        NoSoundTrack,
        RecordingTooLong,
        UnsupportedCodec,
        BrokenRecording,
        IngestTimeout,
        IngestMemoryExceeded,
    )
}


def clock(seconds: float) -> str:
    """A length as people say it: "1 h 05 min", "4 min 09 s", "12 s"."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def error_for_code(code: str, message: str | None) -> IngestError:
    """Rebuild a refusal reported by the parsing child; unknown codes count as a broken file."""
    cls = _BY_CODE.get(code, BrokenPdf)
    # A message from the child is kept only if it is one line, so a stray traceback never reaches a user.
    if message is not None and ("\n" in message or len(message) > 300):
        message = None
    return cls(message)
