"""Cost of PII pseudonymisation per request, against the gateway's own wire work in the same run.

    .venv/bin/python benchmarks/bench_pii.py [--seconds 3]

One chat request with a 1,000-character prompt holding six values (e-mails, phone numbers, an IBAN, a card
number) and a 1,000-character answer echoing them. "without" is what the gateway does to every such request
anyway: parse the client's body, serialise it for the upstream, parse the upstream's answer and serialise
it for the client. "with" adds pseudonymising the request and restoring the answer, whole and streamed in
4-character pieces (every placeholder split). The ratio is with/without; the added microseconds compare
with the gateway's 2 ms p50 overhead target (benchmarks/bench_gateway.py). "with pii" is measured twice:
with the contact and payment kinds alone, and with everything an organization gets (its region's national
id numbers, here every format, and person names: its directory and the census name lists), so the cost
of each part shows. The mapping lives in the request's sealed vault (AES-GCM under a key made per request,
destroyed at its end); the same full run over a plain dict shows what the vault adds. It also prints
precision and recall per kind on the labeled sample
benchmarks/corpus/pii_sample.txt (a finding counts when its kind and its exact text match a label), with
the sample's own directory of people.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from tutela.gateway.pii import rewrite
from tutela.gateway.pii.detectors import DETECTORS, Detector, find
from tutela.gateway.pii.profiles import detectors_for
from tutela.gateway.pii.pseudonyms import Pseudonyms, StreamRestorer
from tutela.gateway.pii.vault import Vault
from tutela.gateway.wire import parse_chat_request
from tutela.gateway.wire.chat import ChatResponse
from tutela.gateway.wire.parsing import WireLimits

_SENTENCE = (
    "The learner Ada Lovelace (ada.lovelace@example.org, +44 20 7946 0958) asked about the refund to "
    "GB82 WEST 1234 5698 7654 32 for the course paid with 4111 1111 1111 1111 on 2024-01-05, version 1.2.3; "
    "her manager bob@example.com on 030 1234567 approved 1,250.00 EUR. "
)


def prompt(length: int = 1000) -> str:
    """A text of `length` characters, the values repeated as they would be in a long request."""
    return (_SENTENCE * (length // len(_SENTENCE) + 1))[:length].rsplit(" ", 1)[0]


SAMPLE = Path(__file__).resolve().parent / "corpus" / "pii_sample.txt"
_LABEL = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]")


def sample_directory() -> list[str]:
    """The display names the sample's organization has (its `# directory:` line)."""
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# directory:"):
            return [n.strip() for n in line.removeprefix("# directory:").split(";")]
    return []


def labeled_sample() -> list[tuple[str, set[tuple[str, str]]]]:
    """Each text of the sample with its labels removed, and its (kind, value) labels."""
    out = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            labels = {(m.group(1), m.group(2)) for m in _LABEL.finditer(line)}
            out.append((_LABEL.sub(lambda m: m.group(2), line), labels))
    return out


def accuracy(detectors: tuple[Detector, ...]) -> None:
    """Precision and recall per kind on the labeled sample, with what was missed or wrongly found."""
    found_n, labeled_n, right_n = Counter[str](), Counter[str](), Counter[str]()
    for text, labels in labeled_sample():
        found = {(f.kind.value, text[f.start : f.end]) for f in find(text, detectors)}
        for kind, value in found - labels:
            print(f"  false positive {kind}: {value!r}")
        for kind, value in labels - found:
            print(f"  missed {kind}: {value!r}")
        found_n.update(k for k, _ in found)
        labeled_n.update(k for k, _ in labels)
        right_n.update(k for k, _ in found & labels)
    for kind in sorted(labeled_n):
        precision = right_n[kind] / found_n[kind] if found_n[kind] else 0.0
        recall = right_n[kind] / labeled_n[kind]
        print(f"{kind:11} labeled {labeled_n[kind]:3}  precision {precision:.2f}  recall {recall:.2f}")
    total_p = sum(right_n.values()) / max(1, sum(found_n.values()))
    total_r = sum(right_n.values()) / sum(labeled_n.values())
    print(f"all         labeled {sum(labeled_n.values()):3}  precision {total_p:.2f}  recall {total_r:.2f}")


