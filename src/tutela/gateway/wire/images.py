"""Image generation: request, response, and recognising the image bytes an upstream returns."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import Field, field_validator

from tutela.gateway.wire.common import RequestModel, ResponseModel

# Every size OpenAI's and Azure OpenAI's image models accept (DALL-E 2 and 3, gpt-image-1).
IMAGE_SIZES = (
    "256x256",
    "512x512",
    "1024x1024",
    "1792x1024",
    "1024x1792",
    "1536x1024",
    "1024x1536",
    "auto",
)
IMAGE_QUALITIES = ("standard", "hd", "low", "medium", "high", "auto")
MAX_PROMPT_CHARS = 32_000  # gpt-image-1's limit; DALL-E's upstreams refuse shorter ones themselves

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class ImageRequest(RequestModel):
    """``POST /v1/images/generations`` body."""

    model: str
    prompt: Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_CHARS)]
    n: Annotated[int, Field(ge=1)] | None = None
    size: str | None = None
    quality: str | None = None
    style: Literal["vivid", "natural"] | None = None
    response_format: Literal["url", "b64_json"] | None = None
    user: str | None = None

    @field_validator("size")
    @classmethod
    def _known_size(cls, value: str | None) -> str | None:
        if value is not None and value not in IMAGE_SIZES:
            raise ValueError(f"'{value}' is not a supported size; supported: {', '.join(IMAGE_SIZES)}")
        return value

    @field_validator("quality")
    @classmethod
    def _known_quality(cls, value: str | None) -> str | None:
        if value is not None and value not in IMAGE_QUALITIES:
            raise ValueError(
                f"'{value}' is not a supported quality; supported values are {', '.join(IMAGE_QUALITIES)}"
            )
        return value

    @property
    def wants_url(self) -> bool:
        """Whether the client asked for links (OpenAI's default) rather than inline base64."""
        return self.response_format != "b64_json"


class ImageData(ResponseModel):
    """One image: inline base64 or a link, and the prompt the model actually used."""

    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class ImageResponse(ResponseModel):
    """``{"created", "data": [...]}``."""

    created: int = 0
    data: list[ImageData] = Field(default_factory=list)


def image_type(data: bytes) -> str | None:
    """The media type of PNG, JPEG, GIF or WebP bytes; None for anything else."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def decode_image(b64: str) -> bytes:
    """The bytes of a base64 image; ValueError if it is not base64."""
    try:
        return base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not valid base64") from exc
