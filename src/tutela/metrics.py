"""Prometheus metrics of one running Tutela, exposed at `/metrics` to holders of `server.metrics_token`.

One registry per runtime (not the library's global one), so two apps in one process never mix their
figures. Labels are bounded: route templates (never paths with ids), operations, status codes, error codes
and verdict directions; never an organization, a key, a user or any content.

    tutela_http_requests_total{method,route,status}       every answer
    tutela_http_request_duration_seconds{route}           time to the end of the answer (histogram)
    tutela_gateway_requests_total{operation,streamed}     gateway exchanges that reached the pipeline's end
    tutela_gateway_tokens_total{kind}                     prompt and completion tokens
    tutela_gateway_filtered_total{direction}              prompts refused, completions filtered
    tutela_gateway_rate_limited_total{code}               429s of rate limits and budgets
    tutela_gateway_upstream_failures_total{provider,code} upstream failures, fallen back from or not
    tutela_gateway_errors_total{status,code}              OpenAI-shaped errors, upstream failures included
    tutela_gateway_pii_vaults_open                        pseudonym vaults of requests under way (pii/)
    tutela_monitoring_records_*                           the abuse-monitoring queue (monitoring/recorder.py)
    tutela_job_duration_seconds{job,outcome}              background job runs (histogram; storage/jobs.py)
    tutela_job_failures_total{job,kind}                   failed job runs by error code or exception class
    tutela_jobs_queued, tutela_jobs_scheduled             the job queue's depth, read at scrape time
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_JOB_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The registry and the instruments every layer updates."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "tutela_http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=r
        )
        self.http_seconds = Histogram(
            "tutela_http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its answer.",
            ["route"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.gateway_requests = Counter(
            "tutela_gateway_requests", "Gateway exchanges completed.", ["operation", "streamed"], registry=r
        )
        self.tokens = Counter("tutela_gateway_tokens", "Tokens of gateway exchanges.", ["kind"], registry=r)
        self.filtered = Counter(
            "tutela_gateway_filtered", "Prompts refused and completions filtered.", ["direction"], registry=r
        )
        self.rate_limited = Counter(
            "tutela_gateway_rate_limited", "Requests refused by a rate limit or budget.", ["code"], registry=r
        )
        self.upstream_failures = Counter(
            "tutela_gateway_upstream_failures",
            "Upstream calls that failed after the provider's retries, by provider and error code.",
            ["provider", "code"],
            registry=r,
        )
        self.errors = Counter(
            "tutela_gateway_errors", "OpenAI-shaped error answers.", ["status", "code"], registry=r
        )
        self.pii_vaults = Gauge(
            "tutela_gateway_pii_vaults_open",
            "Pseudonym vaults of requests under way; each is destroyed when its request ends.",
            registry=r,
        )

        self.job_seconds = Histogram(
            "tutela_job_duration_seconds",
            "Seconds a background job ran, by job and outcome (ok, failed).",
            ["job", "outcome"],
            buckets=_JOB_BUCKETS,
            registry=r,
        )
        self.job_failures = Counter(
            "tutela_job_failures",
            "Background job runs that failed, by job and kind.",
            ["job", "kind"],
            registry=r,
        )

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answer and its time."""
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_seconds.labels(route).observe(seconds)

    def register(self, collector: Collector) -> None:
        """Add a collector that reads its figures at scrape time (queue depths, say)."""
        self.registry.register(collector)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)
