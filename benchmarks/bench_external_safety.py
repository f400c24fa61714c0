"""External safety services add the slowest service's latency, not the sum, and nothing when none is set.

    python benchmarks/bench_external_safety.py [--requests 40] [--delay-ms 40]

One Tutela on loopback (SQLite, content filtering as shipped), a fake upstream, and the loopback fake safety
services of the tests (tests/gateway/safety/fake_safety_services.py) answering every call after
`--delay-ms`. Sequential chat completions through the official `openai` client, in one run:

    baseline     the built-in classifier only (no services configured)
    1 service    + Azure AI Content Safety (analyze and prompt shields: two calls at once per prompt)
    3 services   + Azure AI Content Safety, OpenAI moderation and a Llama Guard model

Each service screens the prompt and the completion, so a request waits for two rounds. With the calls
concurrent, 3 services cost about what 1 costs (ratio near 1.0; sequential calls would make it ~3).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402

from tests.gateway.fake_upstream import FakeUpstream  # noqa: E402
from tests.gateway.safety.fake_safety_services import AZURE_KEY, OPENAI_KEY, FakeSafetyServices  # noqa: E402
from tests.support.platform import running_platform  # noqa: E402
from tutela.gateway.deployments import service as deployments  # noqa: E402
from tutela.gateway.providers.registry import default_registry  # noqa: E402
from tutela.gateway.resources import service as resources  # noqa: E402


def _timed(client: openai.OpenAI, requests: int) -> list[float]:
    messages: Any = [{"role": "user", "content": "Explain how plants make sugar from light, briefly."}]
    client.chat.completions.create(model="tutor", messages=messages)  # warm up pools and caches
    out = []
    for _ in range(requests):
        started = time.perf_counter()
        client.chat.completions.create(model="tutor", messages=messages)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--delay-ms", type=float, default=40.0)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as data_dir,
        FakeUpstream.running() as upstream,
        FakeSafetyServices.running() as services,
        running_platform("sqlite", Path(data_dir), gateway={"access_cache_seconds": 1}) as platform,
    ):
        name = f"Bench {uuid.uuid4().hex[:6]}"
        org_id = platform.new_org(name)
        with platform.runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            row = deployments.create(
                platform.runtime,
                db,
                registry=default_registry(plugins=False),
                org_id=org_id,
                resource_id=resource.id,
                name="tutor",
                provider="openai",
                model="m",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
            )
            _, key = resources.create_key(db, org_id=org_id, resource_id=resource.id)
            url = f"/api/ai/resources/{resource.id}/deployments/{row.id}/content-filter"
        upstream.reply = "Plants use light to turn water and carbon dioxide into sugar."
        services.mode, services.delay = "slow", args.delay_ms / 1000
        local = {"jurisdiction": "local", "on_failure": "fail_closed", "timeout_seconds": 5}
        acs = local | {"kind": "azure_content_safety", "name": "acs", "endpoint": services.azure_endpoint}
        acs |= {"api_key": AZURE_KEY}
        oai = local | {"kind": "openai_moderation", "name": "oai", "base_url": services.openai_base_url}
        oai |= {"api_key": OPENAI_KEY}
        guard = local | {"kind": "llama_guard", "name": "guard", "base_url": services.guard_base_url}
        configs = {"baseline": [], "1 service": [acs], "3 services": [acs, oai, guard]}
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        p50: dict[str, float] = {}
        with platform.client(platform.login(name.lower().replace(" ", "-"), "admin@example.com")) as admin:
            for label, chosen in configs.items():
                response = admin.put(url, json={"services": chosen})
                response.raise_for_status()
                time.sleep(1.1)  # past the policy cache: the next request loads the new filter
                times = _timed(client, args.requests)
                p50[label] = statistics.median(times)
                p99 = sorted(times)[max(0, int(len(times) * 0.99) - 1)]
                print(f"{label:>11}: p50 {p50[label]:7.1f} ms   p99 {p99:7.1f} ms   ({len(times)} requests)")
    print(f"service delay {args.delay_ms:.0f} ms, two screening rounds per request (prompt, completion)")
    added_1 = p50["1 service"] - p50["baseline"]
    added_3 = p50["3 services"] - p50["baseline"]
    print(f"added by 1 service: {added_1:.1f} ms; by 3 services: {added_3:.1f} ms")
    print(f"ratio 3 services / 1 service: {added_3 / added_1:.2f} (about 1 when concurrent, 3 when not)")


if __name__ == "__main__":
    main()
