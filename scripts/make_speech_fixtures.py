"""Regenerate the spoken test recordings in tests/fixtures/speech/ with Debian's espeak-ng.

    .venv/bin/python scripts/make_speech_fixtures.py

espeak-ng (GPL-3 program; its output audio carries no licence restriction) speaks the texts in
SCRIPTS; PyAV re-encodes each to a small 16 kHz mono file. The texts are written here, so a test can
compare a transcript with what was said. Installs espeak-ng with apt-get when missing and run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import av

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "speech"

# name -> (container/codec, text)
SCRIPTS: dict[str, tuple[str, str]] = {
    "fire_safety.wav": (
        "pcm_s16le",
        "Fire safety training. Every employee must know where the nearest exit is located.",
    ),
    "first_aid.ogg": (
        "libopus",
        "First aid basics. Check that the scene is safe before you help. Call the emergency number, then "
        "keep the person warm and still until help arrives.",
    ),
}


def ensure_espeak() -> str:
    """The espeak-ng binary, installed from Debian if missing and allowed."""
    found = shutil.which("espeak-ng")
    if found:
        return found
    if os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "espeak-ng"], check=True, env=env)
        found = shutil.which("espeak-ng")
    if not found:
        raise SystemExit("espeak-ng is needed: apt-get install espeak-ng")
    return found


def speak(text: str, target: Path, codec: str, espeak: str, *, voice: str = "en-us") -> None:
    """Speak `text` into `target`, re-encoded to 16 kHz mono with `codec` (48 kHz for Opus)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run([espeak, "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
        rate = 48_000 if codec == "libopus" else 16_000
        with av.open(str(raw)) as source, av.open(str(target), "w") as sink:
            stream = sink.add_stream(codec, rate=rate, layout="mono")
            if codec == "libopus":
                stream.bit_rate = 24_000
            resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
            for frame in source.decode(audio=0):
                for out in resampler.resample(frame):
                    sink.mux(stream.encode(out))
            for out in resampler.resample(None):
                sink.mux(stream.encode(out))
            sink.mux(stream.encode(None))


def main() -> None:
    """Write every fixture."""
    espeak = ensure_espeak()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (codec, text) in SCRIPTS.items():
        speak(text, OUT / name, codec, espeak)
        print(f"{name}: {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
