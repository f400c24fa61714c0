"""Refusals of the built-in speech model, each with one `code` and one line a caller can act on.

InvalidRequestError (400)
├── UnreadableAudio        invalid_audio          not audio or video any decoder here can read
├── AudioTooLong           audio_too_long         longer than the deployment's max_audio_seconds
├── LanguageNotSupported   unsupported_language   the built-in model is English-only
└── AudioDecodingFailed    audio_decoding_failed  the decoder ran out of time or memory
UpstreamUnavailableError (503)
└── SpeechModelUnavailable speech_model_unavailable  the model files are missing or fail their hash
"""

from __future__ import annotations

from tutela.gateway.wire.exceptions import InvalidRequestError, UpstreamUnavailableError


class UnreadableAudio(InvalidRequestError):
    """The file is not audio or video that can be decoded."""

    code = "invalid_audio"


class AudioTooLong(InvalidRequestError):
    """The recording is longer than this deployment transcribes in one request."""

    code = "audio_too_long"


class LanguageNotSupported(InvalidRequestError):
    """A language other than English was asked of the English-only built-in model."""

    code = "unsupported_language"


class AudioDecodingFailed(InvalidRequestError):
    """Decoding took longer or needed more memory than allowed."""

    code = "audio_decoding_failed"


class SpeechModelUnavailable(UpstreamUnavailableError):
    """The bundled speech model cannot be read, or a file does not match its pinned SHA-256."""

    code = "speech_model_unavailable"
