"""Domain errors of the built-in extractive provider."""

from __future__ import annotations

from tutela.errors import InvalidInput, Unavailable


class EmbeddingModelUnavailable(Unavailable):
    """The bundled embedding model cannot be found or read."""

    code = "embedding_model_unavailable"


class EmbeddingModelIntegrityError(EmbeddingModelUnavailable):
    """The embedding weights on disk do not match the pinned SHA-256."""

    code = "embedding_model_integrity"


class UnknownSchema(InvalidInput):
    """The extractive engine cannot fill a structured output of this name."""

    code = "unknown_schema"


class NoUsableText(InvalidInput):
    """The source passages hold no sentence the extractive engine can use."""

    code = "no_usable_text"


class ParserUnavailable(Unavailable):
    """The bundled English parser (spaCy pipeline) cannot be found or read."""

    code = "parser_unavailable"


class ParserIntegrityError(ParserUnavailable):
    """A file of the English parser on disk does not match its pinned SHA-256."""

    code = "parser_integrity"
