"""Real `tutela serve` and `tutela worker` processes for tests that share stores across processes or kill one.

Each process gets only the `TUTELA_*` variables the test gives it (none are inherited) and writes its output
to a log file in the test's folder, shown when it fails to start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.server import free_port


def tutela_env(variables: dict[str, str]) -> dict[str, str]:
    """This environment without any TUTELA_* variable, plus the given ones."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TUTELA_")}
    return env | variables


@dataclass
class TutelaProcess:
    """A running `tutela` command."""

    process: subprocess.Popen[bytes]
    log: Path
    base_url: str = ""

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no clean-up runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it does not end."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        """What the process wrote so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def tutela_process(args: list[str], env: dict[str, str], log: Path) -> Iterator[TutelaProcess]:
    """Start `python -m tutela.cli ARGS`; stopped (if still running) when the block ends."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tutela.cli", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = TutelaProcess(process=process, log=log)
    try:
        yield running
    finally:
        running.stop()


@contextmanager
def serving(
    env: dict[str, str], log: Path, *, wait: bool = True, timeout: float = 120
) -> Iterator[TutelaProcess]:
    """`tutela serve --no-migrate` on a free port, once it answers HTTP (or at once with wait=False: start
    several, then `wait_serving` each, so they start side by side)."""
    port = free_port()
    with tutela_process(["serve", "--no-migrate", "--port", str(port)], env, log) as running:
        running.base_url = f"http://127.0.0.1:{port}"
        if wait:
            wait_serving(running, timeout=timeout)
        yield running


def wait_serving(running: TutelaProcess, *, timeout: float = 120) -> None:
    """Wait until a started `tutela serve` answers HTTP."""
    deadline = time.monotonic() + timeout
    while True:
        if running.process.poll() is not None:
            raise RuntimeError(f"tutela serve ended with {running.process.returncode}:\n{running.output()}")
        try:
            httpx.get(f"{running.base_url}/api/me", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"tutela serve did not answer in {timeout} s:\n{running.output()}"
                ) from None
            time.sleep(0.1)


def poll(
    condition: object, *, timeout: float = 120, interval: float = 0.1, what: str = "condition"
) -> object:
    """Call `condition()` until it returns something truthy; that value, or AssertionError at the timeout."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
