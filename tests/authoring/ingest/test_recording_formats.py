"""Every accepted recording format is probed in the sandboxed child and decoded window by window.

The recordings are made here from the committed espeak-ng clips (tests/authoring/api/recordings.py); a video
is an mp4 with a moving picture and that sound track.
"""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from tests.authoring.api.recordings import encode, lecture_pcm
from tutela.authoring.ingest import IngestLimits
from tutela.authoring.ingest.audio import decode_window, is_pdf, probe_recording

SPEECH = lecture_pcm()[: 16_000 * 8]


def _video_with_sound() -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as sink:
        video = sink.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sound = sink.add_stream("aac", rate=16_000, layout="mono")
        for i in range(80):
            picture = np.full((48, 64, 3), i * 3, dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                sink.mux(packet)
        frame = av.AudioFrame.from_ndarray(SPEECH.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 16_000
        resampler = av.AudioResampler(format=sound.format.name, layout="mono", rate=16_000)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            sink.mux(sound.encode(piece))
        for packet in [*video.encode(None), *sound.encode(None)]:
            sink.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "codec", "rate", "media_type"),
    [
        ("wav", "pcm_s16le", 16_000, "audio/wav"),
        ("mp3", "libmp3lame", 16_000, "audio/mpeg"),
        ("ipod", "aac", 16_000, "audio/mp4"),
        ("ogg", "libopus", 48_000, "audio/ogg"),
        ("webm", "libopus", 48_000, "audio/webm"),
    ],
)
def test_each_audio_format_is_probed_and_decoded(fmt: str, codec: str, rate: int, media_type: str) -> None:
    data = encode(SPEECH, fmt, codec, rate=rate)
    assert not is_pdf(data)
    info = probe_recording(data, max_seconds=60, limits=IngestLimits())
    assert info.media_type == media_type and not info.video
    assert info.seconds is None or 7.5 < info.seconds < 8.5
    first, ended = decode_window(data, start=0.0, length=5.0, limits=IngestLimits())
    rest, last = decode_window(data, start=5.0, length=5.0, limits=IngestLimits())
    assert len(first) == 5 * 16_000 and not ended
    assert last and 2.5 * 16_000 < len(rest) < 3.5 * 16_000
    assert int(np.abs(first.astype(np.int32)).max()) > 1000


def test_a_video_is_transcribed_from_its_sound_track() -> None:
    data = _video_with_sound()
    info = probe_recording(data, max_seconds=60, limits=IngestLimits())
    assert info.media_type == "video/mp4" and info.video and info.codec == "aac"
    samples, _ = decode_window(data, start=0.0, length=10.0, limits=IngestLimits())
    assert 7.5 * 16_000 < len(samples) <= 8.5 * 16_000
