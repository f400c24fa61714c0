"""Errors raised by the built-in content-safety classifier."""

from __future__ import annotations


class SafetyError(Exception):
    """Base class for content-safety classifier errors."""


class SafetyModelError(SafetyError):
    """The packaged safety model artifact is missing, corrupted or incompatible."""
