"""Load balancing and fallbacks across a deployment's targets, with a circuit breaker per target.

A deployment may name weighted targets and ordered fallbacks, all deployments of the same AI resource (so
of the same organization and region: residency holds whatever is named). Each request tries, in order:
one target drawn by weight (the deployment itself when it names none), the other targets by weight, then
the fallbacks. The next one is tried only when the answer failed before its first byte with a connect
error, a timeout, a 429 or a 5xx (after the provider's own retries); a refused request (400, a wrong
upstream key) is the client's answer as it is. A target that failed `FAILURES_TO_OPEN` times in a row is
skipped for `OPEN_SECONDS` unless no other is left. The answer names the target in `x-tutela-target`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence

from tutela.gateway.providers.base import DeploymentConfig
from tutela.gateway.wire.exceptions import (
    GatewayError,
    UpstreamAuthenticationError,
    UpstreamError,
    UpstreamRateLimitError,
    UpstreamResponseError,
)

TARGET_HEADER = "x-tutela-target"
FAILURES_TO_OPEN = 3
OPEN_SECONDS = 30.0


def worth_another_target(error: GatewayError) -> bool:
    """Connect errors, timeouts, 429 and 5xx of an upstream; not its refusals or a wrong upstream key."""
    if isinstance(error, UpstreamRateLimitError):
        return True
    return isinstance(error, UpstreamError) and not isinstance(
        error, UpstreamAuthenticationError | UpstreamResponseError
    )


def order(config: DeploymentConfig, draw: random.Random | None = None) -> list[str]:
    """The deployment names to try for one request, in order (see the module docstring)."""
    pool = list(config.targets) or [(config.name, 1)]
    chosen: list[str] = []
    rng = draw or random
    while pool:
        total = sum(max(0, weight) for _, weight in pool)
        pick = rng.uniform(0, total) if total > 0 else 0.0
        for index, (name, weight) in enumerate(pool):
            pick -= max(0, weight)
            if pick <= 0 or index == len(pool) - 1:
                chosen.append(name)
                del pool[index]
                break
    return chosen + [name for name in config.fallbacks if name not in chosen]


class CircuitBreaker:
    """Consecutive failures per target, in this process."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def is_open(self, target: tuple[str, str, str]) -> bool:
        """Whether the target is being skipped now."""
        failures, opened = self._failures.get(target, (0, 0.0))
        return failures >= FAILURES_TO_OPEN and time.monotonic() - opened < OPEN_SECONDS

    def failed(self, target: tuple[str, str, str]) -> None:
        """Count a failure; the breaker (re)opens at the threshold."""
        with self._lock:
            failures, _ = self._failures.get(target, (0, 0.0))
            self._failures[target] = (failures + 1, time.monotonic())

    def succeeded(self, target: tuple[str, str, str]) -> None:
        """Close the breaker."""
        if target in self._failures:
            with self._lock:
                self._failures.pop(target, None)

    def usable(self, targets: Sequence[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        """The targets to try: the closed ones, or all of them when every one is open."""
        closed = [t for t in targets if not self.is_open(t)]
        return closed or list(targets)
