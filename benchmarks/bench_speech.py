"""Accuracy and speed of the built-in speech model against two baselines, on clips spoken in this run.

    .venv/bin/python benchmarks/bench_speech.py [--voice en-us] [--show]

espeak-ng (installed from Debian if missing) speaks each script in CLIPS; each recording is transcribed by
  - nothing: what Tutela did before (an empty transcript, word error rate 100%),
  - pocketsphinx 5 with its bundled US English model (the other offline recogniser installable here),
  - the built-in Whisper tiny.en provider, end to end: sandboxed decoding, then the model.
Word error rate (jiwer, after lower-casing and dropping punctuation) and real-time factor (seconds of
computing per second of audio; below 1 is faster than real time) are printed per clip and overall, with
the peak memory of this process. Synthetic speech is clearer than a person in a meeting room: read the
figures as an upper bound on accuracy.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import av
import jiwer
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.make_speech_fixtures import ensure_espeak, speak  # noqa: E402

from tutela.gateway.providers.base import DeploymentConfig  # noqa: E402
from tutela.gateway.providers.whisper import WhisperProvider  # noqa: E402
from tutela.gateway.wire.audio import TranscriptionRequest  # noqa: E402

# Numbers are written as a transcriber would write them; espeak-ng says them in words.
CLIPS = {
    "fire": "Fire safety training. Every employee must know where the nearest exit is located. In case of "
    "fire, pull the alarm and leave the building calmly.",
    "privacy": "Personal data may only be processed for the purpose it was collected for. Delete customer "
    "records after 30 days unless the law requires you to keep them longer.",
    "onboarding": "Welcome to the onboarding course. In the first week you will meet your team, set up your "
    "laptop, and complete three short modules on security, expenses and travel.",
    "numbers": "The quarterly target is 250 sales. Submit your report by Friday the 14th at 5 o'clock.",
    "lifting": "When lifting heavy boxes, bend your knees, keep your back straight, and hold the load close "
    "to your body. Ask a colleague for help with anything over 20 kilograms.",
}


def normalise(text: str) -> str:
    """Lower-case words without punctuation, so WER counts words, not commas."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def pcm16(path: Path) -> bytes:
    """16 kHz mono signed 16-bit samples of a recording (what pocketsphinx reads)."""
    parts = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16_000)
        for frame in container.decode(audio=0):
            parts.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
        parts.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    return np.concatenate(parts).astype("<i2").tobytes()


def pocketsphinx(path: Path) -> str:
    """Transcribe with pocketsphinx's bundled model."""
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=16_000, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(pcm16(path), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis is not None else ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voice", default="en-us")
    parser.add_argument("--show", action="store_true", help="print each reference and transcript")
    args = parser.parse_args()
    espeak = ensure_espeak()
    provider = WhisperProvider()
    deployment = DeploymentConfig(name="whisper", provider="whisper")
    started = time.perf_counter()
    loop = asyncio.new_event_loop()  # one loop for every call: the provider's queue belongs to it
    warm_up = TranscriptionRequest(model="w", file=pcm_wav_silence())
    loop.run_until_complete(provider.transcribe(warm_up, deployment=deployment))
    print(f"model load + first call: {time.perf_counter() - started:.2f} s")
    totals: dict[str, list[float]] = {"nothing": [], "pocketsphinx": [], "whisper": []}
    seconds_total, times = 0.0, {"pocketsphinx": 0.0, "whisper": 0.0}
    print(
        f"{'clip':<11} {'secs':>7} {'nothing':>8} {'psphinx':>8} {'whisper':>8} {'rtf ps':>7} {'rtf wh':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, script in CLIPS.items():
            path = Path(tmp) / f"{name}.wav"
            speak(script, path, "pcm_s16le", espeak, voice=args.voice)
            audio_seconds = len(pcm16(path)) / 32_000
            seconds_total += audio_seconds
            reference = normalise(script)
            t0 = time.perf_counter()
            ps_text = pocketsphinx(path)
            t1 = time.perf_counter()
            request = TranscriptionRequest(model="w", file=path.read_bytes())
            wh_text = loop.run_until_complete(provider.transcribe(request, deployment=deployment)).text
            t2 = time.perf_counter()
            times["pocketsphinx"] += t1 - t0
            times["whisper"] += t2 - t1
            wer = {
                "nothing": 1.0,
                "pocketsphinx": jiwer.wer(reference, normalise(ps_text) or "-"),
                "whisper": jiwer.wer(reference, normalise(wh_text) or "-"),
            }
            for key, value in wer.items():
                totals[key].append(value)
            if args.show:
                print(f"  said: {reference}\n  pocketsphinx: {normalise(ps_text)}")
                print(f"  whisper: {normalise(wh_text)}")
            print(
                f"{name:<11} {audio_seconds:7.1f} {wer['nothing']:8.1%} {wer['pocketsphinx']:8.1%} "
                f"{wer['whisper']:8.1%} {(t1 - t0) / audio_seconds:7.2f} {(t2 - t1) / audio_seconds:7.2f}"
            )
    mean = {key: sum(values) / len(values) for key, values in totals.items()}
    print(
        f"{'mean':<11} {seconds_total:7.1f} {mean['nothing']:8.1%} {mean['pocketsphinx']:8.1%} "
        f"{mean['whisper']:8.1%} {times['pocketsphinx'] / seconds_total:7.2f} "
        f"{times['whisper'] / seconds_total:7.2f}"
    )
    print(
        f"whisper/pocketsphinx WER ratio: {mean['whisper'] / max(mean['pocketsphinx'], 1e-9):.2f}; "
        f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def pcm_wav_silence() -> bytes:
    """One second of silence as a wav file (warms the model up)."""
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(b"\0\0" * 16_000)
    return out.getvalue()


if __name__ == "__main__":
    main()
