"""Organization content policies, patterns that stay cheap, and isolation of blocklists and rules."""

from __future__ import annotations

import logging
import time
import uuid

import pytest

from tests.support.platform import Platform
from tutela.gateway.safety.filtering_exceptions import InvalidPattern
from tutela.gateway.safety.patterns import compile_pattern
from tutela.gateway.safety.policies import service as policies
from tutela.gateway.safety.policies.rules import compile_rule, parse_definition, valid_iban


@pytest.mark.parametrize(
    "pattern", [r"(a+)+b", r"\d+\s*\d+x", r"(a|aa)*c", r"(x)\1", r"a(?=b)", r"a*", "a{1,999}"]
)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidPattern):
        compile_pattern(pattern)


def test_a_permitted_pattern_on_a_hostile_text_is_bounded_by_the_deadline() -> None:
    pattern = compile_pattern(r"[a-z]+\d")
    started = time.monotonic()
    from tutela.gateway.safety.filtering_exceptions import PatternBudgetExceeded

    with pytest.raises(PatternBudgetExceeded):
        pattern.search("a" * 1_000_000, deadline=started + 0.2)
    assert time.monotonic() - started < 1.0


def test_findings_name_the_rule_and_the_span() -> None:
    text = (
        "Contact jane.doe@example.com or +49 30 1234567. Pay to GB82 WEST 1234 5698 7654 32. "
        "Our Project Falcon is confidential."
    )
    rules = [
        compile_rule(
            "r1", "no falcon", parse_definition({"kind": "forbidden_terms", "terms": ["project falcon"]})
        ),
        compile_rule("r2", "pii", parse_definition({"kind": "personal_data"})),
        compile_rule(
            "r3", "disclaimer", parse_definition({"kind": "required_wording", "text": "Not legal advice."})
        ),
        compile_rule(
            "r4", "codes", parse_definition({"kind": "forbidden_pattern", "pattern": r"conf\w{4,10}"})
        ),
    ]
    findings = policies.evaluate_compiled(rules, text)
    by_kind: dict[str, list[str]] = {}
    for f in findings:
        assert text[f.span[0] : f.span[1]].startswith(f.excerpt[:10])
        by_kind.setdefault(f.rule_name, []).append(text[f.span[0] : f.span[1]])
    assert by_kind["no falcon"] == ["Project Falcon"]
    assert by_kind["pii"] == ["jane.doe@example.com", "+49 30 1234567", "GB82 WEST 1234 5698 7654 32"]
    assert by_kind["disclaimer"] == [""]
    assert by_kind["codes"] == ["confidential"]
    assert valid_iban("DE89370400440532013000") and not valid_iban("DE89370400440532013001")
    assert not policies.evaluate_compiled(rules[1:2], "Order 2024-01-15, invoice 123456789.")


def test_reading_level_is_language_aware() -> None:
    rule = compile_rule(
        "r",
        "plain",
        parse_definition({"kind": "reading_level", "max_words_per_sentence": 12, "min_reading_ease": 60}),
    )
    simple = "The cat sat on the mat. It was warm. We like it."
    hard = (
        "Notwithstanding the aforementioned considerations, organizational accountability necessitates "
        "comprehensive documentation of institutional methodologies, responsibilities and interdependencies."
    )
    assert policies.evaluate_compiled([rule], simple) == []
    findings = policies.evaluate_compiled([rule], hard)
    assert {f.message.split(" ")[0] for f in findings} == {"sentence", "reading"}
    german = policies.evaluate_compiled([rule], "Die Katze sitzt auf der Matte. Es ist warm.")
    assert german == []


def test_rules_rest_versioned_audited_and_isolated(platform: Platform) -> None:
    tokens = []
    for label in ("a", "b"):
        name = f"Policies {label} {uuid.uuid4().hex[:6]}"
        platform.new_org(name)
        tokens.append(platform.login(name.lower().replace(" ", "-"), "admin@example.com"))
    with platform.client(tokens[0]) as a, platform.client(tokens[1]) as b:
        rule = a.post(
            "/api/policies/rules",
            json={"name": "terms", "rule": {"kind": "forbidden_terms", "terms": ["acme"]}},
        )
        assert rule.status_code == 201, rule.text
        rid = rule.json()["id"]
        updated = a.put(
            f"/api/policies/rules/{rid}",
            json={"name": "terms", "rule": {"kind": "forbidden_terms", "terms": ["acme", "globex"]}},
        )
        assert updated.json()["version"] == 2
        found = a.post("/api/policies/evaluate", json={"text": "Globex and ACME."}).json()["findings"]
        assert [(f["rule_name"], f["span"]) for f in found] == [("terms", [0, 6]), ("terms", [11, 15])]
        bad = a.post(
            "/api/policies/rules",
            json={"name": "p", "rule": {"kind": "forbidden_pattern", "pattern": "(a+)+"}},
        )
        assert bad.status_code == 400
        actions = [e["action"] for e in a.get("/api/audit?limit=1000").json()]
        assert {"policies.rule_created", "policies.rule_updated"} <= set(actions)
        blocklist = a.post(
            "/api/ai/blocklists", json={"name": "secret-words", "items": [{"pattern": "acme"}]}
        ).json()
        item = blocklist["items"][0]["id"]
        # b sees none of a's rules or lists, and a's real ids get the same 404 as missing ones.
        assert b.get("/api/policies/rules").json() == [] and b.get("/api/ai/blocklists").json() == []
        for method, url in (
            ("GET", f"/api/policies/rules/{rid}"),
            ("DELETE", f"/api/policies/rules/{rid}"),
            ("GET", f"/api/ai/blocklists/{blocklist['id']}"),
            ("DELETE", f"/api/ai/blocklists/{blocklist['id']}/items/{item}"),
            ("DELETE", f"/api/ai/blocklists/{blocklist['id']}"),
        ):
            response = b.request(method, url)
            assert response.status_code == 404, (url, response.text)
            assert "acme" not in response.text and "secret-words" not in response.text
        assert b.post("/api/policies/evaluate", json={"text": "acme"}).json()["findings"] == []
        assert a.get(f"/api/ai/blocklists/{blocklist['id']}").json()["items"][0]["pattern"] == "acme"


def test_filters_log_no_text(caplog: pytest.LogCaptureFixture) -> None:
    canary = f"CANARY{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    rule = compile_rule("r", "n", parse_definition({"kind": "forbidden_terms", "terms": [canary]}))
    assert policies.evaluate_compiled([rule], f"say {canary}")
    assert canary not in caplog.text
