"""Authoring errors."""

from __future__ import annotations

from tutela.errors import Conflict, InvalidInput, PayloadTooLarge, Unavailable


class DocumentRefused(InvalidInput):
    """Ingest refused the upload; the message is ingest's one line, the code its reason."""

    status_code = 422
    code = "document_refused"

    def __init__(self, message: str, *, code: str, status_code: int = 422) -> None:
        super().__init__(message, param="file")
        self.code = code
        self.status_code = status_code


class UploadTooLarge(PayloadTooLarge):
    """The upload is over the configured limit."""

    code = "too_large"


class WrongState(Conflict):
    """The module is not in a state that allows this."""

    code = "wrong_state"


class ChecksFailed(Conflict):
    """The module's checks have errors; only an admin with a written reason may publish it."""

    code = "checks_failed"


class SourceUnavailable(Conflict):
    """The source document (or its PDF) has been deleted."""

    code = "source_deleted"


class TranscriptNotReady(Conflict):
    """A recording has no transcript yet (still transcribing, or its transcription failed)."""

    code = "transcript_not_ready"


class ReadingBusy(Unavailable):
    """Every parse slot is taken and the line of waiting uploads is full: try again after Retry-After."""

    code = "busy"


class NothingLeft(Conflict):
    """Every lesson of the module was rejected: there is nothing to publish."""

    code = "nothing_left"
