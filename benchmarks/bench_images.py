"""What the gateway adds to an image generation, inline (`b64_json`) and as a sealed link (`url`).

    python benchmarks/bench_images.py [--requests 20] [--side 1024]

One Tutela on loopback (SQLite, content filtering and abuse monitoring as shipped), the tests' fake upstream
drawing `--side`-pixel PNGs with no delay, and the official `openai` client, sequentially, in one run:

    direct     the client against the fake upstream itself (the baseline)
    b64_json   through Tutela: prompt screened, image checked, digest for monitoring
    url        through Tutela: the same, plus the image sealed in the region and a link returned

A real image model takes seconds per image, so what matters is that the gateway's share stays in
milliseconds; the figures are medians, and the ratios are to `direct`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402

from tests.gateway.fake_upstream import FakeUpstream  # noqa: E402
from tests.support.platform import running_platform  # noqa: E402
from tutela.gateway.deployments import service as deployments  # noqa: E402
from tutela.gateway.providers.registry import default_registry  # noqa: E402
from tutela.gateway.resources import service as resources  # noqa: E402

PROMPT = "A lighthouse on a cliff at dawn, flat illustration"


def _medians(calls: dict[str, Callable[[], object]], requests: int) -> dict[str, float]:
    """Median milliseconds of each call, taken in turns so drift in the machine's load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        call()  # warm up pools and caches
    for _ in range(requests):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--side", type=int, default=1024)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as data_dir,
        FakeUpstream.running() as upstream,
        running_platform("sqlite", Path(data_dir)) as platform,
    ):
        upstream.image_side = args.side
        org_id = platform.new_org(f"Bench {uuid.uuid4().hex[:6]}")
        with platform.runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            deployments.create(
                platform.runtime,
                db,
                registry=default_registry(plugins=False),
                org_id=org_id,
                resource_id=resource.id,
                name="painter",
                provider="openai",
                model="dall-e-3",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
            )
            _, key = resources.create_key(db, org_id=org_id, resource_id=resource.id)
        direct = openai.OpenAI(base_url=upstream.base_url, api_key=upstream.api_key, max_retries=0)
        gateway = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        size = len(
            direct.images.generate(model="dall-e-3", prompt=PROMPT, response_format="b64_json")
            .data[0]
            .b64_json
            or ""
        )
        rows = _medians(
            {
                "direct": lambda: direct.images.generate(
                    model="x", prompt=PROMPT, response_format="b64_json"
                ),
                "b64_json": lambda: gateway.images.generate(
                    model="painter", prompt=PROMPT, response_format="b64_json"
                ),
                "url": lambda: gateway.images.generate(model="painter", prompt=PROMPT, response_format="url"),
            },
            args.requests,
        )
    print(f"{args.requests} rounds, one {args.side}x{args.side} noise PNG each ({size} base64 characters)")
    for name, ms in rows.items():
        extra = ms - rows["direct"]
        print(f"  {name:9s} p50 {ms:7.1f} ms   ratio {ms / rows['direct']:5.2f}   gateway {extra:+6.1f} ms")


if __name__ == "__main__":
    main()
