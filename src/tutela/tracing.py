"""Optional OpenTelemetry traces: spans for HTTP requests, the gateway's pipeline stages and background jobs.

Off unless `server.otlp_traces_endpoint` names an OTLP/HTTP collector (`http://collector:4318/v1/traces`).
Off, `Tracing.span` hands back one shared do-nothing span and no OpenTelemetry module is ever imported, so
the request path pays a method call. On, spans are batched and exported in the background by the standard
SDK and its OTLP/HTTP exporter.

Spans carry ids, names of stages, counts and timings: request, organization, resource, key and job ids, the
deployment and target names, status codes, token counts, error codes and exception class names. Never
content: no prompt, completion, document text, person name or address, and no exception message (it may
quote the input).

    http.request          one per HTTP request (method, route template, status, request id)
      gateway.access      the key's check
      gateway.filter      screening of the prompt, then of the completion (direction)
      gateway.upstream    the call to the provider, to the first chunk when streamed (target, provider)
      gateway.monitoring  handing the exchange to abuse monitoring
    job                   one per background job run (job name, outcome)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

Attribute = str | int | float | bool


class Span(Protocol):
    """What the code being traced may do with its span: add ids, counts and outcomes."""

    def set(self, key: str, value: Attribute | None) -> None:
        """Attach one attribute (a `None` value is left out)."""

    def fail(self, kind: str) -> None:
        """Mark the span failed, naming the kind of failure (an error code or class, never a message)."""


class _NullSpan:
    """The span of disabled tracing: one shared instance, every method a no-op."""

    def set(self, key: str, value: Attribute | None) -> None:
        return None

    def fail(self, kind: str) -> None:
        return None

    def __enter__(self) -> _NullSpan:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


NULL_SPAN = _NullSpan()


class Tracing:
    """Disabled tracing: spans cost nothing and go nowhere."""

    enabled = False

    def span(self, name: str, **attributes: Attribute | None) -> AbstractContextManager[Span]:
        """A span around the block, the current span's child."""
        return NULL_SPAN

    def flush(self, timeout_seconds: float = 5.0) -> bool:
        """Export what is buffered (a no-op when disabled)."""
        return True

    def close(self) -> None:
        """Export what is buffered and stop the exporter."""
        return None


class _OtelSpan:
    def __init__(self, span: Any) -> None:
        self._span = span

    def set(self, key: str, value: Attribute | None) -> None:
        if value is not None:
            self._span.set_attribute(key, value)

    def fail(self, kind: str) -> None:
        from opentelemetry.trace import Status, StatusCode

        self._span.set_attribute("error.type", kind)
        self._span.set_status(Status(StatusCode.ERROR))


class OtlpTracing(Tracing):
    """Spans exported to an OTLP/HTTP collector by the OpenTelemetry SDK, batched off the request path."""

    enabled = True

    def __init__(self, endpoint: str, *, service_name: str = "tutela") -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        # A provider of our own rather than the global one: two runtimes in a process never mix spans.
        resource = Resource.create({"service.name": service_name})
        self.provider: TracerProvider = TracerProvider(resource=resource)
        self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=5)))
        self._tracer = self.provider.get_tracer("tutela")

    @contextmanager
    def span(self, name: str, **attributes: Attribute | None) -> Iterator[Span]:
        """A span around the block; an exception marks it failed with its class name only."""
        kept = {k: v for k, v in attributes.items() if v is not None}
        with self._tracer.start_as_current_span(
            name, attributes=kept, record_exception=False, set_status_on_exception=False
        ) as raw:
            span = _OtelSpan(raw)
            try:
                yield span
            except BaseException as exc:
                code = getattr(exc, "code", None)
                span.fail(code if isinstance(code, str) else type(exc).__name__)
                raise

    def flush(self, timeout_seconds: float = 5.0) -> bool:
        """Export every finished span now."""
        return bool(self.provider.force_flush(int(timeout_seconds * 1000)))

    def close(self) -> None:
        """Export what is left and stop the exporter's thread."""
        self.provider.shutdown()


def open_tracing(endpoint: str | None) -> Tracing:
    """Tracing as configured: disabled (nothing imported) without an endpoint."""
    return OtlpTracing(endpoint) if endpoint else Tracing()
