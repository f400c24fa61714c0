"""Encryption errors.

TutelaError
└── CryptoError                 500
    ├── KeyFileError            the service key file is missing, unreadable or malformed
    │   └── ServiceKeyMissing   the file is gone while a database holds data made with it
    ├── DataKeyDestroyed        410 — the key was shredded: the data is gone for good
    └── DecryptionFailed        the ciphertext or its binding (owner, scope) does not match
"""

from __future__ import annotations

from tutela.errors import TutelaError


class CryptoError(TutelaError):
    """Base of encryption errors."""

    status_code = 500
    code = "crypto_error"


class KeyFileError(CryptoError):
    """The service key file cannot be used."""

    code = "key_file_error"


class ServiceKeyMissing(KeyFileError):
    """The service key file is missing although a database holds data made with it: never replaced."""

    code = "service_key_missing"


class DataKeyDestroyed(CryptoError):
    """The data key no longer exists, so neither does the data it protected."""

    status_code = 410
    code = "data_key_destroyed"


class DecryptionFailed(CryptoError):
    """Authentication of the ciphertext failed: tampered, or bound to another owner."""

    code = "decryption_failed"
