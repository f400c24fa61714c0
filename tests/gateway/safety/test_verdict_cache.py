"""The classifier's verdict cache: repeated texts are scored once, and the cache keeps no text."""

from __future__ import annotations

import uuid

from tests.support.traces import reachable_text
from tutela.gateway.safety.classifier import SafetyClassifier
from tutela.gateway.safety.verdict_cache import VerdictCache


def test_a_repeated_text_gets_its_cached_verdict_and_no_text_is_kept() -> None:
    clf = SafetyClassifier.load()
    canary = f"CANARY{uuid.uuid4().hex}"
    harmful = f"{canary} I am going to find you after work and beat you until you stop breathing."
    document = f"{canary} The committee reviewed the quarterly budget and approved the training plan."
    first = clf.classify([harmful, document])
    again = clf.classify([document, harmful])
    assert again[0] is first[1] and again[1] is first[0]  # served from the cache, same verdicts
    assert first[0] != first[1]
    cache = clf.verdicts
    assert cache is not None and len(cache) >= 2
    for key, _ in cache.entries():
        assert isinstance(key, bytes) and len(key) == 32
    assert reachable_text(cache, canary) == []
    # The check itself can fail: the same walk finds the canary where a text is held.
    assert reachable_text([harmful], canary) == [harmful]


def test_keys_are_keyed_per_cache_and_per_mode() -> None:
    one, two = VerdictCache(), VerdictCache()
    text = "Explain photosynthesis briefly."
    assert one.key(text, thorough=False) != two.key(text, thorough=False)
    assert one.key(text, thorough=False) != one.key(text, thorough=True)
    assert one.key(text, thorough=False) == one.key(text, thorough=False)


def test_the_least_recently_used_verdict_goes_first() -> None:
    clf = SafetyClassifier.load()
    cache = VerdictCache(capacity=2)
    a, b, c = (cache.key(t, thorough=False) for t in ("a", "b", "c"))
    scores = clf.classify(["hello"])[0]
    cache.put(a, scores)
    cache.put(b, scores)
    assert cache.get(a) is scores  # a is now the most recent
    cache.put(c, scores)
    assert cache.get(b) is None and cache.get(a) is scores and cache.get(c) is scores
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0
