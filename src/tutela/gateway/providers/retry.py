"""When and how long to wait before retrying an upstream call."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter; ``Retry-After`` wins when the upstream sends one."""

    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    # A longer Retry-After is not waited out: the 429/503 goes to the client with the hint.
    max_retry_after: float = 20.0

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float | None:
        """Seconds to wait before retry number ``attempt`` (0-based), or ``None`` to give up."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        cap = min(self.backoff_max, self.backoff_base * 2.0**attempt)
        # "Equal jitter": at least half the backoff, so retries never stampede at ~0 s.
        return cap / 2 + rng() * cap / 2


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Read ``retry-after-ms`` (OpenAI) or ``Retry-After`` (seconds or HTTP date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
