"""Entry point of the sandboxed child: `python -m tutela.authoring.ingest.worker MEMORY_BYTES CPU_SECONDS`.

Reads a request from stdin (4-byte big-endian header length, JSON header, then the file's bytes) and writes
one JSON answer to the original stdout. The header's `kind` says what to do: read a PDF (the default), probe
a recording, or decode a window of one (media.py). Everything untrusted happens here, behind the caller's
limits.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from typing import Any, BinaryIO

# Exit status for a Python MemoryError, so the caller can tell it from a crash without reading any output.
EXIT_MEMORY = 86


def _apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # CPU time is a backstop for the caller's wall-clock kill; no core files from crashes on hostile input.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _read_request(stream: BinaryIO) -> tuple[dict[str, Any], bytes]:
    header_length = int.from_bytes(stream.read(4), "big")
    header = json.loads(stream.read(header_length))
    if not isinstance(header, dict):
        raise TypeError("request header is not an object")
    return header, stream.read()


def _answer(header: dict[str, Any], data: bytes) -> dict[str, Any]:
    # Imported after the limits are set, so even module import happens inside them.
    from .exceptions import IngestError

    kind = header.get("kind", "pdf")
    try:
        if kind == "probe":
            from .media import probe

            return {"ok": True, "recording": probe(data, float(header["max_seconds"]))}
        if kind == "decode":
            from .media import decode_window

            return {
                "ok": True,
                "window": decode_window(data, float(header["start"]), float(header["length"])),
            }
        from .reader import read_pdf

        document = read_pdf(data, password=header.get("password"), max_pages=int(header["max_pages"]))
    except IngestError as error:
        return {"ok": False, "code": error.code, "message": error.message}
    return {"ok": True, "document": document}


def main() -> None:
    """Run one extraction under the limits given on the command line."""
    _apply_limits(int(sys.argv[1]), int(sys.argv[2]))
    # Keep the real stdout for the answer; anything else printing to stdout lands on stderr instead.
    answer_stream = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        header, data = _read_request(sys.stdin.buffer)
        answer = _answer(header, data)
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except Exception as error:  # noqa: BLE001 - any failure on a hostile file is a refusal, not a crash
        traceback.print_exc(file=sys.stderr)
        answer = {
            "ok": False,
            "code": "broken",
            "message": None,
            "detail": f"{type(error).__name__}: {error}",
        }
    try:
        answer_stream.write(json.dumps(answer, ensure_ascii=False).encode("utf-8", errors="replace"))
        answer_stream.flush()
    except MemoryError:
        os._exit(EXIT_MEMORY)


if __name__ == "__main__":
    main()
