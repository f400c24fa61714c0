"""A Llama Guard 3 model behind any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp server...).

The conversation goes as chat messages and the server's Llama Guard chat template builds the task prompt
(the policy with categories S1-S14, then "Provide your safety assessment for ONLY THE LAST User/Agent
message"): a prompt is sent as the `user` turn; a completion as the `assistant` (Agent) turn after the
prompt it answers, so the model classifies the response in context. The model replies `safe`, or `unsafe`
and a line of violated categories (`S1,S10`).

    S1 violent crimes, S9 indiscriminate weapons    violence
    S3 sex-related crimes, S4 child sexual
       exploitation, S12 sexual content            sexual
    S10 hate                                        hate
    S11 suicide and self-harm                       self_harm
    S14 code interpreter abuse                      jailbreak (prompts; on completions as S2...)
    S2, S5, S6, S7, S8, S13                         no Tutela category: named in `other`; they filter
                                                    only with other_categories = "filter"

An `unsafe` verdict is severity high in its categories: the model's answer is a decision, not a score.
"""

from __future__ import annotations

import re
from typing import Any

from tutela.gateway.providers.upstream import UpstreamClient
from tutela.gateway.safety.external.base import (
    CHUNK_CHARS,
    ScreenText,
    ServiceFailure,
    ServiceVerdict,
    all_of,
    chunks,
    post_json,
)
from tutela.gateway.safety.external.schemas import LlamaGuardSettings

HARM: dict[str, str] = {
    "S1": "violence",
    "S3": "sexual",
    "S4": "sexual",
    "S9": "violence",
    "S10": "hate",
    "S11": "self_harm",
    "S12": "sexual",
}
DETECTION: dict[str, str] = {"S14": "jailbreak"}
_CATEGORY = re.compile(r"^S(?:[1-9]|1[0-4])$")


def parse_reply(content: Any) -> list[str]:
    """The violated categories of a reply (empty when safe); ServiceFailure("malformed") otherwise."""
    if not isinstance(content, str):
        raise ServiceFailure("malformed", "no message content")
    lines = [line.strip() for line in content.strip().splitlines() if line.strip()]
    if lines == ["safe"]:
        return []
    if not lines or lines[0] != "unsafe" or len(lines) > 2:
        raise ServiceFailure("malformed", "the reply is neither 'safe' nor 'unsafe'")
    codes = [c.strip() for c in lines[1].split(",")] if len(lines) == 2 else []
    if not codes or not all(_CATEGORY.match(c) for c in codes):
        raise ServiceFailure("malformed", "'unsafe' without categories S1-S14")
    return codes


class LlamaGuard:
    """One guard model (see the module docstring)."""

    kind = "llama_guard"

    def __init__(self, settings: LlamaGuardSettings, *, api_key: str | None) -> None:
        self.name = settings.name
        self.settings = settings
        self.api_key = api_key
        self._url = settings.base_url.rstrip("/") + "/chat/completions"

    async def check(self, http: UpstreamClient, text: ScreenText) -> ServiceVerdict:
        """One classification per piece of the text, all at once."""
        verdict = ServiceVerdict(service=self.name, kind=self.kind)
        context = text.context[-CHUNK_CHARS:]
        conversations = []
        for piece in chunks(text.joined()):
            if text.direction == "prompt":
                conversations.append([{"role": "user", "content": piece}])
            else:
                conversations.append(
                    [{"role": "user", "content": context}, {"role": "assistant", "content": piece}]
                )
        replies = await all_of(self._classify(http, c) for c in conversations)
        for codes in replies:
            for code in codes:
                self._apply(code, text, verdict)
        return verdict

    def _apply(self, code: str, text: ScreenText, verdict: ServiceVerdict) -> None:
        if code in HARM:
            verdict.raise_severity(HARM[code], "high")
        elif code in DETECTION and text.direction == "prompt":
            verdict.detections[DETECTION[code]] = True
        elif code not in verdict.other:  # S2, S5-S8, S13; S14 on a completion
            verdict.other.append(code)
            verdict.other_filters = self.settings.other_categories == "filter"

    async def _classify(self, http: UpstreamClient, messages: list[dict[str, str]]) -> list[str]:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.settings.model, "messages": messages, "temperature": 0, "max_tokens": 20}
        reply = await post_json(http, self._url, body, headers=headers, secret=self.api_key)
        try:
            content = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ServiceFailure("malformed", "not a chat completion") from None
        return parse_reply(content)
