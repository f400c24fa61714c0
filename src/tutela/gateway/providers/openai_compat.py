"""The ``openai`` provider: any OpenAI-compatible upstream by base URL (OpenAI, vLLM, Ollama, llama.cpp)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from tutela.gateway.providers.base import DeploymentConfig, ProviderOptions
from tutela.gateway.providers.http_options import HTTPOptions
from tutela.gateway.providers.http_provider import HTTPProvider, Operation
from tutela.gateway.providers.upstream import UpstreamRequest


class OpenAICompatOptions(HTTPOptions):
    """Where the upstream lives and which of its models this deployment uses."""

    base_url: str = Field(
        pattern=r"^https?://", examples=["https://api.openai.com/v1", "http://localhost:11434/v1"]
    )
    model: str = Field(min_length=1)
    organization: str | None = None


class OpenAICompatProvider(HTTPProvider):
    """Relays to ``{base_url}/chat/completions`` etc. with a Bearer key (if any)."""

    name: ClassVar[str] = "openai"
    Options: ClassVar[type[ProviderOptions]] = OpenAICompatOptions

    def prepare(
        self, deployment: DeploymentConfig, operation: Operation, body: dict[str, Any]
    ) -> UpstreamRequest:
        """Point the call at ``base_url`` with the upstream model name and Bearer auth."""
        options = self.parse_options(deployment)
        assert isinstance(options, OpenAICompatOptions)
        key = options.resolve_api_key()
        headers = dict(options.headers)
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if options.organization is not None:
            headers["OpenAI-Organization"] = options.organization
        return UpstreamRequest(
            url=f"{options.base_url.rstrip('/')}/{operation}",
            body={**body, "model": options.model},
            headers=headers,
            timeout=options.timeout(),
            retry=options.retry_policy(),
            secrets=(key,) if key else (),
        )
