"""The usage page's arithmetic: every day of the range present (days without use at zero), costs summed per
currency with unpriced tokens set apart, the top ten users and keys by tokens, and the charts' scale."""

from __future__ import annotations

from datetime import date

from tutela.gateway.usage.models import DailyUsage
from tutela.gateway.usage.pricing import CostedUsage, Price
from tutela.gateway.usage.report import report
from tutela.web.charts import columns, compact, nice_ceiling, ranking


def _line(
    day: str, *, key: str = "", user: str = "", tokens: tuple[int, int] = (100, 50), **cost: object
) -> CostedUsage:
    row = DailyUsage(
        org_id="org", day=day, deployment="gpt", model="m", key_id=key, user_id=user, requests=2,
        filtered_requests=1, prompt_tokens=tokens[0], completion_tokens=tokens[1], latency_ms_total=300,
    )  # fmt: skip
    return CostedUsage(row, cost.get("estimated_cost"), cost.get("currency"))  # type: ignore[arg-type]


def test_every_day_is_present_and_costs_are_summed_per_currency() -> None:
    lines = [
        _line("2026-12-01", key="k1", estimated_cost=0.25, currency="EUR"),
        _line("2026-12-03", key="k1", estimated_cost=0.5, currency="EUR"),
        _line("2026-12-03", user="u1", tokens=(1000, 0), estimated_cost=1.0, currency="USD"),
        _line("2026-12-03", user="u2"),  # no price
        _line("2026-11-01", key="k1"),  # outside the range: left out
    ]
    result = report(lines, first=date(2026, 12, 1), last=date(2026, 12, 4))
    assert result.days == ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    assert result.requests == [2, 0, 6, 0] and result.filtered == [1, 0, 3, 0]
    assert result.prompt_tokens == [100, 0, 1200, 0]
    assert result.costs == {"EUR": 0.75, "USD": 1.0} and result.unpriced_tokens == 150
    assert result.average_latency_ms == 150
    assert [(r.subject_id, r.tokens, r.requests) for r in result.top_users] == [
        ("u1", 1000, 2),
        ("u2", 150, 2),
    ]
    assert [(r.subject_id, r.tokens) for r in result.top_keys] == [("k1", 300)]


def test_only_the_top_ten_are_ranked_largest_first() -> None:
    lines = [_line("2026-12-01", key=f"k{n:02}", tokens=(n, 0)) for n in range(1, 16)]
    ranked = report(lines, first=date(2026, 12, 1), last=date(2026, 12, 1)).top_keys
    assert [r.subject_id for r in ranked] == [f"k{n:02}" for n in range(15, 5, -1)]


def test_a_price_per_million_tokens_gives_an_exact_cost() -> None:
    price = Price(input_micros=150_000, output_micros=600_000, currency="USD")  # 0.15 and 0.60
    assert price.cost(1_000_000, 1_000_000) == 0.75
    assert price.cost(1234, 567) == round((1234 * 0.15 + 567 * 0.6) / 1e6, 6)


def test_charts_scale_to_a_round_top_and_say_each_bar_in_words() -> None:
    assert [nice_ceiling(v) for v in (0, 3, 10, 11, 4100, 7_000_001)] == [1, 5, 10, 20, 5000, 10_000_000]
    assert [compact(v) for v in (950, 1200, 3_400_000)] == ["950", "1.2k", "3.4M"]
    chart = columns(
        "t", "Tokens", "desc", ["2026-12-01", "2026-12-02"], [("input tokens", "bar-in", [30, 0])]
    )
    assert [r.label for r in chart.rects] == ["2026-12-01: 30 input tokens"]  # no bar for nothing
    assert [t.text for t in chart.texts if t.anchor == "end"] == ["0", "25", "50"]
    top = ranking("r", "Top", "desc", [("Ann", 200), ("Bo", 100)], "tokens")
    assert [round(r.width) for r in top.rects] == [618, 309] and top.rects[0].label == "Ann: 200 tokens"
