"""No flicker on the demo's live stream (issue 11): the demo's own encoder (rathaus/demo_stream.py: the
synthetic council meeting with agenda slides, in real time, a sliding HLS playlist of 2 s segments) is
transcribed live by the real subtitle service (Whisper base, the code of ``--source``), while Debian's
chromium watches /live/ratssitzung with the video playing in the default mode (Mitlaufend, provisional text
on). For RATHAUS_FLICKER_S seconds of stream (default 60) the page records when each finished cue's line
appears and leaves: none leaves before its minimum display time, max(1 s, characters / 15).

Over a picture in sync the page shows no provisional text (it would run ahead of the picture), so this
measures finished cues only; tests/web/test_captions.py covers provisional text between them.

Slow (about 90 s: a minute of stream plus Whisper's start) and needs the machine's CPU for Whisper: marked
slow like the other real-pipeline tests. Measured on the 2-core development machine (load about 5): 60 s,
21 cues published and shown, 19 replaced by newer ones; RATHAUS_FLICKER_S=30: 12 cues, 12 replaced (60 s
in all); RATHAUS_FLICKER_S=20: 9 cues, 7 replaced (51 s in all): the shortest run that still has the
scheduler hold several cues against newer ones; the default stays at the issue's 60 s."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from playwright.async_api import expect

from asr.eval.synth import render_speech
from asr.live.cli import transcribe_source
from asr.live.service import SubtitleService
from asr.live.settings import AsrSettings
from asr.live.sources import SourceOptions
from channels.subtitle_sink import BrokerSink
from rathaus.demo import COUNCIL_TEXT
from rathaus.demo_stream import ffmpeg_args, recording_seconds, slides, write_slides
from tests.web.conftest import closed_rasa_url, run_gateway
from tests.web.test_captions import RECORDER

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STREAM = "ratssitzung"
SECONDS = float(os.environ.get("RATHAUS_FLICKER_S", "60"))


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    """The demo's encoder, as `rathaus demo run` starts it."""
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


async def _playlist_has(playlist: Path, segments: int, encoder: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        text = await asyncio.to_thread(lambda: playlist.read_text(encoding="utf-8") if playlist.exists() else "")
        if text.count("#EXTINF") >= segments:
            return
        assert encoder.poll() is None, "the demo encoder stopped"
        await asyncio.sleep(0.05)
    raise AssertionError("the demo encoder wrote no playlist in 30 s")


async def test_no_finished_cue_flickers_on_the_demo_live_stream(new_page, tmp_path: Path) -> None:
    recording = render_speech(COUNCIL_TEXT, tmp_path / "ratssitzung.wav", voice="de", speed=150)
    duration = recording_seconds(recording)
    agenda = slides(COUNCIL_TEXT, duration)
    write_slides(tmp_path / "slides", agenda)
    playlist = tmp_path / "hls" / STREAM / "index.m3u8"
    playlist.parent.mkdir(parents=True)
    settings = AsrSettings.load(num_workers=1)
    async with run_gateway(rasa_url=closed_rasa_url(), hls_dir=tmp_path / "hls",
                           hls_url="/hls/{stream}/index.m3u8", default_stream=STREAM) as gw:
        service = await asyncio.to_thread(SubtitleService.from_settings, settings, sink=BrokerSink(gw.broker))
        encoder = _start(ffmpeg_args(recording=recording, duration=duration, slide_dir=tmp_path / "slides",
                                     agenda=agenda, playlist=playlist))
        try:
            async with service:
                await _playlist_has(playlist, 2, encoder)
                source = asyncio.create_task(transcribe_source(
                    service, STREAM, f"{gw.url}/hls/{STREAM}/index.m3u8", options=SourceOptions(), language="de",
                    loop=False))
                page, requests = await new_page()
                await page.add_init_script(RECORDER)
                await page.goto(gw.url + "/live")
                await expect(page.get_by_label("Anzeige")).to_have_value("rollup")  # the default mode
                await page.locator("#video").evaluate("v => { v.muted = true; return v.play(); }")
                await asyncio.sleep(SECONDS)
                source.cancel()
                await asyncio.gather(source, return_exceptions=True)
                await asyncio.sleep(8)  # the cues on screen are read to their end (or stay: not counted)
                cues = await page.evaluate("window.__cues")
                partials = await page.evaluate("window.__partials")
        finally:
            encoder.terminate()
            await asyncio.to_thread(encoder.wait, 10)
    published = [e for e in await gw.broker.history(f"subtitles:{STREAM}", count=1000)
                 if e.message.type == "subtitle.cue"]
    replaced = [entry for entry in cues.values() if entry["gone"] is not None]
    # enough happened to exercise the scheduler: several cues shown, and some replaced by newer ones
    assert len(cues) >= 4 and len(replaced) >= 2, (len(published), cues)
    too_short = []
    for key, entry in cues.items():
        text = " ".join(entry["text"])
        minimum = max(1.0, len(text) / 15)
        if entry["gone"] is not None and entry["gone"] - entry["shown"] < minimum - 0.05:
            too_short.append((key, text, round(entry["gone"] - entry["shown"], 2), minimum))
    assert too_short == [], too_short
    assert all(len(p) <= 37 for p in partials)
    assert requests.errors == []
    print(f"flicker: {len(published)} cues published, {len(cues)} shown, {len(replaced)} replaced, "
          f"{len(partials)} provisional updates over {SECONDS:g} s")
