"""The ``extractive`` provider: Tutela's built-in, offline, deterministic model behind the OpenAI protocol.

Every output sentence is copied from the request; nothing is generated. Choices where OpenAI leaves room:

- Structured outputs: a ``json_schema`` named after one of Tutela's schemas is filled by the engine from the
  ``<source-passages>`` block(s) in the messages (or, without a block, from the user messages' text). Any
  other schema, or ``json_object``, gets ``{"answer": ..., "sources": [...]}`` (or the schema's own string
  and string-array properties filled the same way) when that validates, else a 400
  ``unsupported_response_format``.
- Plain chat: the context (passages, system text, earlier turns) is split into sentences, ranked by cosine
  similarity to the last user message (lexical overlap only where a deployment turns `rank_with_embeddings`
  off; without the model, 503), and up to
  ``max_sentences`` of those scoring at least ``min_similarity`` and ``min_relative_similarity`` of the
  best are returned in source order. If none is relevant, the most central sentences are (a summary). With
  no other context, the last user message's own statements are the context; with none at all, a fixed
  sentence says the model only answers from supplied text.
- ``n``: choice 0 is the best answer; choice ``i`` keeps the best sentence and draws the rest from a
  slightly wider pool, seeded by ``(seed, i)``, so it may differ. Structured outputs vary only where the
  engine uses the seed (which questions are asked): choice ``i`` runs with ``seed + i``.
- Legacy completions answer the same way with the prompt as both context and question (its statements are
  the context, its questions, or the whole prompt, the query); ``max_tokens`` has no default of 16.
- Tokens are word pieces of the embedding model's tokenizer (whitespace words if it is unavailable);
  ``stop`` cuts at the earliest stop sequence, then ``max_tokens`` cuts with finish_reason ``length``.
- Retrieved documents ("on your data"): when the passages are labelled ``doc1``…``docN`` (the gateway's
  grounding step), the answer comes from them alone and each sentence ends with its label, ``[doc2]``.
- Sampling parameters (temperature, top_p, penalties) are accepted and ignored; tools are never called.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from jsonschema.validators import Draft202012Validator, validator_for
from pydantic import Field

from tutela.gateway.providers.base import DeploymentConfig, Provider, ProviderOptions
from tutela.gateway.providers.extractive import nlp, terms
from tutela.gateway.providers.extractive.corpus import guess_language
from tutela.gateway.providers.extractive.engine import SCHEMA_NAMES, fill, question_types
from tutela.gateway.providers.extractive.exceptions import (
    EmbeddingModelUnavailable,
    NoUsableText,
    ParserUnavailable,
    UnknownSchema,
)
from tutela.gateway.providers.extractive.sentences import clean, is_instruction_like, split_spans
from tutela.gateway.providers.extractive.stopwords import stopwords
from tutela.gateway.providers.extractive.templates import LANGUAGES
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, chat_chunk, new_chat_id, usage_chunk
from tutela.gateway.wire.common import now
from tutela.gateway.wire.completions import (
    CompletionChoice,
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    new_completion_id,
)
from tutela.gateway.wire.embeddings import Embedding, EmbeddingRequest, EmbeddingResponse, with_encoding
from tutela.gateway.wire.exceptions import (
    InvalidRequestError,
    ModelUnavailableError,
    UnsupportedOperationError,
)
from tutela.gateway.wire.messages import Message
from tutela.gateway.wire.passages import MalformedPassages, Passage, parse_source
from tutela.gateway.wire.response_format import JsonObjectFormat, JsonSchemaFormat
from tutela.gateway.wire.usage import EmbeddingUsage, Usage

if TYPE_CHECKING:
    from tutela.gateway.providers.extractive.embeddings import Embedder

log = logging.getLogger(__name__)

NO_CONTEXT = {
    "en": (
        "The built-in extractive model only answers from text supplied in the conversation; "
        "please include the source text and ask again."
    ),
    "de": (
        "Das eingebaute extraktive Modell antwortet nur aus Text, der im Gespräch mitgegeben wird; "
        "bitte fügen Sie den Quelltext hinzu und fragen Sie erneut."
    ),
}
_STREAM_WORDS = 4
_TOKEN_CHUNK_WORDS = 32  # well below the tokenizer's 256-piece cap, so counts are not truncated
_MAX_EMBEDDED = 400  # beyond this many context sentences, lexical ranking preselects what is embedded
_MAX_BLOCKS = 20
_DOC_LABEL = re.compile(r"doc[0-9]+")
_FINAL = frozenset(".!?…:;\"'”’)»")
_WORD = re.compile(r"\s*\S+")
_LANGUAGE = re.compile(
    r"\b(?:language|sprache)\s*[:=]\s*[\"']?(?P<code>en|de)\b|\b(?P<de>german|deutsch)\b|\b(?P<en>english)\b",
    re.IGNORECASE,
)


class ExtractiveOptions(ProviderOptions):
    """How much a plain-chat answer may quote, and how relevant each quoted sentence must be."""

    max_sentences: int = Field(default=5, ge=1, le=50)
    min_similarity: float = Field(default=0.25, ge=-1.0, le=1.0)
    # Sentences scoring below this fraction of the best one are left out, so a precise question gets
    # its one precise sentence rather than four loosely related ones.
    min_relative_similarity: float = Field(default=0.8, ge=0.0, le=1.0)
    rank_with_embeddings: bool = True


@dataclass(frozen=True, slots=True)
class _Output:
    text: str
    finish_reason: str


@dataclass(frozen=True, slots=True)
class _Conversation:
    passages: list[Passage]
    title: str | None
    language: str | None
    instructions: str
    context: list[str]  # texts to answer from, in message order
    question: str
    user_texts: list[str]


@dataclass(frozen=True, slots=True)
class _Ranking:
    sentences: list[str]
    scores: list[float]
    threshold: float

    def pick(self, k: int, seed: int, variant: int) -> list[str]:
        """The chosen sentences in source order: the top ``k``, or (variant > 0) a seeded variant of them."""
        order = sorted(range(len(self.scores)), key=lambda i: (-self.scores[i], i))
        eligible = [i for i in order if self.scores[i] >= self.threshold] or order[:1]
        chosen = eligible[:k]
        if variant > 0 and len(eligible) > 1:
            # The best sentence stays; the others are drawn from a slightly wider pool.
            pool = eligible[1 : k + 2]
            chosen = [eligible[0], *random.Random(f"{seed}:{variant}").sample(pool, min(k - 1, len(pool)))]
        return [self.sentences[i] for i in sorted(chosen)]


class _Tokens:
    """Counts word pieces with the embedding tokenizer, or whitespace words without it."""

    def __init__(self, embedder: Embedder | None) -> None:
        self._embedder = embedder

    def count(self, texts: Iterable[str]) -> int:
        """Return the tokens of all texts together."""
        words = [w for text in texts for w in text.split()]
        if self._embedder is None or not words:
            return len(words)
        # BERT pre-tokenizes at whitespace, so counting fixed word windows gives the same total.
        chunks = [
            " ".join(words[i : i + _TOKEN_CHUNK_WORDS]) for i in range(0, len(words), _TOKEN_CHUNK_WORDS)
        ]
        return sum(n - 2 for n in self._embedder.count_tokens(chunks))

    def truncate(self, text: str, limit: int) -> tuple[str, bool]:
        """Cut ``text`` after the last whole word within ``limit`` tokens; say whether it was cut."""
        pieces = _WORD.findall(text)
        if self._embedder is None:
            sizes = [1] * len(pieces)
        else:
            sizes = (
                [n - 2 for n in self._embedder.count_tokens([p.strip() for p in pieces])] if pieces else []
            )
        if sum(sizes) <= limit:
            return text, False
        kept, used = [], 0
        for piece, size in zip(pieces, sizes, strict=True):
            if used + size > limit:
                break
            kept.append(piece)
            used += size
        return "".join(kept), True


class ExtractiveProvider(Provider):
    """Answers from the request's own text: Tutela's structured outputs, extractive chat, embeddings."""

    name: ClassVar[str] = "extractive"
    Options: ClassVar[type[ProviderOptions]] = ExtractiveOptions
    supports_streaming: ClassVar[bool] = True
    supports_completions: ClassVar[bool] = True
    supports_embeddings: ClassVar[bool] = True
    # What /v1/models can tell clients about this model's limits.
    metadata: ClassVar[dict[str, Any]] = {
        "description": "Tutela's deterministic extractive engine; runs offline, no external model.",
        "deterministic": True,
        "limitations": [
            "cannot reason, translate or write new text",
            "every sentence of an answer is copied from the input",
            "answers only from text supplied in the request",
        ],
        "languages": list(LANGUAGES),  # templates for question stems and objectives
        "structured_outputs": list(SCHEMA_NAMES),
        "embedding_dimensions": 384,
    }

    def __init__(self) -> None:
        self._embedder: Embedder | None = None
        self._embedder_error: str | None = None

    async def start(self) -> None:
        """Load the embedding model and the English parser now, so the first request does not pay for them."""
        await asyncio.to_thread(self._load_embedder)
        await asyncio.to_thread(_load_parser)

    def _load_embedder(self) -> Embedder | None:
        """The shared embedder, or None (logged once, reason kept) when it cannot be loaded."""
        if self._embedder is None and self._embedder_error is None:
            try:
                from tutela.gateway.providers.extractive.embeddings import Embedder

                self._embedder = Embedder.load()
            except (ImportError, EmbeddingModelUnavailable) as exc:
                self._embedder_error = str(exc)
                log.error("extractive: the embedding model is unavailable: %s", exc)
        return self._embedder

    def _require_embedder(self) -> Embedder:
        """The embedder, or 503: what needs it fails with the reason, never falls back silently."""
        embedder = self._load_embedder()
        if embedder is None:
            raise ModelUnavailableError(
                f"The built-in embedding model is unavailable: {self._embedder_error} "
                "(`tutela doctor` reports every component)."
            )
        return embedder

    def _options(self, deployment: DeploymentConfig) -> ExtractiveOptions:
        options = self.parse_options(deployment)
        assert isinstance(options, ExtractiveOptions)
        return options

    async def chat(self, request: ChatRequest, *, deployment: DeploymentConfig) -> AsyncIterator[ChatChunk]:
        """Stream the extractive answer (or filled schema) a few words per chunk."""
        options = self._options(deployment)
        outputs, usage = await asyncio.to_thread(self._run_chat, request, options)
        chat_id, created = new_chat_id(), now()
        for index, out in enumerate(outputs):
            yield chat_chunk(
                id=chat_id, model=request.model, created=created, role="assistant", content="", index=index
            )
            for piece in _pieces(out.text):
                yield chat_chunk(id=chat_id, model=request.model, created=created, content=piece, index=index)
            yield chat_chunk(
                id=chat_id, model=request.model, created=created, finish_reason=out.finish_reason, index=index
            )
        if not request.stream or request.include_usage:
            yield usage_chunk(id=chat_id, model=request.model, created=created, usage=usage)

    def _run_chat(self, request: ChatRequest, options: ExtractiveOptions) -> tuple[list[_Output], Usage]:
        if isinstance(request.tool_choice, dict) or request.tool_choice == "required":
            raise UnsupportedOperationError(
                "The extractive model never calls tools, so it cannot honour this tool_choice.",
                param="tool_choice",
            )
        tokens = _Tokens(self._load_embedder())
        conv = _read(request.messages)
        seed, fmt, n = request.seed or 0, request.response_format, request.choice_count
        if isinstance(fmt, JsonSchemaFormat) and fmt.json_schema.name in SCHEMA_NAMES:
            schema = fmt.json_schema.schema_ or {}
            texts = [_fill_schema(conv, fmt.json_schema.name, seed + i, schema) for i in range(n)]
        else:
            # Retrieved documents (labelled doc1…docN by the gateway's grounding) are the only context.
            cited = [p for p in conv.passages if p.section and _DOC_LABEL.fullmatch(p.section)]
            context = [p.text for p in cited] if cited else conv.context
            ranking = self._ranking(context, conv.question, options)
            texts = []
            for variant in range(n):
                sources = ranking.pick(options.max_sentences, seed, variant) if ranking else []
                answer = _cite(sources, cited) if sources else _no_context(conv.question)
                if isinstance(fmt, JsonObjectFormat | JsonSchemaFormat):
                    answer = _generic_json(fmt, " ".join(sources) or answer, sources)
                texts.append(answer)
        outputs = [_finish(t, request.stop_sequences, request.token_limit, tokens) for t in texts]
        return outputs, _usage(tokens.count(m.text() for m in request.messages), outputs, tokens)

    def _ranking(self, context: list[str], question: str, options: ExtractiveOptions) -> _Ranking | None:
        """Rank the context's sentences for the question; None when there is nothing to answer from."""
        sentences = _sentences(context)
        query = question
        if not sentences:
            # No other context: the question's own statements are the context, its questions the query.
            own = _sentences([question])
            statements = [s for s in own if not s.endswith("?")]
            if len(statements) < 2:
                return None
            sentences, query = statements, " ".join(s for s in own if s.endswith("?")) or question
        embedder = self._require_embedder() if options.rank_with_embeddings else None
        semantic = _semantic(embedder, query, sentences) if embedder is not None else None
        if semantic is None:
            scores, central, floor = _lexical(query, sentences), _lexical("", sentences), 1e-9
        else:
            (scores, central), floor = semantic, options.min_similarity
        if max(scores) < floor:
            # Nothing is about the question ("Hello", "Summarise this"): answer with the central sentences.
            scores, floor = central, -math.inf
        best = max(scores)
        return _Ranking(
            sentences, scores, max(floor, best * options.min_relative_similarity) if best > 0 else best
        )

    async def complete(
        self, request: CompletionRequest, *, deployment: DeploymentConfig
    ) -> AsyncIterator[CompletionChunk]:
        """Answer each prompt from its own text, streamed a few words per chunk."""
        options = self._options(deployment)
        outputs, usage = await asyncio.to_thread(self._run_completion, request, options)
        cmpl_id, created = new_completion_id(), now()

        def chunk(index: int, text: str, finish_reason: str | None = None) -> CompletionChunk:
            choice = CompletionChoice(index=index, text=text, finish_reason=finish_reason)
            return CompletionResponse(id=cmpl_id, created=created, model=request.model, choices=[choice])

        for index, out in enumerate(outputs):
            for piece in _pieces(out.text):
                yield chunk(index, piece)
            yield chunk(index, "", out.finish_reason)
        if not request.stream or request.include_usage:
            yield CompletionResponse(id=cmpl_id, created=created, model=request.model, usage=usage)

    def _run_completion(
        self, request: CompletionRequest, options: ExtractiveOptions
    ) -> tuple[list[_Output], Usage]:
        prompts = [p for p in request.prompts if isinstance(p, str)]
        if len(prompts) != len(request.prompts):
            raise InvalidRequestError(
                "The extractive model reads text prompts only; token arrays cannot be decoded.",
                param="prompt",
            )
        tokens = _Tokens(self._load_embedder())
        stops = [request.stop] if isinstance(request.stop, str) else list(request.stop or [])
        generated = []
        for prompt in prompts:
            ranking = self._ranking([], prompt, options)
            for variant in range(request.choice_count):
                sources = ranking.pick(options.max_sentences, request.seed or 0, variant) if ranking else []
                text = " ".join(sources) if sources else _no_context(prompt)
                generated.append((prompt, _finish(text, stops, request.max_tokens, tokens)))
        # Echoed prompts are not generated, so they count as prompt tokens only.
        usage = _usage(tokens.count(prompts), [out for _, out in generated], tokens)
        if request.echo:
            return [_Output(prompt + out.text, out.finish_reason) for prompt, out in generated], usage
        return [out for _, out in generated], usage

    async def embed(self, request: EmbeddingRequest, *, deployment: DeploymentConfig) -> EmbeddingResponse:
        """Embed texts with the bundled all-MiniLM-L6-v2 (384 dimensions, L2-normalised)."""
        texts = [t for t in request.inputs if isinstance(t, str)]
        if len(texts) != len(request.inputs):
            raise InvalidRequestError(
                "The extractive model embeds text only; token arrays cannot be decoded.", param="input"
            )
        if request.dimensions not in (None, 384):
            raise InvalidRequestError(
                "The extractive model's embeddings have exactly 384 dimensions.", param="dimensions"
            )
        vectors, prompt_tokens = await asyncio.to_thread(self._run_embed, texts)
        response = EmbeddingResponse(
            data=[Embedding(index=i, embedding=v) for i, v in enumerate(vectors)],
            model=request.model,
            usage=EmbeddingUsage(prompt_tokens=prompt_tokens, total_tokens=prompt_tokens),
        )
        return with_encoding(response, request.encoding_format)

    def _run_embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        embedder = self._require_embedder()
        vectors = embedder.embed(texts)
        # Tokens the model read: texts beyond 256 word pieces are truncated, as the model sees them.
        return [[float(x) for x in row] for row in vectors], sum(embedder.count_tokens(texts))


