"""A minimal OpenAI-compatible upstream for measuring the gateway: fixed answers, no framework.

    python benchmarks/raw_upstream.py --port 9100

Plain asyncio HTTP/1.1 with keep-alive. `POST .../chat/completions` answers a fixed chat completion, or, when
the body asks for `"stream": true`, five SSE chunks and `[DONE]` (chunked transfer encoding). It costs a few
microseconds per request, so a benchmark against it measures the gateway and the load generator, not the
upstream. Any other path gets a 404; it checks nothing else (it is a benchmark peer, not a fake for tests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from typing import cast

_STREAM = re.compile(rb'"stream"\s*:\s*true')
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_WORDS = ["Hello", " to", " the", " benchmark", "."]


def _response(status: str, content_type: bytes, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\ncontent-type: ".encode() + content_type
    return head + b"\r\ncontent-length: %d\r\n\r\n" % len(body) + body


def _completion() -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(_WORDS)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 6, "completion_tokens": 5, "total_tokens": 11},
    }
    return _response("200 OK", b"application/json", json.dumps(body).encode())


def _chunk(payload: dict[str, object]) -> bytes:
    data = b"data: " + json.dumps(payload).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def _stream() -> bytes:
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "m",
    }
    parts = [b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"]
    parts.append(
        _chunk(base | {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
    )
    for word in _WORDS:
        parts.append(
            _chunk(base | {"choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]})
        )
    parts.append(_chunk(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    done = b"data: [DONE]\n\n"
    parts.append(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))
    return b"".join(parts)


COMPLETION, STREAM = _completion(), _stream()
NOT_FOUND = _response("404 Not Found", b"application/json", b'{"error":{"message":"not found"}}')


class _Connection(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            match = _CONTENT_LENGTH.search(head)
            size = int(match.group(1)) if match else 0
            if len(self.buffer) < end + 4 + size:
                return
            body = self.buffer[end + 4 : end + 4 + size]
            self.buffer = self.buffer[end + 4 + size :]
            if b"/chat/completions" not in head.split(b"\r\n", 1)[0]:
                self.transport.write(NOT_FOUND)
            else:
                self.transport.write(STREAM if _STREAM.search(body) else COMPLETION)


async def serve(host: str, port: int) -> None:
    """Serve until cancelled."""
    server = await asyncio.get_running_loop().create_server(_Connection, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args()
    print(f"raw upstream on http://{args.host}:{args.port}/v1", flush=True)
    try:
        import uvloop

        uvloop.run(serve(args.host, args.port))
    except ImportError:
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
