"""Validation of blob keys and prefixes, shared by every backend."""

from __future__ import annotations

import re

from tutela.storage.exceptions import InvalidBlobKey

# S3's limit on key length; also keeps local paths well under PATH_MAX.
MAX_KEY_BYTES = 1024
# Most filesystems cap a single path component at 255 bytes.
MAX_SEGMENT_BYTES = 255

# A conservative charset that means the same thing on S3 and on disk: no '#' (obstore's
# local backend reserves 'name#N' for staging files), no '\\', no spaces or control
# characters, and no leading '.' (rules out '.', '..' and hidden files).
_SEGMENT = re.compile(r"[A-Za-z0-9_=+@~-][A-Za-z0-9._=+@~-]*")


def _show(value: str) -> str:
    """Render a possibly hostile value safely and briefly for an error message."""
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _check_segments(kind: str, value: str) -> None:
    if len(value.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidBlobKey(f"invalid blob {kind} {_show(value)}: longer than {MAX_KEY_BYTES} bytes")
    if value.startswith("/"):
        raise InvalidBlobKey(f"invalid blob {kind} {_show(value)}: must be relative (no leading '/')")
    for segment in value.split("/"):
        if not segment:
            raise InvalidBlobKey(f"invalid blob {kind} {_show(value)}: empty path segment")
        if segment in {".", ".."}:
            raise InvalidBlobKey(f"invalid blob {kind} {_show(value)}: segment {segment!r} is not allowed")
        if len(segment) > MAX_SEGMENT_BYTES:
            raise InvalidBlobKey(
                f"invalid blob {kind} {_show(value)}: a segment is longer than {MAX_SEGMENT_BYTES} bytes"
            )
        if not _SEGMENT.fullmatch(segment):
            raise InvalidBlobKey(
                f"invalid blob {kind} {_show(value)}: segment {_show(segment)} must match {_SEGMENT.pattern}"
            )


def validate_key(key: str) -> str:
    """Return `key` unchanged if it is a safe relative blob key, else raise InvalidBlobKey."""
    if not isinstance(key, str):
        raise InvalidBlobKey(f"invalid blob key {key!r}: expected str, got {type(key).__name__}")
    if not key:
        raise InvalidBlobKey("invalid blob key '': must not be empty")
    _check_segments("key", key)
    return key


def validate_prefix(prefix: str) -> str:
    """Return the normalised prefix ('' means everything; one trailing '/' is dropped)."""
    if not isinstance(prefix, str):
        raise InvalidBlobKey(f"invalid blob prefix {prefix!r}: expected str, got {type(prefix).__name__}")
    trimmed = prefix[:-1] if prefix.endswith("/") and prefix != "/" else prefix
    if trimmed:
        _check_segments("prefix", trimmed)
    return trimmed