def _read(messages: Sequence[Message]) -> _Conversation:
    """Split the conversation into passages, instructions, answerable context and the question."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    passages: list[Passage] = []
    context: list[str] = []
    instructions: list[str] = []
    user_texts: list[str] = []
    title = language = None
    question = ""
    for i, message in enumerate(messages):
        found, rest, block_title, block_language = _take_passages(message.text())
        passages.extend(found)
        context.extend(p.text for p in found)
        title, language = title or block_title, language or block_language
        if message.role != "assistant":
            instructions.append(rest)
        if message.role == "user":
            user_texts.append(rest)
        if i == last_user:
            question = rest
        else:
            context.append(rest)
    return _Conversation(
        passages,
        title,
        language,
        "\n".join(instructions),
        [c for c in context if c.strip()],
        question,
        user_texts,
    )


def _take_passages(text: str) -> tuple[list[Passage], str, str | None, str | None]:
    """Take every passage block out of a message: (passages, the rest, title, language)."""
    passages: list[Passage] = []
    title = language = None
    rest = text
    for _ in range(_MAX_BLOCKS):
        try:
            parsed = parse_source(rest)
        except MalformedPassages as exc:
            raise InvalidRequestError(
                f"Malformed source-passage block: {exc.message}.", param="messages"
            ) from None
        if parsed.instructions == rest.strip():
            break  # no (further) block
        passages.extend(parsed.passages)
        title, language = title or parsed.title, language or parsed.language
        rest = parsed.instructions
    return passages, rest.strip(), title, language


# "Context: Paris is…" — the label a prompt puts before its material is not part of an answer.
_LABEL = re.compile(
    r"^(?:context|text|passage|document|source|background|kontext|contexte|contexto|texte|texto|testo)\s*:\s+",
    re.IGNORECASE,
)


def _sentences(texts: Iterable[str]) -> list[str]:
    """Clean, distinct sentences of the texts in order, without fragments or instructions to a model."""
    texts = list(texts)
    language = guess_language(texts)
    seen: dict[str, None] = {}
    for text in texts:
        for start, end in split_spans(text, language):
            sentence = _LABEL.sub("", clean(text[start:end]))
            # Headings and labels are fragments without final punctuation; a long line still counts.
            whole = sentence[-1] in _FINAL or len(sentence.split()) >= 6
            if whole and len(sentence.split()) >= 3 and not is_instruction_like(sentence):
                seen.setdefault(sentence)
    return list(seen)


def _lexical(query: str, sentences: list[str]) -> list[float]:
    """Score sentences by the IDF weight of the query words they share (length-normalised)."""
    stop = stopwords(guess_language([query, *sentences[:40]]))
    bags = [{w for w in terms.words(s) if w not in stop and len(w) > 2} for s in sentences]
    wanted = {w for w in terms.words(query) if w not in stop and len(w) > 2}
    if not wanted:
        wanted = set().union(*bags) if bags else set()
    df = Counter(w for bag in bags for w in bag)
    n = len(sentences)
    return [sum(math.log(1 + n / df[w]) for w in bag & wanted) / math.sqrt(len(bag) + 4) for bag in bags]


def _semantic(embedder: Embedder, query: str, sentences: list[str]) -> tuple[list[float], list[float]] | None:
    """Cosine similarity of each sentence to the query and to the centroid; None if embedding fails."""
    # Only the lexically best sentences are embedded when there are very many, to bound the cost.
    lexical = _lexical(query, sentences)
    chosen = sorted(range(len(sentences)), key=lambda i: -lexical[i])[:_MAX_EMBEDDED]
    try:
        vectors = embedder.embed([sentences[i] for i in chosen])
        target = embedder.embed([query])[0] if query.strip() else None
    except Exception:  # a broken model must not take plain chat down with it
        log.exception("extractive: embedding failed, ranking lexically")
        return None
    centroid = vectors.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    to_query = vectors @ target if target is not None else vectors @ centroid
    to_centroid = vectors @ centroid
    scores, central = [-2.0] * len(sentences), [-2.0] * len(sentences)
    for row, i in enumerate(chosen):
        scores[i], central[i] = float(to_query[row]), float(to_centroid[row])
    return scores, central


def _cite(sentences: list[str], cited: list[Passage]) -> str:
    """The sentences joined, each followed by the label of the retrieved document it was copied from."""
    if not cited:
        return " ".join(sentences)
    squashed = [(" ".join(p.text.split()), p.section) for p in cited]
    out = []
    for sentence in sentences:
        flat = " ".join(sentence.split())
        label = next((section for text, section in squashed if flat in text), None)
        if label is None:  # cleaning changed the sentence: the passage sharing most of its words
            mine = set(terms.words(sentence))
            label = max(squashed, key=lambda item: len(mine & set(terms.words(item[0]))))[1]
        out.append(f"{sentence} [{label}]")
    return " ".join(out)


def _no_context(question: str) -> str:
    return NO_CONTEXT[guess_language([question])]


def _fill_schema(conv: _Conversation, name: str, seed: int, schema: dict[str, Any]) -> str:
    """Fill one of Tutela's schemas from the passages (else from the user messages' text)."""
    passages = conv.passages or [
        Passage(page=i + 1, text=t) for i, t in enumerate(conv.user_texts) if t.strip()
    ]
    if not passages:
        raise InvalidRequestError(
            "No source text to fill the schema from.", param="messages", code="no_usable_text"
        )
    # The block title names the document: right for an outline, while lessons take their section's title.
    title = conv.title if name == "module_outline" else None
    try:
        result = fill(
            name,
            passages,
            conv.instructions,
            title=title,
            language=conv.language or _language(conv.instructions),
            seed=seed,
            question_types=question_types(schema),
        )
    except UnknownSchema as exc:
        raise InvalidRequestError(
            exc.message, param="response_format", code="unsupported_response_format"
        ) from None
    except NoUsableText as exc:
        raise InvalidRequestError(exc.message, param="messages", code="no_usable_text") from None
    return json.dumps(result, ensure_ascii=False)


def _language(instructions: str) -> str | None:
    """The output language the instructions ask for ("language: de", "in German"), if any."""
    m = _LANGUAGE.search(instructions)
    if m is None:
        return None
    return m["code"].lower() if m["code"] else ("de" if m["de"] else "en")


def _generic_json(fmt: JsonObjectFormat | JsonSchemaFormat, answer: str, sources: list[str]) -> str:
    """A JSON answer with its sources, shaped to the client's schema when that is possible."""
    default: dict[str, Any] = {"answer": answer, "sources": sources}
    schema = fmt.json_schema.schema_ if isinstance(fmt, JsonSchemaFormat) else None
    if schema is None:
        return json.dumps(default, ensure_ascii=False)
    validator = validator_for(schema, default=Draft202012Validator)(schema)
    for candidate in (default, _shaped(schema, answer, sources)):
        if candidate is not None and validator.is_valid(candidate):
            return json.dumps(candidate, ensure_ascii=False)
    assert isinstance(fmt, JsonSchemaFormat)
    raise InvalidRequestError(
        f"The extractive model cannot produce the schema {fmt.json_schema.name!r}: it fills Tutela's schemas "
        f"({', '.join(SCHEMA_NAMES)}) or an object of text answers and source sentences.",
        param="response_format",
        code="unsupported_response_format",
    )


