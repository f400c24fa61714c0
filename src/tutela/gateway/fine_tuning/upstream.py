"""The upstream side of fine-tuning: files and jobs on an OpenAI or Azure OpenAI resource.

OpenAI: `{base_url}/files`, `{base_url}/fine_tuning/jobs[/{id}[/cancel|/events|/checkpoints]]` with a Bearer
key. Azure OpenAI: the same paths under `{endpoint}/openai/` with `api-key` and `?api-version=`. Every call
is made once (no retry): the caller, or the next poll, tries again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from tutela.gateway.providers.azure_openai import AzureOpenAIOptions
from tutela.gateway.providers.base import DeploymentConfig
from tutela.gateway.providers.openai_compat import OpenAICompatOptions
from tutela.gateway.providers.registry import ProviderRegistry
from tutela.gateway.providers.retry import RetryPolicy
from tutela.gateway.providers.upstream import FilePart, UpstreamClient, UpstreamRequest, UpstreamTimeout
from tutela.gateway.wire.exceptions import UnsupportedOperationError, UpstreamResponseError

TRAINABLE = ("openai", "azure-openai")

# Upstream statuses in OpenAI's vocabulary; Azure's older api-versions (and its legacy fine-tunes API)
# answer `notRunning`, `pending`, `canceled` and the like.
_STATUSES = {
    "validating_files": "validating_files",
    "queued": "queued",
    "running": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
    "notrunning": "queued",
    "pending": "queued",
    "pendingupload": "validating_files",
    "canceled": "cancelled",
    "deleted": "cancelled",
}
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def status_of(upstream: Any) -> str:
    """The upstream's status word in OpenAI's vocabulary; an unknown word is a bad response."""
    word = str(upstream or "").replace("_", "").lower()
    for known, ours in _STATUSES.items():
        if known.replace("_", "") == word:
            return ours
    raise UpstreamResponseError(
        f"The upstream reported an unknown fine-tuning status {str(upstream)[:40]!r}."
    )


@dataclass(frozen=True)
class Trainer:
    """One upstream resource as fine-tuning sees it: where, with which key."""

    base: str  # …/v1 (OpenAI) or {endpoint}/openai (Azure)
    query: dict[str, str]  # Azure's api-version
    headers: dict[str, str] = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False)
    timeout: UpstreamTimeout
    base_model: str  # what the upstream fine-tunes: the model (OpenAI), the deployment's model (Azure)
    azure: bool

    @property
    def host(self) -> str:
        """The upstream's origin, as the audit log names it."""
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        files: tuple[FilePart, ...] = (),
    ) -> UpstreamRequest:
        query = urlencode({**self.query, **(params or {})})
        return UpstreamRequest(
            url=f"{self.base}/{path}" + (f"?{query}" if query else ""),
            body=body or {},
            files=files,
            headers=self.headers,
            timeout=self.timeout,
            retry=RetryPolicy(max_retries=0),
            secrets=self.secrets,
            method=method,
        )

    async def upload(self, http: UpstreamClient, *, filename: str, data: bytes) -> str:
        """Upload a training file; the upstream's file id."""
        part = FilePart(name="file", data=data, filename=filename, content_type="application/jsonl")
        answer = await http.post_json(
            self._request("POST", "files", body={"purpose": "fine-tune"}, files=(part,))
        )
        return _field(answer, "id")

    async def delete_file(self, http: UpstreamClient, file_id: str) -> None:
        """Delete an uploaded file."""
        await http.post_json(self._request("DELETE", f"files/{quote(file_id, safe='')}"))

    async def create(self, http: UpstreamClient, body: dict[str, Any]) -> dict[str, Any]:
        """Create the job; the upstream's job object."""
        return _object(await http.post_json(self._request("POST", "fine_tuning/jobs", body=body)))

    async def job(self, http: UpstreamClient, job_id: str) -> dict[str, Any]:
        """The job as the upstream sees it now."""
        return _object(
            await http.post_json(self._request("GET", f"fine_tuning/jobs/{quote(job_id, safe='')}"))
        )

    async def cancel(self, http: UpstreamClient, job_id: str) -> dict[str, Any]:
        """Ask the upstream to cancel the job."""
        path = f"fine_tuning/jobs/{quote(job_id, safe='')}/cancel"
        return _object(await http.post_json(self._request("POST", path)))

    async def listing(
        self, http: UpstreamClient, job_id: str, what: str, params: dict[str, str]
    ) -> tuple[list[dict[str, Any]], bool]:
        """The job's `events` or `checkpoints`, as the upstream lists them, and whether there are more."""
        path = f"fine_tuning/jobs/{quote(job_id, safe='')}/{what}"
        answer = _object(await http.post_json(self._request("GET", path, params=params)))
        data = answer.get("data")
        if not isinstance(data, list):
            raise UpstreamResponseError(f"The upstream's {what} list had no 'data'.")
        return [d for d in data if isinstance(d, dict)], answer.get("has_more") is True


def _object(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise UpstreamResponseError("The upstream's fine-tuning answer was not a JSON object.")
    return answer


def _field(answer: Any, name: str) -> str:
    value = _object(answer).get(name)
    if not isinstance(value, str) or not value:
        raise UpstreamResponseError(f"The upstream's answer had no {name!r}.")
    return value


def trainer(registry: ProviderRegistry, config: DeploymentConfig) -> Trainer:
    """The upstream that trains for this deployment; a 400 for a provider that cannot fine-tune."""
    if config.provider not in TRAINABLE:
        raise UnsupportedOperationError(
            f"The deployment {config.name!r} runs on the {config.provider!r} provider, which cannot be "
            "fine-tuned; name a deployment on an 'openai' or 'azure-openai' upstream.",
            param="model",
            code="fine_tuning_not_supported",
        )
    options = registry.parse_options(config)
    assert isinstance(options, OpenAICompatOptions | AzureOpenAIOptions)
    if options.pii != "off":
        raise UnsupportedOperationError(
            f"The deployment {config.name!r} pseudonymises personal data before it leaves, which a training "
            "file cannot be: fine-tuning is refused on it. Use a deployment with pii 'off' if the file may "
            "go to that upstream as it is.",
            param="model",
            code="fine_tuning_not_supported",
        )
    key = options.resolve_api_key()
    secrets = (key,) if key else ()
    if isinstance(options, AzureOpenAIOptions):
        return Trainer(
            base=f"{options.endpoint.rstrip('/')}/openai",
            query={"api-version": options.api_version},
            headers={**options.headers, "api-key": key or ""},
            secrets=secrets,
            timeout=options.timeout(),
            base_model=options.deployment,
            azure=True,
        )
    headers = dict(options.headers)
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if options.organization is not None:
        headers["OpenAI-Organization"] = options.organization
    return Trainer(
        base=options.base_url.rstrip("/"),
        query={},
        headers=headers,
        secrets=secrets,
        timeout=options.timeout(),
        base_model=options.model,
        azure=False,
    )
