"""The whole live path in sync (issue 11): ffmpeg encodes a livestream (HLS, 1 s segments, program date
time) whose speech starts at a known second; the gateway serves it at /hls/; the subtitle service reads
the same URL as ``rathaus asr serve --source`` does (real Whisper base), from its live edge, and announces
the origin of its stream time; in Debian's chromium the live page shows the first cue when the picture is
at the first spoken word: within 0.5 s of the program date time at which the word is in the stream."""

from __future__ import annotations

import asyncio
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from playwright.async_api import expect

from asr.eval.synth import render_speech
from asr.live.cli import transcribe_source
from asr.live.hls import parse_playlist
from asr.live.service import SubtitleService
from asr.live.settings import AsrSettings
from asr.live.sources import SourceOptions
from channels.subtitle_sink import BrokerSink
from tests.web.conftest import closed_rasa_url, run_gateway

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEAD_S = 7.0  # silence before the first word: the service joins the live stream after 3 segments
SENTENCE = "Der Rat beschließt den Haushalt für das kommende Jahr."

# the picture's program date time (ms) when a cue's first line appears over the playing picture; lines the
# page shows before the video plays (captions only, while the history of the stream arrives) do not count
RECORDER = """
window.__appeared = {};
new MutationObserver(() => {
  if (!window.RathausLive || !window.RathausLive.synced()) return;
  for (const line of document.querySelectorAll("#overlay-text .cap-line[data-cue]")) {
    const key = line.dataset.cue;
    if (!(key in window.__appeared)) window.__appeared[key] = window.RathausLive.pictureDate();
  }
}).observe(document, {subtree: true, childList: true});
"""


def _meeting(folder: Path) -> tuple[Path, float]:
    """Silence, one spoken sentence, silence (16 kHz WAV); and the second of its first word (by energy)."""
    speech = render_speech(SENTENCE, folder / "speech.wav")
    with wave.open(str(speech), "rb") as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160).astype(np.float32)
    loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > 300)
    onset = LEAD_S + loud[0] * 160 / rate
    audio = np.concatenate([np.zeros(int(LEAD_S * rate)), samples, np.zeros(4 * rate)]).astype("<i2")
    path = folder / "meeting.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(audio.tobytes())
    return path, onset


def _encoder(audio: Path, playlist: Path) -> subprocess.Popen[bytes]:
    """A live encoder: picture and sound in real time, an HLS event playlist with program date time."""
    playlist.parent.mkdir(parents=True)
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10",
         "-re", "-i", str(audio), "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "event",
         "-hls_flags", "program_date_time+independent_segments+temp_file", str(playlist)],
        stdout=subprocess.DEVNULL,
    )


def _count(playlist: Path) -> int:
    return playlist.read_text(encoding="utf-8").count("#EXTINF") if playlist.exists() else 0


async def _segments(playlist: Path, at_least: int, encoder: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if await asyncio.to_thread(_count, playlist) >= at_least:
            return
        assert encoder.poll() is None, "ffmpeg stopped"
        await asyncio.sleep(0.05)
    raise AssertionError(f"ffmpeg wrote fewer than {at_least} segments in 30 s")


async def test_a_live_cue_appears_when_the_picture_is_at_its_first_word(new_page, tmp_path: Path) -> None:
    audio, onset = _meeting(tmp_path)
    playlist = tmp_path / "hls" / "rat" / "index.m3u8"
    settings = AsrSettings.load(num_workers=1)
    async with run_gateway(
        rasa_url=closed_rasa_url(), hls_dir=tmp_path / "hls", hls_url="/hls/{stream}/index.m3u8"
    ) as gw:
        service = await asyncio.to_thread(SubtitleService.from_settings, settings, sink=BrokerSink(gw.broker))
        encoder = _encoder(audio, playlist)
        try:
            async with service:
                await _segments(playlist, 3, encoder)  # join a stream that is already live
                await asyncio.wait_for(
                    transcribe_source(service, "rat", f"{gw.url}/hls/rat/index.m3u8",
                                      options=SourceOptions(), language="de", loop=False),
                    timeout=120,
                )
        finally:
            encoder.terminate()
            encoder.wait(timeout=10)
        history = await gw.broker.history("subtitles:rat")
        started = history[0].message
        cues = [e.message for e in history if e.message.type == "subtitle.cue"]
        assert started.type == "subtitle.stream" and started.state == "started" and cues, history
        segments = parse_playlist(playlist.read_text(encoding="utf-8"), "http://x/index.m3u8").segments
        first_date = segments[0].program_date
        assert first_date is not None and started.origin is not None
        # the service joined at the live edge, not at the first segment: its stream time 0 is later
        assert started.origin > first_date + 1.5
        spoken_at = first_date + onset  # program date time of the first word in the picture

        # the recording of the live stream is watched from its start: the cue waits for its word
        page, requests = await new_page()
        await page.add_init_script(RECORDER)
        await page.goto(gw.url + "/live/rat")
        await expect(page.get_by_role("log")).to_contain_text(cues[0].lines[0].split()[0])
        await page.locator("#video").evaluate("v => { v.muted = true; return v.play(); }")
        for _ in range(300):  # the page's CSP forbids eval, so poll instead of wait_for_function
            appeared = await page.evaluate("window.__appeared")
            if appeared:
                break
            await asyncio.sleep(0.1)
        assert appeared, "no cue line appeared over the playing picture in 30 s"
        shown_at = min(appeared.values()) / 1000
        assert abs(shown_at - spoken_at) <= 0.5, (shown_at - spoken_at, cues[0], onset)
        assert requests.foreign() == [] and requests.errors == []

