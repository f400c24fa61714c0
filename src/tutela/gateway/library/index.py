"""One document's retrieval index (chunks and their MiniLM vectors) and the hybrid ranking over many.

A chunk is a run of consecutive paragraphs of one page, up to `CHUNK_WORDS` words, carried byte for byte
so a citation is an exact passage of the document. Ranking fuses a keyword score (BM25 over the candidate
chunks) and the cosine of the question's vector with each chunk's (reciprocal-rank fusion), as Azure AI
Search's hybrid query does; `strictness` sets the minimum cosine a chunk needs to be used at all.
"""

from __future__ import annotations

import base64
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutela.gateway.providers.extractive.embeddings import Embedder
from tutela.gateway.providers.extractive.stopwords import stopwords
from tutela.gateway.providers.extractive.terms import words

CHUNK_WORDS = 120
FORMAT_VERSION = 1
# Minimum cosine similarity to the question per strictness (1 lenient … 5 strict), MiniLM's scale.
MIN_COSINE = {1: 0.10, 2: 0.20, 3: 0.30, 4: 0.40, 5: 0.50}
_RRF_K = 60  # reciprocal-rank fusion constant (Azure AI Search uses 60 too)
_BM25_K1, _BM25_B = 1.2, 0.75


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of one page, with its keyword counts (computed once, when the index is built)."""

    page: int
    text: str
    terms: dict[str, int]

    @classmethod
    def of(cls, page: int, text: str) -> Chunk:
        """A chunk and its counts."""
        return cls(page, text, dict(Counter(_terms(text))))


@dataclass(frozen=True, slots=True)
class DocumentIndex:
    """A document's chunks and their L2-normalised vectors (one row per chunk)."""

    chunks: list[Chunk]
    vectors: np.ndarray[Any, np.dtype[np.float32]]

    def to_bytes(self) -> bytes:
        """JSON with the vectors as base64 float32, for one encrypted object."""
        return json.dumps(
            {
                "version": FORMAT_VERSION,
                "chunks": [{"page": c.page, "text": c.text, "terms": c.terms} for c in self.chunks],
                "vectors": base64.b64encode(self.vectors.astype("<f4").tobytes()).decode("ascii"),
            },
            ensure_ascii=False,
        ).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> DocumentIndex:
        """Read back `to_bytes`."""
        raw = json.loads(data)
        chunks = [Chunk(int(c["page"]), str(c["text"]), dict(c["terms"])) for c in raw["chunks"]]
        flat = np.frombuffer(base64.b64decode(raw["vectors"]), dtype="<f4")
        return cls(chunks, flat.reshape(len(chunks), -1) if chunks else flat.reshape(0, 0))


def chunk_paragraphs(paragraphs: Sequence[tuple[int, str]]) -> list[Chunk]:
    """Group consecutive paragraphs of the same page into chunks of at most ~`CHUNK_WORDS` words."""
    chunks: list[Chunk] = []
    page, parts, size = 0, list[str](), 0
    for number, text in paragraphs:
        text = text.strip()
        if not text:
            continue
        count = len(text.split())
        if parts and (number != page or size + count > CHUNK_WORDS):
            chunks.append(Chunk.of(page, "\n".join(parts)))
            parts, size = [], 0
        page = number
        parts.append(text)
        size += count
    if parts:
        chunks.append(Chunk.of(page, "\n".join(parts)))
    return chunks


def build(embedder: Embedder, paragraphs: Sequence[tuple[int, str]]) -> DocumentIndex:
    """Chunk and embed a document."""
    chunks = chunk_paragraphs(paragraphs)
    return DocumentIndex(chunks, embedder.embed([c.text for c in chunks]))


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk that qualified for the question, with where it came from and why."""

    document: int  # index into the documents passed to `rank`
    chunk: int
    cosine: float
    keyword: float
    score: float


_STOP = stopwords("en") | stopwords("de")


def _terms(text: str) -> list[str]:
    return [w for w in words(text) if len(w) > 2 and w not in _STOP]


def _bm25(query: list[str], chunks: list[Chunk]) -> list[float]:
    n = len(chunks)
    wanted = set(query)
    if not n or not wanted:
        return [0.0] * n
    lengths = [sum(c.terms.values()) for c in chunks]
    average = sum(lengths) / n or 1.0
    idf = {}
    for w in wanted:
        df = sum(1 for c in chunks if w in c.terms)
        idf[w] = math.log(1 + (n - df + 0.5) / (df + 0.5))
    scores = []
    for chunk, length in zip(chunks, lengths, strict=True):
        norm = _BM25_K1 * (1 - _BM25_B + _BM25_B * length / average)
        score = 0.0
        for w in wanted & chunk.terms.keys():
            tf = chunk.terms[w]
            score += idf[w] * tf * (_BM25_K1 + 1) / (tf + norm)
        scores.append(score)
    return scores


def rank(
    embedder: Embedder,
    question: str,
    documents: Sequence[DocumentIndex],
    *,
    top_n: int,
    strictness: int,
    query_type: str,
) -> list[Hit]:
    """The best `top_n` chunks of the documents for the question, best first."""
    places = [(d, c) for d, doc in enumerate(documents) for c in range(len(doc.chunks))]
    if not places or not question.strip():
        return []
    keyword = _bm25(_terms(question), [documents[d].chunks[c] for d, c in places])
    target = embedder.embed([question])[0]
    cosine = [float(x) for doc in documents if doc.chunks for x in doc.vectors @ target]
    by_keyword = {i: r for r, i in enumerate(sorted(range(len(places)), key=lambda i: -keyword[i]))}
    by_vector = {i: r for r, i in enumerate(sorted(range(len(places)), key=lambda i: -cosine[i]))}
    hits = []
    for i, (d, c) in enumerate(places):
        if query_type == "simple":
            relevant, score = keyword[i] > 0, keyword[i]
        elif query_type == "vector":
            relevant, score = cosine[i] >= MIN_COSINE[strictness], cosine[i]
        else:
            relevant = cosine[i] >= MIN_COSINE[strictness]
            score = 1 / (_RRF_K + by_vector[i]) + (1 / (_RRF_K + by_keyword[i]) if keyword[i] > 0 else 0.0)
        if relevant:
            hits.append(Hit(d, c, cosine[i], keyword[i], score))
    hits.sort(key=lambda h: -h.score)
    return hits[:top_n]
