"""Offline sentence embeddings: all-MiniLM-L6-v2 on ONNX Runtime, the graph built in memory from safetensors.

Weights and tokenizer are the Hugging Face snapshot `sentence-transformers/all-MiniLM-L6-v2@1110a243`
(`model.safetensors`, float32, and `tokenizer.json`, Apache-2.0), shipped in Tutela's own package data
(`minilm/`, see its README): the PyPI wheels that carry them depend on sentence-transformers and torch,
which Tutela does not need. Both files are checked against SHA-256 values pinned here (equal to the
upstream snapshot), then parsed from the very bytes that were hashed.

Runtime choice. Exporting ONNX needs torch, so the 6-layer BERT encoder is written out with `onnx.helper`
(179 nodes) around the verified arrays and handed to onnxruntime as bytes; nothing touches disk or
the network. Measured in interleaved runs on the 2-core box, 128 mixed English sentences of 18 word
pieces on average, best of several passes, other jobs holding the load average near 6:
    sentences/s              batch 1   batch 64   batch 128
    onnxruntime 1.31 (this)  135-184     51-99      53-67
    numpy 2.4 BLAS encoder    33-41      22-32      29-35
    torch 2.13 + s-t 6.2       1         29-48      45-48   (spinning OpenMP threads starve at batch 1)

The box was never idle while this was written, so absolute figures are low against the design notes (ORT
~470/s, torch ~570/s at batch 128 on an idle box); the ranking held in every round. Re-measure with
benchmarks/bench_embeddings.py.

ONNX Runtime fuses bias+GELU (BiasGelu) and residual+LayerNorm (SkipLayerNormalization), the passes that
dominate numpy's non-GEMM time, and has far less per-op overhead at batch 1, so it won everywhere. Its
threads do not spin (the gateway shares two cores with web and job workers; spinning pools collapsed
throughput under that contention). Loading (hashing 90 MB, graph build, ORT optimisation) takes about 2 s;
it adds ~530 MB RSS at peak, ~215 MB after.

An int8 variant (`Embedder.load(quantized=True)`, used by the content-safety cascade) is built from the same
verified arrays: every linear layer's weight is rounded to int8 with one symmetric scale per output column
(ONNX Runtime's `DynamicQuantizeMatMul`, activations quantized per call), on one thread. The rounding is
plain numpy, so the bytes are the same on every machine; their SHA-256 (`QUANTIZED_SHA256`) is checked
before the graph is built, so a changed rounding rule or damaged weights refuse to load. Against the float
model the sentence vectors keep a cosine of about 0.99, at roughly half the cost for short texts.

Pipeline, as sentence-transformers does it: WordPiece with [CLS]/[SEP] truncated at 256 word pieces (the
shipped tokenizer.json says truncate at 128 and pad to 128; both are overridden), BERT encoder, mean pooling
over the attention mask, L2 normalisation. Against sentence-transformers 6.2 + torch 2.13 the largest
element difference on the reference fixture is 2.2e-7 (cosine 1 - 6e-8). Texts are sorted by token count
and cut into batches under a padded-token budget, so a long text does not inflate a batch of short ones.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import onnx
import onnxruntime as ort  # type: ignore[import-untyped]
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load as load_safetensors
from tokenizers import Tokenizer

from tutela.gateway.providers.extractive.exceptions import (
    EmbeddingModelIntegrityError,
    EmbeddingModelUnavailable,
)

# SHA-256 of the files at HF revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41 (identical in the wheel).
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSIONS = 384
MAX_TOKENS = 256
_LAYERS = 6
_HEADS = 12
_HEAD_DIM = DIMENSIONS // _HEADS
_LN_EPS = 1e-12
# Padded tokens per forward batch: enough rows for efficient GEMMs, while the (batch, heads, len, len)
# attention scores stay a few MB.
_TOKEN_BUDGET = 4096
_MAX_BATCH = 128
_THREADS = 2
# SHA-256 of the int8 weights and scales, in graph order (see `_Graph.linear`).
QUANTIZED_SHA256 = "dc32358b94df44919cc223d8bdbb2e25807150e7cc53af4fd896e69dc06ec22d"

F32 = NDArray[np.float32]


def default_model_dir() -> Path:
    """Directory of the model files shipped in Tutela's package data."""
    return Path(__file__).parent / "minilm"


