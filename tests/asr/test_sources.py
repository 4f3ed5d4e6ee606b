"""Audio sources: any ffmpeg input to 16 kHz mono PCM16, real-time pacing, clear errors."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from asr.errors import AsrError, AudioError
from asr.live.sources import Pacer, SourceOptions, is_url, iter_source, read_chunks, read_pcm


def _write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return path


def _tone(seconds: float, rate: int, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def test_wav_at_44k_stereo_is_resampled_to_16k_mono(tmp_path: Path) -> None:
    stereo = np.repeat(_tone(1.5, 44_100), 2)
    path = _write_wav(tmp_path / "tone.wav", stereo, 44_100, channels=2)
    chunks = list(read_chunks(path, options=SourceOptions(chunk_s=0.25)))
    assert all(c.dtype == np.int16 and c.ndim == 1 for c in chunks)
    assert all(len(c) == 4000 for c in chunks[:-1])
    assert sum(len(c) for c in chunks) == pytest.approx(24_000, abs=400)
    pcm = np.concatenate(chunks).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(pcm))
    assert np.argmax(spectrum) * 16_000 / pcm.size == pytest.approx(440, abs=5)  # same pitch after resampling


def test_video_file_audio_track_is_read(tmp_path: Path) -> None:
    video = tmp_path / "meeting.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x64:rate=5:duration=2",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:duration=2",
            "-shortest",
            "-c:v",
            "mpeg4",
            "-c:a",
            "aac",
            str(video),
        ],
        check=True,
    )
    pcm = read_pcm(video)
    assert pcm.dtype == np.int16 and abs(pcm.size - 32_000) < 2_000


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="does not exist"):
        list(read_chunks(tmp_path / "nope.mp4"))


def test_corrupt_file_gives_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(AsrError, match="broken.mp4"):
        list(read_chunks(broken))


def test_file_without_audio_stream(tmp_path: Path) -> None:
    silent_video = tmp_path / "video-only.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x64:rate=5:duration=1",
            "-c:v",
            "mpeg4",
            str(silent_video),
        ],
        check=True,
    )
    with pytest.raises(AudioError, match="no audio stream"):
        list(read_chunks(silent_video))


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers (a dead HLS/RTMP origin)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("scheme", ["http", "rtmp"])
def test_url_that_never_answers_times_out(silent_server: int, scheme: str) -> None:
    url = f"{scheme}://127.0.0.1:{silent_server}/live/index.m3u8"
    started = time.monotonic()
    with pytest.raises(AudioError, match="did not answer within 1 s"):
        list(read_chunks(url, options=SourceOptions(open_timeout_s=1.0, read_timeout_s=1.0)))
    assert time.monotonic() - started < 10


def test_is_url() -> None:
    assert is_url("https://stream.example/rat/index.m3u8") and is_url("rtmp://x/live")
    assert not is_url("/srv/meetings/2026-09-15.mp4") and not is_url(Path("a.wav"))


def test_pacer_schedules_chunks_at_real_time() -> None:
    pacer = Pacer(sample_rate=16_000)
    assert pacer.delay(100.0) == 0.0  # the first chunk goes out at once
    pacer.sent(1600)
    assert pacer.delay(100.0) == pytest.approx(0.1)
    assert pacer.delay(100.25) == 0.0  # late: send immediately ...
    assert pacer.lag(100.25) == pytest.approx(0.15)  # ... and report how far behind
    pacer.sent(16_000)
    assert pacer.delay(100.3) == pytest.approx(0.8)


async def test_iter_source_paces_and_loops(tmp_path: Path) -> None:
    path = _write_wav(tmp_path / "short.wav", _tone(0.5, 16_000), 16_000)
    options = SourceOptions(chunk_s=0.1)
    started = time.monotonic()
    frames = [f async for f in iter_source(path, options=options, realtime=True)]
    elapsed = time.monotonic() - started
    assert b"".join(frames) == _tone(0.5, 16_000).astype("<i2").tobytes()
    assert elapsed >= 0.35  # 5 chunks of 0.1 s: the last one is due 0.4 s after the first
    looped = [f async for f in iter_source(path, options=options, realtime=False, loop_forever=True, max_loops=3)]
    assert len(b"".join(looped)) == 3 * 16_000


async def test_iter_source_raises_clear_error_for_corrupt_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mkv"
    broken.write_bytes(b"not a matroska file" * 100)
    with pytest.raises(AudioError):
        async for _ in iter_source(broken, realtime=False):
            pass
    await asyncio.sleep(0)
