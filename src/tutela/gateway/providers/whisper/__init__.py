"""The built-in offline speech-to-text provider (see provider.py)."""

from tutela.gateway.providers.whisper.provider import WhisperProvider

__all__ = ["WhisperProvider"]