def _read_verified(path: Path, expected_sha256: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EmbeddingModelUnavailable(
            f"cannot read embedding model file {path}: {exc.strerror or exc} (reinstall Tutela)"
        ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise EmbeddingModelIntegrityError(
            f"embedding model file {path} failed the integrity check: SHA-256 is {actual}, "
            f"expected {expected_sha256}; refusing to load it (reinstall Tutela)"
        )
    return data


def verify_files(model_dir: Path | None = None) -> None:
    """Check that both model files are there and match their pinned SHA-256 (EmbeddingModelUnavailable)."""
    model_dir = model_dir or default_model_dir()
    _read_verified(model_dir / "tokenizer.json", TOKENIZER_SHA256)
    _read_verified(model_dir / "model.safetensors", MODEL_SHA256)


class _Graph:
    """Accumulates ONNX nodes and initializers; every helper returns its output's name."""

    def __init__(self, quantized: bool = False) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.quantized = quantized
        self.int8_digest = hashlib.sha256()

    def const(self, name: str, value: NDArray[Any]) -> str:
        self.initializers.append(numpy_helper.from_array(np.array(value, order="C"), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attrs))
        return output

    def linear(self, x: str, weight: NDArray[Any], bias: NDArray[Any], name: str) -> str:
        # torch Linear stores (out, in); MatMul wants (in, out).
        if self.quantized:
            return self._int8_linear(x, np.asarray(weight.T, dtype=np.float32), bias, name)
        product = self.op("MatMul", [x, self.const(name + ".w", weight.T)], name + ".mm")
        return self.op("Add", [product, self.const(name + ".b", bias)], name)

    def _int8_linear(self, x: str, weight: NDArray[np.float32], bias: NDArray[Any], name: str) -> str:
        """x @ weight + bias with weight rounded to int8, one symmetric scale per output column."""
        peak = np.maximum(np.abs(weight).max(axis=0), np.float32(1e-8))
        scale = (peak / np.float32(127.0)).astype(np.float32)
        q = np.clip(np.rint(weight / scale), -127, 127).astype(np.int8)
        self.int8_digest.update(q.tobytes())
        self.int8_digest.update(scale.tobytes())
        inputs = [
            x,
            self.const(name + ".q", q),
            self.const(name + ".s", scale),
            "",
            self.const(name + ".b", bias),
        ]
        self.nodes.append(helper.make_node("DynamicQuantizeMatMul", inputs, [name], domain="com.microsoft"))
        return name

    def layer_norm(self, x: str, w: Mapping[str, NDArray[Any]], prefix: str, name: str) -> str:
        gamma = self.const(name + ".g", w[prefix + "LayerNorm.weight"])
        beta = self.const(name + ".b", w[prefix + "LayerNorm.bias"])
        return self.op("LayerNormalization", [x, gamma, beta], name, axis=-1, epsilon=_LN_EPS)


def _encoder_layer(g: _Graph, x: str, w: Mapping[str, NDArray[Any]], i: int) -> str:
    p, n = f"encoder.layer.{i}.", f"l{i}"
    # One fused QKV product; Q pre-scaled by 1/sqrt(head_dim) so the scores need no extra pass.
    scale = np.float32(1.0 / np.sqrt(_HEAD_DIM))
    qkv_w = np.concatenate([w[p + f"attention.self.{m}.weight"] for m in ("query", "key", "value")])
    qkv_b = np.concatenate([w[p + f"attention.self.{m}.bias"] for m in ("query", "key", "value")])
    qkv_w[:DIMENSIONS] *= scale
    qkv_b[:DIMENSIONS] *= scale
    qkv = g.linear(x, qkv_w, qkv_b, n + ".qkv")
    heads = g.op(
        "Transpose", [g.op("Reshape", [qkv, "shape_qkv"], n + ".r")], n + ".heads", perm=[2, 0, 3, 1, 4]
    )
    q, k, v = (g.op("Gather", [heads, f"index{j}"], f"{n}.{'qkv'[j]}", axis=0) for j in range(3))
    k_t = g.op("Transpose", [k], n + ".kt", perm=[0, 1, 3, 2])
    scores = g.op("Add", [g.op("MatMul", [q, k_t], n + ".s0"), "key_bias"], n + ".scores")
    probs = g.op("Softmax", [scores], n + ".probs", axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [probs, v], n + ".c0")], n + ".c1", perm=[0, 2, 1, 3])
    context = g.op("Reshape", [context, "shape_hidden"], n + ".context")
    attn = g.linear(
        context, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"], n + ".o"
    )
    x = g.layer_norm(g.op("Add", [attn, x], n + ".res1"), w, p + "attention.output.", n + ".ln1")
    hidden = g.linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"], n + ".ff1")
    # Exact erf GELU as BERT uses it, spelled x * (1 + erf(x / sqrt2)) * 0.5: the form ORT fuses to BiasGelu.
    erf = g.op("Erf", [g.op("Div", [hidden, "sqrt2"], n + ".gs")], n + ".erf")
    gated = g.op("Mul", [hidden, g.op("Add", [erf, "one"], n + ".g1")], n + ".g2")
    gelu = g.op("Mul", [gated, "half"], n + ".gelu")
    out = g.linear(gelu, w[p + "output.dense.weight"], w[p + "output.dense.bias"], n + ".ff2")
    return g.layer_norm(g.op("Add", [out, x], n + ".res2"), w, p + "output.", n + ".ln2")


