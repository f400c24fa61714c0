"""Running the parser in a child process that the caller can always stop, a bounded number at a time.

The child gets an address-space cap (RLIMIT_AS), a CPU cap, and a wall-clock deadline after which it is
killed; its answer is read from a pipe up to a size bound. A crash or kill never propagates: it becomes an
IngestError. Children run through one pool per process (`ParsePool`): at most `limits.concurrency` at
once, so parsing never takes more than concurrency × memory_bytes; up to `limits.queue` more callers wait
in line, and past that (or after waiting too long) a caller gets ParserBusy at once instead of piling up.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .exceptions import BrokenPdf, IngestError, IngestMemoryExceeded, IngestTimeout, ParserBusy
from .limits import IngestLimits
from .worker import EXIT_MEMORY

logger = logging.getLogger(__name__)

_WORKER_MODULE = "tutela.authoring.ingest.worker"
_CHUNK = 1 << 16
_STDERR_TAIL = 4096
# pdfium aborts or faults when an allocation fails; if the child had by then touched this share of its
# address-space cap, running out of memory is the likely cause, not a parser bug.
_OOM_RSS_SHARE = 0.25
_OOM_SIGNALS = {signal.SIGKILL, signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGTRAP, signal.SIGILL}


@dataclass(slots=True)
class _Exchange:
    answer: bytearray
    stderr_tail: bytes = b""
    timed_out: bool = False
    answer_too_large: bool = False


def _child_env() -> dict[str, str]:
    # The child must import this package even when the caller found it through a path the child cannot see.
    source_root = str(Path(__file__).resolve().parents[3])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    return env


def _exchange(
    process: subprocess.Popen[bytes], request: bytes, limits: IngestLimits, deadline: float
) -> _Exchange:
    """Feed the request and collect the answer until the child closes its pipes or the deadline passes."""
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    result = _Exchange(answer=bytearray())
    pending = memoryview(request)
    # Non-blocking, so a child that stops reading cannot hold the caller past the deadline.
    os.set_blocking(process.stdin.fileno(), False)
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdin, selectors.EVENT_WRITE)
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                result.timed_out = True
                break
            for key, _ in selector.select(timeout=min(remaining, 1.0)):
                stream = key.fileobj
                if stream is process.stdin:
                    try:
                        written = os.write(process.stdin.fileno(), pending[:_CHUNK])
                    except BlockingIOError:
                        written = 0
                    except BrokenPipeError:
                        written = len(pending)  # the child stopped reading; its exit status tells why
                    pending = pending[written:]
                    if not pending:
                        selector.unregister(process.stdin)
                        process.stdin.close()
                    continue
                chunk = os.read(key.fd, _CHUNK)
                if not chunk:
                    selector.unregister(stream)
                elif stream is process.stdout:
                    result.answer += chunk
                    if len(result.answer) > limits.max_result_bytes:
                        result.answer_too_large = True
                        return result
                else:
                    result.stderr_tail = (result.stderr_tail + chunk)[-_STDERR_TAIL:]
    return result


def _reap(process: subprocess.Popen[bytes], deadline: float) -> tuple[int, int] | None:
    """Wait for the child until the deadline: (wait status, peak RSS in bytes), or None if still running."""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, usage.ru_maxrss * 1024
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    _, status, _ = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)


def _failure(status: int, peak_rss: int, limits: IngestLimits, stderr_tail: bytes) -> IngestError:
    """Name the reason a child ended without an answer."""
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_MEMORY:
        return IngestMemoryExceeded.beyond(limits.memory_bytes)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return IngestTimeout.after(limits.timeout_seconds)
        if number in _OOM_SIGNALS and peak_rss >= _OOM_RSS_SHARE * limits.memory_bytes:
            return IngestMemoryExceeded.beyond(limits.memory_bytes)
    logger.warning(
        "PDF parser ended without an answer (status %s): %s", status, stderr_tail.decode(errors="replace")
    )
    return BrokenPdf()


class ParsePool:
    """At most `size` parses at once; at most `queue` callers waiting, each for at most `wait_seconds`."""

    def __init__(self, *, size: int, queue: int, wait_seconds: float) -> None:
        self.size = size
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.running = 0
        self.waiting = 0
        self._changed = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one parse slot for the block, waiting in line for it; ParserBusy when the line is full."""
        with self._changed:
            if self.running >= self.size:
                if self.waiting >= self.queue:
                    raise ParserBusy(retry_after=self.wait_seconds / 2)
                self.waiting += 1
                try:
                    free = self._changed.wait_for(lambda: self.running < self.size, timeout=self.wait_seconds)
                finally:
                    self.waiting -= 1
                if not free:
                    raise ParserBusy(retry_after=self.wait_seconds / 2)
            self.running += 1
        try:
            yield
        finally:
            with self._changed:
                self.running -= 1
                self._changed.notify()


@cache
def parse_pool(size: int, queue: int, wait_seconds: float) -> ParsePool:
    """The process-wide pool for these bounds."""
    return ParsePool(size=size, queue=queue, wait_seconds=wait_seconds)


def run_isolated(request: bytes, limits: IngestLimits) -> bytes:
    """Run the worker on `request` within `limits` once the pool has a slot; its answer, or an IngestError."""
    with parse_pool(limits.concurrency, limits.queue, limits.queue_wait_seconds).slot():
        return _run_child(request, limits)


def _run_child(request: bytes, limits: IngestLimits) -> bytes:
    cpu_seconds = max(1, int(limits.timeout_seconds) + 1)
    process = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter and our own module
        [
            sys.executable,
            "-X",
            "faulthandler",
            "-m",
            _WORKER_MODULE,
            str(limits.memory_bytes),
            str(cpu_seconds),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_child_env(),
        close_fds=True,
    )
    deadline = time.monotonic() + limits.timeout_seconds
    try:
        exchange = _exchange(process, request, limits, deadline)
        reaped = None if exchange.timed_out or exchange.answer_too_large else _reap(process, deadline)
        if reaped is None:
            _kill(process)
            if exchange.answer_too_large:
                raise IngestMemoryExceeded(
                    f"The text of this PDF is larger than the limit of {limits.max_result_bytes // 2**20} MB."
                )
            raise IngestTimeout.after(limits.timeout_seconds)
        status, peak_rss = reaped
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and exchange.answer:
            return bytes(exchange.answer)
        raise _failure(status, peak_rss, limits, exchange.stderr_tail)
    finally:
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        if process.returncode is None:
            _kill(process)
