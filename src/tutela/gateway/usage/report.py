"""A usage report over a range of days: totals, one value per day, and the largest users and keys."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from tutela.gateway.usage.pricing import CostedUsage

TOP = 10


@dataclass(frozen=True)
class Ranked:
    """A user's or a key's share: its tokens and requests."""

    subject_id: str
    tokens: int
    requests: int


@dataclass
class Report:
    """What the usage page shows."""

    days: list[str]
    prompt_tokens: list[int]
    completion_tokens: list[int]
    requests: list[int]
    filtered: list[int]
    costs: dict[str, float] = field(default_factory=dict)  # currency → estimated cost
    unpriced_tokens: int = 0
    latency_ms_total: int = 0
    top_users: list[Ranked] = field(default_factory=list)
    top_keys: list[Ranked] = field(default_factory=list)

    @property
    def total_requests(self) -> int:
        """Requests over the range."""
        return sum(self.requests)

    @property
    def average_latency_ms(self) -> int | None:
        """The mean time per request, None without any."""
        return round(self.latency_ms_total / self.total_requests) if self.total_requests else None


def _ranked(totals: dict[str, list[int]]) -> list[Ranked]:
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    return [Ranked(subject, tokens, requests) for subject, (tokens, requests) in ranked[:TOP]]


def report(lines: list[CostedUsage], *, first: date, last: date) -> Report:
    """Every day from `first` to `last` (days without use at zero), totals and the top ten of each."""
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    index = {day: n for n, day in enumerate(days)}
    out = Report(days, [0] * len(days), [0] * len(days), [0] * len(days), [0] * len(days))
    users: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    keys: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        row = line.row
        n = index.get(row.day)
        if n is None:
            continue
        out.prompt_tokens[n] += row.prompt_tokens
        out.completion_tokens[n] += row.completion_tokens
        out.requests[n] += row.requests
        out.filtered[n] += row.filtered_requests
        out.latency_ms_total += row.latency_ms_total
        tokens = row.prompt_tokens + row.completion_tokens
        if line.currency is None:
            out.unpriced_tokens += tokens
        else:
            out.costs[line.currency] = out.costs.get(line.currency, 0.0) + (line.estimated_cost or 0.0)
        for subject, totals in ((row.user_id, users), (row.key_id, keys)):
            if subject:
                totals[subject][0] += tokens
                totals[subject][1] += row.requests
    out.top_users, out.top_keys = _ranked(users), _ranked(keys)
    return out