def _build_model(w: Mapping[str, NDArray[Any]], quantized: bool = False) -> bytes:
    """The BERT encoder as a serialized ONNX graph: (ids, positions, key bias) -> last hidden state;
    `quantized` rounds the linear layers to int8 and checks their digest (EmbeddingModelIntegrityError)."""
    g = _Graph(quantized)
    g.const("shape_qkv", np.array([0, 0, 3, _HEADS, _HEAD_DIM], dtype=np.int64))
    g.const("shape_hidden", np.array([0, 0, DIMENSIONS], dtype=np.int64))
    for j in range(3):
        g.const(f"index{j}", np.array(j, dtype=np.int64))
    g.const("half", np.array(0.5, dtype=np.float32))
    g.const("one", np.array(1.0, dtype=np.float32))
    g.const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    words = g.op(
        "Gather", [g.const("word_emb", w["embeddings.word_embeddings.weight"]), "input_ids"], "words"
    )
    positions = g.op(
        "Gather",
        [g.const("pos_emb", w["embeddings.position_embeddings.weight"]), "position_ids"],
        "positions",
    )
    token_type = g.const("type_emb", w["embeddings.token_type_embeddings.weight"][0])  # single-segment input
    x = g.op("Add", [g.op("Add", [words, positions], "emb0"), token_type], "emb1")
    x = g.layer_norm(x, w, "embeddings.", "emb")
    for i in range(_LAYERS):
        x = _encoder_layer(g, x, w, i)
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("position_ids", TensorProto.INT64, [1, "length"]),
            helper.make_tensor_value_info("key_bias", TensorProto.FLOAT, ["batch", 1, 1, "length"]),
        ],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "length", DIMENSIONS])],
        g.initializers,
    )
    if quantized and g.int8_digest.hexdigest() != QUANTIZED_SHA256:
        raise EmbeddingModelIntegrityError(
            f"the int8 embedding weights have SHA-256 {g.int8_digest.hexdigest()}, expected "
            f"{QUANTIZED_SHA256}; refusing to load them (reinstall Tutela)"
        )
    # IR 8 / opset 17 (LayerNormalization) load on every onnxruntime since 1.14.
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("com.microsoft", 1)] if quantized else [])
    model = helper.make_model(graph, opset_imports=opsets, ir_version=8)
    serialized: bytes = model.SerializeToString()
    return serialized


def _session(model: bytes, threads: int = _THREADS) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle workers sleep instead of spinning: the gateway shares two cores with the web and job workers.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class Embedder:
    """all-MiniLM-L6-v2 sentence embedder; immutable after construction, so safe to share across threads."""

    _cached: ClassVar[dict[bool, Embedder]] = {}
    _cache_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, session: ort.InferenceSession, tokenizer: Tokenizer) -> None:
        self._session = session
        self._tokenizer = tokenizer

    @classmethod
    def load(cls, *, quantized: bool = False) -> Embedder:
        """The process-wide embedder from Tutela's package data, loaded and verified on first use
        (`quantized`: the int8 variant on one thread, see the module docstring)."""
        cached = cls._cached.get(quantized)
        if cached is None:
            with cls._cache_lock:
                cached = cls._cached.get(quantized)
                if cached is None:
                    cached = cls._cached[quantized] = cls.from_dir(default_model_dir(), quantized=quantized)
        return cached

    @classmethod
    def from_dir(cls, model_dir: Path, *, quantized: bool = False) -> Embedder:
        """Load from a directory holding model.safetensors and tokenizer.json, both hash-verified."""
        tokenizer_json = _read_verified(model_dir / "tokenizer.json", TOKENIZER_SHA256)
        tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        # Each 90 MB stage is dropped as soon as the next exists, to keep the load-time peak down.
        data = _read_verified(model_dir / "model.safetensors", MODEL_SHA256)
        arrays = load_safetensors(data)
        del data
        model = _build_model(arrays, quantized)
        del arrays
        return cls(_session(model, 1 if quantized else _THREADS), tokenizer)

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [enc.ids for enc in self._tokenizer.encode_batch(list(texts), add_special_tokens=True)]

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces per text as the model sees them ([CLS]/[SEP] included, capped at 256)."""
        return [len(ids) for ids in self._encode(texts)]

    def embed(self, texts: list[str]) -> F32:
        """Embed texts into an (n, 384) float32 array of L2-normalised rows."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        ids = self._encode(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            # Sorted ascending, so the last member of a batch sets its padded length.
            end = start + 1
            while (
                end < len(order)
                and end - start < _MAX_BATCH
                and (end - start + 1) * len(ids[order[end]]) <= _TOKEN_BUDGET
            ):
                end += 1
            batch = order[start:end]
            out[batch] = self._forward([ids[i] for i in batch])
            start = end
        return out

    def _forward(self, batch: list[list[int]]) -> F32:
        n, length = len(batch), max(len(ids) for ids in batch)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, ids in enumerate(batch):
            tokens[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        # Padded keys get a large negative score, as HF BERT does with finfo(float32).min.
        key_bias = ((1.0 - mask) * np.float32(-1e30))[:, None, None, :]
        feeds = {
            "input_ids": tokens,
            "position_ids": np.arange(length, dtype=np.int64)[None],
            "key_bias": key_bias,
        }
        hidden: F32 = self._session.run(None, feeds)[0]
        pooled: F32 = (hidden * mask[:, :, None]).sum(axis=1)
        pooled /= np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        return pooled
