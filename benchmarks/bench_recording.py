"""Transcribing a recording for authoring, in 30-second parts, against one request and against blind cuts.

    .venv/bin/python benchmarks/bench_recording.py [--repeat 2] [--show]

espeak-ng speaks the scripts of bench_speech.py one after another (1.5 s apart, `--repeat` times) into one
m4a (AAC) recording. It is then transcribed three ways by the built-in Whisper tiny.en provider:
  - one request: the whole recording at once (what `POST /v1/audio/transcriptions` does),
  - blind cuts: authoring's chunked path, cutting every 30 s wherever that falls (words may be split),
  - quiet cuts: authoring's chunked path as shipped, cutting at the quietest 100 ms near each 30 s mark.
The chunked paths run recordings/transcribe.py as the job does, with the sandboxed ingest decoder, and
hand each part to the provider (the gateway's access checks and monitoring are left out of the timing).
Word error rate (jiwer, lower-cased, no punctuation) and real-time factor are printed for each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import jiwer
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_speech import CLIPS, normalise, pcm16  # noqa: E402
from scripts.make_speech_fixtures import ensure_espeak, speak  # noqa: E402

from tutela.authoring.ingest.limits import IngestLimits  # noqa: E402
from tutela.authoring.recordings import transcribe  # noqa: E402
from tutela.gateway.providers.base import DeploymentConfig  # noqa: E402
from tutela.gateway.providers.whisper import WhisperProvider  # noqa: E402
from tutela.gateway.wire.audio import Transcription, TranscriptionRequest  # noqa: E402

RATE = 16_000


class _Direct:
    """Stands where the gateway does in the job: hands each part to the provider."""

    def __init__(self, provider: WhisperProvider) -> None:
        self.provider = provider
        self.deployment = DeploymentConfig(name="whisper", provider="whisper")

    async def transcribe(self, caller: Any, request: TranscriptionRequest) -> Transcription:
        return await self.provider.transcribe(request, deployment=self.deployment)


def _m4a(pcm: np.ndarray[Any, Any], path: Path) -> None:
    with av.open(str(path), "w", format="ipod") as sink:
        stream = sink.add_stream("aac", rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=RATE)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            sink.mux(stream.encode(piece))
        sink.mux(stream.encode(None))


async def _chunked(provider: WhisperProvider, data: bytes, seconds: float) -> str:
    run = transcribe._Run(
        gateway=_Direct(provider),  # type: ignore[arg-type]
        caller=None,  # type: ignore[arg-type]
        data=data,
        limits=IngestLimits(),
        deployment="whisper",
        language="en",
        length=seconds,
        progress=lambda fraction: None,
    )
    await transcribe._transcribe(run)
    return " ".join(s.text for s in run.segments)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    espeak = ensure_espeak()
    provider = WhisperProvider()
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory() as tmp:
        pause = np.zeros(int(RATE * 1.5), dtype=np.int16)
        parts, said = [], []
        for _ in range(args.repeat):
            for name, script in CLIPS.items():
                path = Path(tmp) / f"{name}.wav"
                speak(script, path, "pcm_s16le", espeak)
                parts += [np.frombuffer(pcm16(path), dtype="<i2"), pause]
                said.append(script)
        pcm = np.concatenate(parts)
        recording = Path(tmp) / "lecture.m4a"
        _m4a(pcm, recording)
        data = recording.read_bytes()
    seconds = len(pcm) / RATE
    reference = normalise(" ".join(said))
    warm = TranscriptionRequest(model="w", file=data)
    loop.run_until_complete(
        provider.transcribe(warm, deployment=DeploymentConfig(name="w", provider="whisper"))
    )
    print(f"recording: {seconds:.1f} s of speech and pauses, {len(data) / 1024:.0f} KiB m4a")
    print(f"{'path':<12} {'WER':>7} {'RTF':>6}")
    results: dict[str, tuple[float, float, str]] = {}
    started = time.perf_counter()
    whole = loop.run_until_complete(
        provider.transcribe(warm, deployment=DeploymentConfig(name="w", provider="whisper"))
    ).text
    results["one request"] = (time.perf_counter() - started, 0.0, whole)
    cut_point = transcribe.cut_point
    for label, cutter in (
        ("blind cuts", lambda samples, size: min(len(samples), size)),
        ("quiet cuts", cut_point),
    ):
        transcribe.cut_point = cutter  # type: ignore[assignment]
        started = time.perf_counter()
        text = loop.run_until_complete(_chunked(provider, data, seconds))
        results[label] = (time.perf_counter() - started, 0.0, text)
    transcribe.cut_point = cut_point
    for label, (elapsed, _, text) in results.items():
        wer = jiwer.wer(reference, normalise(text) or "-")
        print(f"{label:<12} {wer:7.1%} {elapsed / seconds:6.2f}")
        if args.show:
            print(f"  {normalise(text)}")


if __name__ == "__main__":
    main()
