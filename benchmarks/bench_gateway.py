"""Gateway overhead: the same local upstream called directly and through Tutela, in one run.

    python benchmarks/bench_gateway.py [--seconds 10] [--concurrency 16] [--limits]

Starts a minimal upstream (benchmarks/raw_upstream.py) and `tutela serve` (one process, SQLite, a fresh
data dir, content filtering and abuse monitoring on, as shipped) as separate processes, then drives both with
wrk (installed from Debian's packages if missing): sequential latency (p50/p99, one connection) and
throughput (`--concurrency` connections), non-streaming and streaming. It prints the overhead, the ratio and
the gateway process's CPU time per request, the figure that bounds one process's throughput whatever else
the machine is doing. `--limits` gives the organization generous rate limits and budgets, so every request
also pays for admission and token counting (without it the limiter costs one dictionary lookup). With two
or more cores the gateway is pinned to core 0 and wrk and the upstream to core 1, so the gateway has one
core to itself, as in the target.

Target: p50 overhead <= 2 ms and >= 500 requests/s through one process.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import free_port  # noqa: E402 (needs the repository root on the path)

UPSTREAM_KEY = "sk-bench-upstream-key-0123456789"
# Every request's prompt differs (a counter), so the content classifier's verdict cache never answers for it.
BODY = (
    '{"model":"%s","messages":[{"role":"user","content":"Say hello to benchmark request %%d"}],'
    '"max_tokens":16%s}'
)
TARGET_P50_MS, TARGET_RPS = 2.0, 500.0


@dataclass
class Run:
    """What one wrk run measured."""

    p50_ms: float
    p99_ms: float
    rps: float
    requests: int
    errors: int


def _wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} died at start")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not start")


def _tutela(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tutela.cli", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def _pinned(core: int | None, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *command] if core is not None and shutil.which("taskset") else command


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _millis(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk_run(wrk: list[str], script: Path, url: str, connections: int, seconds: int) -> Run:
    out = subprocess.run(
        [*wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pct = {m[0]: _millis(m[1], m[2]) for m in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Run(pct["50"], pct["99"], rps, requests, int(errors.group(1)) if errors else 0)


def _script(folder: Path, name: str, model: str, key: str, stream: bool) -> Path:
    body = BODY % (model, ',"stream":true' if stream else "")
    path = folder / f"{name}.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        f"  return wrk.format(nil, nil, nil, string.format('{body}', n))\n"
        "end\n"
    )
    return path


def _measure(
    args: argparse.Namespace, wrk: list[str], folder: Path, urls: dict[str, str], key: str, pid: int
) -> bool:
    met = True
    for stream in (False, True):
        kind = "streaming" if stream else "non-streaming"
        direct = _script(folder, f"direct-{kind}", "m", UPSTREAM_KEY, stream)
        through = _script(folder, f"gateway-{kind}", "bench", key, stream)
        _wrk_run(wrk, through, urls["gateway"], 4, 2)  # warm up: connections, caches, the classifier
        base = _wrk_run(wrk, direct, urls["direct"], 1, args.seconds)
        gate = _wrk_run(wrk, through, urls["gateway"], 1, args.seconds)
        print(
            f"{kind:14} latency ms  direct p50 {base.p50_ms:6.2f} p99 {base.p99_ms:6.2f} | gateway p50 "
            f"{gate.p50_ms:6.2f} p99 {gate.p99_ms:6.2f} | overhead p50 {gate.p50_ms - base.p50_ms:+.2f} "
            f"p99 {gate.p99_ms - base.p99_ms:+.2f} | ratio {gate.p50_ms / base.p50_ms:.1f}x"
        )
        base_rps = _wrk_run(wrk, direct, urls["direct"], args.concurrency, args.seconds)
        cpu_before = _cpu_seconds(pid)
        gate_rps = _wrk_run(wrk, through, urls["gateway"], args.concurrency, args.seconds)
        cpu_ms = (_cpu_seconds(pid) - cpu_before) * 1000 / max(1, gate_rps.requests)
        print(
            f"{kind:14} throughput  direct {base_rps.rps:8.0f} req/s | gateway {gate_rps.rps:6.0f} req/s "
            f"(p50 {gate_rps.p50_ms:.1f} ms at {args.concurrency} connections) | ratio "
            f"{gate_rps.rps / base_rps.rps:.3f} | gateway CPU {cpu_ms:.2f} ms/request "
            f"(<= {1000 / cpu_ms:.0f} req/s per core)"
        )
        if gate.errors or gate_rps.errors:
            print(f"{kind:14} ERRORS: {gate.errors + gate_rps.errors} non-2xx responses through the gateway")
            met = False
        met &= gate.p50_ms - base.p50_ms <= TARGET_P50_MS and gate_rps.rps >= TARGET_RPS
    return met


def main() -> None:
    """Start both servers, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--limits", action="store_true", help="Set generous rate limits (they never refuse).")
    args = parser.parse_args()
    wrk = _wrk()
    two_cores = (os.cpu_count() or 1) >= 2
    gateway_core, load_core = (0, 1) if two_cores else (None, None)
    with tempfile.TemporaryDirectory() as data_dir:
        folder = Path(data_dir)
        up_port, gw_port = free_port(), free_port()
        env = {
            **os.environ,
            "TUTELA_DATA_DIR": data_dir,
            "UPSTREAM_KEY": UPSTREAM_KEY,
            "TUTELA_JOBS__RUN_IN_PROCESS": "false",
        }
        upstream = subprocess.Popen(
            _pinned(
                load_core, [sys.executable, str(ROOT / "benchmarks/raw_upstream.py"), "--port", str(up_port)]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        gateway = None
        try:
            _tutela(env, "migrate")
            _tutela(env, "orgs", "create", "Bench", "--region", "local")
            base_url = f"http://127.0.0.1:{up_port}/v1"
            _tutela(
                env, "deployments", "create", "--org", "bench", "--name", "bench", "--provider", "openai",
                "--base-url", base_url, "--model", "m", "--api-key-env", "UPSTREAM_KEY",
            )  # fmt: skip
            key = _tutela(env, "keys", "create", "--org", "bench")
            if args.limits:
                _tutela(
                    env, "limits", "set", "--org", "bench", "--scope", "organization", "--rpm", "100000000",
                    "--tpm", "1000000000", "--tokens-per-day", "1000000000",
                )  # fmt: skip
            gateway = subprocess.Popen(
                _pinned(
                    gateway_core,
                    [sys.executable, "-m", "tutela.cli", "serve", "--no-migrate", "--port", str(gw_port)],
                ),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait(f"http://127.0.0.1:{gw_port}/healthz", gateway)
            urls = {
                "direct": f"{base_url}/chat/completions",
                "gateway": f"http://127.0.0.1:{gw_port}/v1/chat/completions",
            }
            print(
                f"gateway pinned to core {gateway_core}, wrk and upstream to core {load_core}; "
                f"load average {os.getloadavg()[0]:.2f}"
            )
            met = _measure(args, _pinned(load_core, [wrk]), folder, urls, key, gateway.pid)
            print(
                f"target (p50 overhead <= {TARGET_P50_MS} ms, >= {TARGET_RPS:.0f} req/s, streamed or not): "
                + ("met" if met else "NOT met")
            )
        finally:
            for process in (gateway, upstream):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)


if __name__ == "__main__":
    main()
