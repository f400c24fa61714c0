"""`VerdictCache`: recent classifier verdicts, keyed by a keyed hash of the text; the text is never kept.

The product sends the same text again and again (a document's passages go with every lesson and question
call of a generation job, a system prompt with every chat turn), so the classifier remembers the scores of
the last `capacity` texts it saw. A key is HMAC-SHA-256 of the text under a random key made when the cache
is (per process, never written anywhere), so a key cannot be matched against a guessed text outside the
process; values are `SafetyScores` (numbers and flags only). Least recently used entries go first.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections import OrderedDict

from tutela.gateway.safety.scores import SafetyScores

DEFAULT_CAPACITY = 4096


class VerdictCache:
    """A thread-safe LRU map from a keyed hash of (mode, text) to that text's scores."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._secret = os.urandom(32)
        self._entries: OrderedDict[bytes, SafetyScores] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, text: str, *, thorough: bool) -> bytes:
        """The entry key of a text: a 32-byte keyed digest (thorough and gateway scores kept apart)."""
        mode = b"T" if thorough else b"G"
        return hmac.new(self._secret, mode + text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def get(self, key: bytes) -> SafetyScores | None:
        """The scores stored under `key`, now the most recently used, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: bytes, scores: SafetyScores) -> None:
        """Remember `scores` under `key`, forgetting the least recently used entry when full."""
        with self._lock:
            self._entries[key] = scores
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def entries(self) -> list[tuple[bytes, SafetyScores]]:
        """A copy of every (key, scores) pair, oldest first (for tests and diagnostics)."""
        with self._lock:
            return list(self._entries.items())

    def clear(self) -> None:
        """Forget every verdict."""
        with self._lock:
            self._entries.clear()
