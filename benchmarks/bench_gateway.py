"""Gateway overhead: the same local upstream called directly and through Tutela, in one run.

    python benchmarks/bench_gateway.py [--requests 2000] [--concurrency 32]

Starts the fake upstream and `tutela serve` as separate processes (SQLite, a fresh data dir), then measures
sequential latency (p50/p99) and concurrent throughput, non-streaming and streaming, and prints the overhead
and the ratio. The load generator shares the machine's cores with both servers, so compare ratios, not
absolute numbers, between machines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM_KEY = "sk-fake-upstream-key-0123456789"
BODY = {
    "model": "m",
    "messages": [{"role": "user", "content": "Say hello to the benchmark"}],
    "max_tokens": 16,
}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} died at start")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not start")


def _tutela(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tutela.cli", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


async def _latencies(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: dict[str, object],
    count: int,
    stream: bool,
) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        if stream:
            async with client.stream("POST", url, json=body | {"stream": True}, headers=headers) as response:
                async for _chunk in response.aiter_bytes():
                    pass
        else:
            (await client.post(url, json=body, headers=headers)).raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def _throughput(
    url: str, headers: dict[str, str], body: dict[str, object], total: int, concurrency: int, stream: bool
) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        remaining = total

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await _latencies(client, url, headers, body, 1, stream)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - started)


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def _measure(args: argparse.Namespace, direct: str, gateway: str, key: str) -> None:
    direct_headers = {"Authorization": f"Bearer {UPSTREAM_KEY}"}
    gateway_headers = {"Authorization": f"Bearer {key}"}
    gateway_body = BODY | {"model": "bench"}
    async with httpx.AsyncClient(timeout=30) as client:
        for stream in (False, True):
            await _latencies(client, direct, direct_headers, BODY, 50, stream)  # warm up
            await _latencies(client, gateway, gateway_headers, gateway_body, 50, stream)
            base = await _latencies(client, direct, direct_headers, BODY, args.requests, stream)
            through = await _latencies(client, gateway, gateway_headers, gateway_body, args.requests, stream)
            kind = "streaming" if stream else "non-streaming"
            b50, b99, g50, g99 = _pct(base, 50), _pct(base, 99), _pct(through, 50), _pct(through, 99)
            print(
                f"{kind:14} latency ms  direct p50 {b50:6.2f} p99 {b99:6.2f} | gateway p50 {g50:6.2f} "
                f"p99 {g99:6.2f} | overhead p50 {g50 - b50:+.2f} p99 {g99 - b99:+.2f} "
                f"| ratio {g50 / b50:.2f}x"
            )
            direct_rps = await _throughput(
                direct, direct_headers, BODY, args.requests, args.concurrency, stream
            )
            gateway_rps = await _throughput(
                gateway, gateway_headers, gateway_body, args.requests, args.concurrency, stream
            )
            print(
                f"{kind:14} throughput req/s direct {direct_rps:7.0f} | gateway {gateway_rps:7.0f} "
                f"| ratio {gateway_rps / direct_rps:.2f}x (concurrency {args.concurrency})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        up_port, gw_port = _free_port(), _free_port()
        env = {
            **os.environ,
            "TUTELA_DATA_DIR": data_dir,
            "UPSTREAM_KEY": UPSTREAM_KEY,
            "TUTELA_JOBS__RUN_IN_PROCESS": "false",
        }
        upstream = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks/fake_upstream_server.py"), "--port", str(up_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        gateway = None
        try:
            _wait(f"http://127.0.0.1:{up_port}/v1/models", upstream)
            _tutela(env, "migrate")
            _tutela(env, "orgs", "create", "Bench", "--region", "local")
            _tutela(
                env,
                "deployments",
                "create",
                "--org",
                "bench",
                "--name",
                "bench",
                "--provider",
                "openai",
                "--base-url",
                f"http://127.0.0.1:{up_port}/v1",
                "--model",
                "m",
                "--api-key-env",
                "UPSTREAM_KEY",
            )
            key = _tutela(env, "keys", "create", "--org", "bench")
            gateway = subprocess.Popen(
                [sys.executable, "-m", "tutela.cli", "serve", "--no-migrate", "--port", str(gw_port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait(f"http://127.0.0.1:{gw_port}/healthz", gateway)
            asyncio.run(
                _measure(
                    args,
                    f"http://127.0.0.1:{up_port}/v1/chat/completions",
                    f"http://127.0.0.1:{gw_port}/v1/chat/completions",
                    key,
                )
            )
        finally:
            for process in (gateway, upstream):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)


if __name__ == "__main__":
    main()