def _shaped(schema: dict[str, Any], answer: str, sources: list[str]) -> dict[str, Any] | None:
    """Fill an object schema's string properties with the answer and string arrays with the sources."""
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict):
        return None
    shaped: dict[str, Any] = {}
    for key, spec in properties.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        items = spec.get("items") if isinstance(spec, dict) else None
        if kind == "string":
            shaped[key] = answer
        elif kind == "array" and isinstance(items, dict) and items.get("type") == "string":
            shaped[key] = sources
    return shaped


def _finish(text: str, stops: list[str], limit: int | None, tokens: _Tokens) -> _Output:
    """Apply the earliest stop sequence, then the token limit."""
    hits = [text.find(s) for s in stops if s and s in text]
    if hits:
        text = text[: min(hits)]
    if limit is not None:
        text, cut = tokens.truncate(text, limit)
        if cut:
            return _Output(text, "length")
    return _Output(text, "stop")


def _usage(prompt_tokens: int, outputs: list[_Output], tokens: _Tokens) -> Usage:
    completion = sum(tokens.count([o.text]) for o in outputs)
    return Usage(
        prompt_tokens=prompt_tokens, completion_tokens=completion, total_tokens=prompt_tokens + completion
    )


def _load_parser() -> None:
    """Load the English parser of question writing, or log once why English questions fall back."""
    try:
        nlp.load()
    except ParserUnavailable as exc:
        log.warning("extractive: English parser unavailable, writing key-term questions only: %s", exc)


def _pieces(text: str) -> list[str]:
    """Cut text into stream pieces of a few words each; they concatenate back to ``text`` exactly."""
    words = _WORD.findall(text)
    pieces = ["".join(words[i : i + _STREAM_WORDS]) for i in range(0, len(words), _STREAM_WORDS)]
    tail = text[sum(len(w) for w in words) :]
    if tail:
        pieces.append(tail)
    return pieces