class PlainDict:
    """The baseline the vault is measured against: the same mapping in the clear, nothing to destroy."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.placeholders: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.values)

    def ensure_open(self) -> None:
        pass

    def placeholder_for(self, identity: str) -> str | None:
        return self.placeholders.get(identity)

    def keep(self, identity: str, placeholder: str, value: str) -> None:
        self.placeholders[identity] = placeholder
        self.values[placeholder] = value

    def open(self, placeholder: str) -> str | None:
        return self.values.get(placeholder)

    def destroy(self) -> None:
        self.values.clear()
        self.placeholders.clear()


def vault() -> Vault:
    return Vault(org_id="org_bench", request_id="req_bench")


def best_seconds(work: Callable[[], object], seconds: float) -> float:
    """Best time of one call over repeated calls for about `seconds` (best-of resists load from others)."""
    work()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    text = prompt()
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": text}]}).encode()
    answer = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }
    limits = WireLimits(max_n=8)

    def without() -> None:
        request = parse_chat_request(body, limits=limits)
        request.to_upstream()
        ChatResponse.model_validate(answer).to_json()

    def with_pii(detectors: tuple[Detector, ...], store: Callable[[], Any] = vault) -> Callable[[], None]:
        def run() -> None:
            mapping = store()
            pseudonyms = Pseudonyms(cast(Vault, mapping), detectors)
            request = rewrite.chat_request(parse_chat_request(body, limits=limits), pseudonyms)
            sent = request.to_upstream()["messages"][0]["content"]
            message = {"role": "assistant", "content": sent}
            reply = ChatResponse.model_validate(
                answer | {"choices": [answer["choices"][0] | {"message": message}]}
            )
            rewrite.chat_response(reply, pseudonyms).to_json()
            mapping.destroy()

        return run

    def stream_restore(
        detectors: tuple[Detector, ...], store: Callable[[], Any] = vault
    ) -> Callable[[], None]:
        def run() -> None:
            mapping = store()
            pseudonyms = Pseudonyms(cast(Vault, mapping), detectors)
            sent = pseudonyms.pseudonymise(text)
            restorer = StreamRestorer(pseudonyms)
            out = "".join(restorer.feed(sent[i : i + 4]) for i in range(0, len(sent), 4)) + restorer.flush()
            assert out == pseudonyms.restore(sent)
            mapping.destroy()

        return run

    everything = detectors_for("local", sample_directory())
    for detectors in (DETECTORS, everything):
        check = Pseudonyms(vault(), detectors)
        sent = check.pseudonymise(text)
        if check.restore(sent) != text or "@" in sent:
            raise SystemExit("the benchmark's text must be pseudonymised and restored exactly")
    base = best_seconds(without, args.seconds)
    contact = best_seconds(with_pii(DETECTORS), args.seconds)
    full = best_seconds(with_pii(everything), args.seconds)
    streamed = best_seconds(stream_restore(everything), args.seconds)
    plain = best_seconds(with_pii(everything, PlainDict), args.seconds)
    plain_streamed = best_seconds(stream_restore(everything, PlainDict), args.seconds)
    print(f"prompt: {len(text)} characters, {len(check)} distinct values, {sent.count('<')} placeholders")
    print(f"without pii (wire work):                 {base * 1e6:8.1f} µs/request")
    added = (contact - base) * 1e6
    print(f"with pii, contact and payment kinds:     {contact * 1e6:8.1f} µs/request   added {added:7.1f}")
    added = (full - base) * 1e6
    print(f"with pii, + national ids and names:      {full * 1e6:8.1f} µs/request   added {added:7.1f}")
    print(f"  of which national ids and names:       {(full - contact) * 1e6:8.1f} µs/request")
    print(f"pseudonymise + stream restore (4-char chunks, everything): {streamed * 1e6:8.1f} µs/request")
    print("the sealed vault against a plain dict (everything, same run):")
    added = (full - plain) * 1e6
    print(
        f"  whole answer:   vault {full * 1e6:8.1f}  plain dict {plain * 1e6:8.1f} µs/request"
        f"   added {added:6.1f}"
    )
    added = (streamed - plain_streamed) * 1e6
    print(
        f"  streamed:       vault {streamed * 1e6:8.1f}  plain dict {plain_streamed * 1e6:8.1f} µs/request"
        f"   added {added:6.1f}"
    )
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"labeled sample ({SAMPLE.name}), directory of {len(sample_directory())} people:")
    accuracy(everything)


if __name__ == "__main__":
    main()
