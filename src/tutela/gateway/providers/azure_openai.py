"""The ``azure-openai`` provider: an Azure OpenAI resource's deployment, keyed by ``api-key``."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import Field, model_validator

from tutela.gateway.providers.base import DeploymentConfig, ProviderOptions
from tutela.gateway.providers.http_options import HTTPOptions
from tutela.gateway.providers.http_provider import HTTPProvider, Operation
from tutela.gateway.providers.upstream import UpstreamRequest
from tutela.gateway.wire.chat import ChatChunk
from tutela.gateway.wire.completions import CompletionChunk


class AzureOpenAIOptions(HTTPOptions):
    """The resource endpoint, the deployment in it, and the data-plane API version."""

    endpoint: str = Field(pattern=r"^https?://", examples=["https://my-resource.openai.azure.com"])
    deployment: str = Field(min_length=1)
    api_version: str = Field(default="2024-10-21", min_length=1)

    @model_validator(mode="after")
    def _needs_key(self) -> AzureOpenAIOptions:
        if not self.has_api_key_source:
            raise ValueError("Azure OpenAI needs one of api_key, api_key_env, api_key_file")
        return self


class AzureOpenAIProvider(HTTPProvider):
    """Relays to ``{endpoint}/openai/deployments/{deployment}/{operation}?api-version=…``."""

    name: ClassVar[str] = "azure-openai"
    Options: ClassVar[type[ProviderOptions]] = AzureOpenAIOptions

    def prepare(
        self, deployment: DeploymentConfig, operation: Operation, body: dict[str, Any]
    ) -> UpstreamRequest:
        """Address the Azure deployment by path; the body's ``model`` is meaningless to Azure, so dropped."""
        options = self.parse_options(deployment)
        assert isinstance(options, AzureOpenAIOptions)
        key = options.resolve_api_key()
        headers = {**options.headers, "api-key": key or ""}
        url = (
            f"{options.endpoint.rstrip('/')}/openai/deployments/{quote(options.deployment, safe='')}"
            f"/{operation}?api-version={quote(options.api_version, safe='')}"
        )
        return UpstreamRequest(
            url=url,
            body={k: v for k, v in body.items() if k != "model"},
            headers=headers,
            timeout=options.timeout(),
            retry=options.retry_policy(),
            secrets=(key,) if key else (),
        )

    def keep_chunk(self, chunk: ChatChunk | CompletionChunk) -> bool:
        """Drop Azure's choice-less ``prompt_filter_results`` chunks, which OpenAI clients never expect."""
        return bool(chunk.choices) or chunk.usage is not None
