"""Run the test suite's fake OpenAI/Azure upstream standalone, for gateway benchmarks.

    python benchmarks/fake_upstream_server.py --port 9100 --chunk-delay 0.01

Then point an ``openai`` deployment at ``http://127.0.0.1:9100/v1`` with the printed key.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn


def main() -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between streamed chunks")
    parser.add_argument("--api-key", default="sk-fake-upstream-key-0123456789")
    args = parser.parse_args()

    # The fake lives in the test tree; make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.gateway.fake_upstream import FakeUpstream

    fake = FakeUpstream(api_key=args.api_key)
    fake.chunk_delay = args.chunk_delay
    print(f"fake upstream on http://{args.host}:{args.port}/v1  key={args.api_key}", flush=True)
    uvicorn.run(fake.app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
