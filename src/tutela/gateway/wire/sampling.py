"""What chat and legacy completion requests and responses share: sampling, streaming, the envelope."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator

from tutela.gateway.wire.common import RequestModel, ResponseModel
from tutela.gateway.wire.usage import Usage

Temperature = Annotated[float, Field(ge=0, le=2)]
Probability = Annotated[float, Field(ge=0, le=1)]
Penalty = Annotated[float, Field(ge=-2, le=2)]
PositiveInt = Annotated[int, Field(ge=1)]


class StreamOptions(RequestModel):
    """``stream_options``; ``include_usage`` adds a final usage-only chunk."""

    include_usage: bool | None = None


class GenerationRequest(RequestModel):
    """The fields of every text-generating request (chat and legacy completions)."""

    model: str
    n: PositiveInt | None = None
    stop: str | list[str] | None = None
    temperature: Temperature | None = None
    top_p: Probability | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[str, float] | None = None
    seed: int | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    user: str | None = None

    @field_validator("stream_options")
    @classmethod
    def _needs_stream(cls, value: StreamOptions | None, info: ValidationInfo) -> StreamOptions | None:
        """Reject ``stream_options`` without ``stream: true``, as OpenAI does."""
        if value is not None and not info.data.get("stream"):
            raise ValueError("'stream_options' is only allowed when 'stream' is enabled")
        return value

    @property
    def choice_count(self) -> int:
        """How many choices the client asked for (``n``, default 1)."""
        return self.n or 1

    @property
    def include_usage(self) -> bool:
        """Whether a streaming client asked for the final usage chunk."""
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)

    @property
    def stop_sequences(self) -> list[str]:
        """``stop`` normalised to a list."""
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)


class GenerationResponse(ResponseModel):
    """The envelope of a chat or legacy completion (subclasses narrow ``object`` and ``choices``)."""

    id: str = ""
    object: str = ""
    created: int = 0
    model: str = ""
    choices: list[Any] = Field(default_factory=list)
    usage: Usage | None = None
    system_fingerprint: str | None = None
