"""Chat messages and their content parts, as clients send them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from tutela.gateway.wire.common import RequestModel, discriminate


class TextPart(RequestModel):
    """``{"type": "text", "text": ...}``."""

    type: Literal["text"]
    text: str


class ImageURL(RequestModel):
    """An image by URL or ``data:`` URI."""

    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(RequestModel):
    """``{"type": "image_url", "image_url": {...}}``."""

    type: Literal["image_url"]
    image_url: ImageURL


class InputAudio(RequestModel):
    """Base64 audio with its format (``wav``, ``mp3``…)."""

    data: str
    format: str


class AudioPart(RequestModel):
    """``{"type": "input_audio", "input_audio": {...}}``."""

    type: Literal["input_audio"]
    input_audio: InputAudio


class FileRef(RequestModel):
    """An inline (base64) or previously uploaded file."""

    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class FilePart(RequestModel):
    """``{"type": "file", "file": {...}}``."""

    type: Literal["file"]
    file: FileRef


class RefusalPart(RequestModel):
    """An assistant's earlier refusal, replayed in history."""

    type: Literal["refusal"]
    refusal: str


UserPart = Annotated[
    Annotated[TextPart, Tag("type=text")]
    | Annotated[ImagePart, Tag("type=image_url")]
    | Annotated[AudioPart, Tag("type=input_audio")]
    | Annotated[FilePart, Tag("type=file")],
    Discriminator(discriminate("type")),
]
AssistantPart = Annotated[
    Annotated[TextPart, Tag("type=text")] | Annotated[RefusalPart, Tag("type=refusal")],
    Discriminator(discriminate("type")),
]
ContentPart = TextPart | ImagePart | AudioPart | FilePart | RefusalPart


def _text_of(content: str | list[Any] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content if isinstance(part, TextPart))


class _Message(RequestModel):
    content: Any = None

    def text(self) -> str:
        """Return the message's text, joining text parts and skipping media."""
        return _text_of(self.content)


class SystemMessage(_Message):
    """Instructions from the application."""

    role: Literal["system"]
    content: str | list[TextPart]
    name: str | None = None


class DeveloperMessage(_Message):
    """Instructions from the developer (newer name for ``system``)."""

    role: Literal["developer"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(_Message):
    """What the end user said, possibly with images, audio or files."""

    role: Literal["user"]
    content: str | list[UserPart]
    name: str | None = None


class FunctionCall(RequestModel):
    """A function name with its JSON-encoded arguments."""

    name: str
    arguments: str


class ToolCall(RequestModel):
    """A tool call the assistant made earlier in the conversation."""

    id: str
    type: str = "function"
    function: FunctionCall


class AssistantMessage(_Message):
    """An earlier assistant turn."""

    role: Literal["assistant"]
    content: str | list[AssistantPart] | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None


class ToolMessage(_Message):
    """The result of a tool call."""

    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


class FunctionMessage(_Message):
    """The result of a (deprecated) function call."""

    role: Literal["function"]
    content: str | None
    name: str


Message = Annotated[
    Annotated[SystemMessage, Tag("role=system")]
    | Annotated[DeveloperMessage, Tag("role=developer")]
    | Annotated[UserMessage, Tag("role=user")]
    | Annotated[AssistantMessage, Tag("role=assistant")]
    | Annotated[ToolMessage, Tag("role=tool")]
    | Annotated[FunctionMessage, Tag("role=function")],
    Discriminator(discriminate("role")),
]


class FunctionDefinition(RequestModel):
    """A function the model may call; ``parameters`` is a JSON Schema."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(RequestModel):
    """A tool offered to the model; unknown tool types pass through to the upstream."""

    type: str = Field(default="function")
    function: FunctionDefinition | None = None
