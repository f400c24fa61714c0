"""The settings of one external safety service, as a deployment's content filter lists it.

A service's API key is write-only: given in a PUT, it is sealed (configuration.py) and never stored in these
settings, returned or written to the audit log (`exclude=True` keeps it out of every dump).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SERVICE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
MAX_SERVICES = 4

OnFailure = Literal["fail_closed", "fail_open"]


class _Service(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=SERVICE_NAME, description="how annotations name this service")
    jurisdiction: str = Field(
        min_length=1,
        max_length=32,
        description="where the service processes text (e.g. EEA, US); the organization's region must "
        "allow it",
    )
    api_key: SecretStr | None = Field(
        default=None, exclude=True, description="write-only: sealed, never returned"
    )
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
    timeout_seconds: float = Field(default=2.0, gt=0, le=60, description="for the whole check, all calls")
    on_failure: OnFailure = Field(
        default="fail_closed",
        description="fail_closed: a timeout, error or malformed reply filters the text; fail_open: it passes",
    )
    prompts: bool = True
    completions: bool = True


class AzureContentSafetySettings(_Service):
    """Azure AI Content Safety: `text:analyze` (four harm categories, blocklists), `text:shieldPrompt`."""

    kind: Literal["azure_content_safety"]
    endpoint: str = Field(pattern=r"^https?://", max_length=500)
    api_version: str = Field(default="2024-09-01", pattern=r"^[0-9a-z-]{1,40}$")
    output_type: Literal["FourSeverityLevels", "EightSeverityLevels"] = "FourSeverityLevels"
    blocklist_names: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9._~-]{1,64}$")]] = Field(
        default_factory=list, max_length=10
    )
    halt_on_blocklist_hit: bool = False
    shield_prompt: bool = Field(default=True, description="jailbreak and document attacks on prompts")


class OpenAIModerationSettings(_Service):
    """OpenAI's moderation API (`POST {base_url}/moderations`)."""

    kind: Literal["openai_moderation"]
    base_url: str = Field(default="https://api.openai.com/v1", pattern=r"^https?://", max_length=500)
    model: str = Field(default="omni-moderation-latest", min_length=1, max_length=100)


class LlamaGuardSettings(_Service):
    """A Llama Guard 3 model behind an OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp...)."""

    kind: Literal["llama_guard"]
    base_url: str = Field(pattern=r"^https?://", max_length=500)
    model: str = Field(default="llama-guard3", min_length=1, max_length=200)
    other_categories: Literal["filter", "annotate"] = Field(
        default="annotate",
        description="S2, S5-S8 and S13 have no Tutela category: filter on them, or only name them",
    )


ServiceSettings = Annotated[
    AzureContentSafetySettings | OpenAIModerationSettings | LlamaGuardSettings, Field(discriminator="kind")
]

# The services that cannot work without a key.
NEEDS_KEY = ("azure_content_safety", "openai_moderation")
