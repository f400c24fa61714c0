"""Gateway CPU per request of two versions of the code, side by side in one run.

    python benchmarks/bench_gateway_ab.py --against main [--rounds 5] [--seconds 3] [--limits]

Exports the `src/` of `--against` (any git revision) to a temporary folder and starts one `tutela serve` from
it and one from this checkout, each with its own data dir and the same minimal upstream, both pinned to
core 0 (wrk and the upstream to core 1). wrk bursts then alternate between the two, `--rounds` times: one
connection for the p50 latency, then 16 connections, whose gateway CPU time per request is read from /proc.
On a shared machine single runs vary two- or threefold; alternating bursts meet the same load, so the ratio
of medians (and of minimums) is the figure to compare. `--limits` sets generous rate limits on this
checkout's organization.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_gateway as bench  # noqa: E402 (needs the benchmarks folder on the path)

from tests.support.server import free_port  # noqa: E402


def _start(
    name: str, src: str | None, up_port: int, limits: bool
) -> tuple[subprocess.Popen[bytes], str, str]:
    data_dir = tempfile.mkdtemp(prefix=f"ab-{name}-")
    env = {**os.environ, "TUTELA_DATA_DIR": data_dir, "UPSTREAM_KEY": bench.UPSTREAM_KEY}
    env["TUTELA_JOBS__RUN_IN_PROCESS"] = "false"
    if src:
        env["PYTHONPATH"] = src
    bench._tutela(env, "migrate")
    bench._tutela(env, "orgs", "create", "Bench", "--region", "local")
    bench._tutela(
        env, "deployments", "create", "--org", "bench", "--name", "bench", "--provider", "openai",
        "--base-url", f"http://127.0.0.1:{up_port}/v1", "--model", "m", "--api-key-env", "UPSTREAM_KEY",
    )  # fmt: skip
    key = bench._tutela(env, "keys", "create", "--org", "bench")
    if limits:
        bench._tutela(
            env, "limits", "set", "--org", "bench", "--scope", "organization", "--rpm", "100000000",
            "--tpm", "1000000000", "--tokens-per-day", "1000000000",
        )  # fmt: skip
    port = free_port()
    command = [sys.executable, "-m", "tutela.cli", "serve", "--no-migrate", "--port", str(port)]
    process = subprocess.Popen(
        bench._pinned(0, command), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(900):  # a busy machine may take minutes to start it
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    return process, key, f"http://127.0.0.1:{port}/v1/chat/completions"


def main() -> None:
    """Start both, alternate bursts, print each version's CPU per request and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="The git revision to compare with.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--limits", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.against, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        up_port = free_port()
        upstream = subprocess.Popen(
            bench._pinned(
                1, [sys.executable, str(ROOT / "benchmarks/raw_upstream.py"), "--port", str(up_port)]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers = {
            args.against: _start("base", f"{folder}/src", up_port, False),
            "this checkout": _start("head", None, up_port, args.limits),
        }
        wrk = bench._pinned(1, [bench._wrk()])
        try:
            for stream in (False, True):
                kind = "streaming" if stream else "non-streaming"
                cpu: dict[str, list[float]] = {name: [] for name in servers}
                p50: dict[str, list[float]] = {name: [] for name in servers}
                scripts = {
                    name: bench._script(Path(folder), f"{i}-{kind}", "bench", key, stream)
                    for i, (name, (_, key, _)) in enumerate(servers.items())
                }
                for name, (_, _, url) in servers.items():
                    bench._wrk_run(wrk, scripts[name], url, 4, 2)  # warm up
                for _ in range(args.rounds):
                    for name, (process, _, url) in servers.items():
                        p50[name].append(bench._wrk_run(wrk, scripts[name], url, 1, args.seconds).p50_ms)
                        before = bench._cpu_seconds(process.pid)
                        run = bench._wrk_run(wrk, scripts[name], url, 16, args.seconds)
                        cpu[name].append(
                            (bench._cpu_seconds(process.pid) - before) * 1000 / max(1, run.requests)
                        )
                for name, values in cpu.items():
                    print(
                        f"{kind:14} {name:14} CPU ms/request median {statistics.median(values):.2f} "
                        f"min {min(values):.2f} ({' '.join(f'{v:.2f}' for v in values)}) | p50 ms "
                        f"median {statistics.median(p50[name]):.2f} min {min(p50[name]):.2f} "
                        f"({' '.join(f'{v:.2f}' for v in p50[name])})"
                    )
                base, head = cpu[args.against], cpu["this checkout"]
                median = statistics.median(head) / statistics.median(base)
                latency = statistics.median(p50["this checkout"]) - statistics.median(p50[args.against])
                print(
                    f"{kind:14} this checkout / {args.against}: median ratio {median:.2f}, "
                    f"min ratio {min(head) / min(base):.2f}; p50 median difference "
                    f"{latency:+.2f} ms"
                )
            print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        finally:
            for process, _, _ in servers.values():
                process.terminate()
                process.wait(timeout=30)
            upstream.terminate()
            upstream.wait(timeout=30)


if __name__ == "__main__":
    main()
