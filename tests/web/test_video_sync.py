"""Video with captions in sync (issue 11): the live page plays an HLS stream (hls.js, vendored) that the
gateway serves from RATHAUS_HLS_DIR, maps its playback position to stream time through
EXT-X-PROGRAM-DATE-TIME and the origin the subtitle service announces, and shows a cue that arrived early
when its words are in the picture: within 0.5 s of its stream time."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import expect

from channels.messages import SubtitleCue, SubtitleStream
from tests.web.conftest import closed_rasa_url, run_gateway

pytestmark = pytest.mark.browser

# the frame's playback position when a cue's first line appears
RECORDER = """
window.__appeared = {};
new MutationObserver(() => {
  const video = document.getElementById("video");
  for (const line of document.querySelectorAll("#overlay-text .cap-line[data-cue]")) {
    if (!(line.dataset.cue in window.__appeared)) window.__appeared[line.dataset.cue] = video.currentTime;
  }
}).observe(document, {subtree: true, childList: true});
"""


def make_hls(folder: Path, seconds: int = 8) -> float:
    """A short HLS stream (180p, 10 fps, H.264/AAC, 1 s segments) with EXT-X-PROGRAM-DATE-TIME; returns
    the Unix time of its first segment."""
    folder.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
         "-hls_flags", "program_date_time+independent_segments", str(folder / "index.m3u8")],
        check=True,
        timeout=60,
    )
    playlist = (folder / "index.m3u8").read_text(encoding="utf-8")
    first = re.search(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", playlist)
    assert first, playlist
    return datetime.fromisoformat(first.group(1).replace("Z", "+00:00")).timestamp()


async def test_a_cue_appears_within_half_a_second_of_its_stream_time(new_page, tmp_path: Path) -> None:
    origin = make_hls(tmp_path / "hls" / "rat")
    async with run_gateway(
        rasa_url=closed_rasa_url(), hls_dir=tmp_path / "hls", hls_url="/hls/{stream}/index.m3u8"
    ) as gw:
        topic = "subtitles:rat"
        await gw.broker.publish(topic, SubtitleStream(stream="rat", state="started", origin=origin))
        # known before the picture gets there: held until 3.0 s and 5.5 s of the stream are in the picture
        await gw.broker.publish(topic, SubtitleCue(stream="rat", seq=0, start=3.0, end=4.5, lines=("Erster Satz.",)))
        await gw.broker.publish(topic, SubtitleCue(stream="rat", seq=1, start=5.5, end=7.0, lines=("Zweiter Satz.",)))
        page, requests = await new_page()
        await page.add_init_script(RECORDER)
        await page.goto(gw.url + "/live/rat")
        video = page.locator("#video")
        await expect(video).to_be_visible()
        await expect(page.get_by_role("log")).to_contain_text("Zweiter Satz.")  # the transcript has it all
        await expect(page.locator("#overlay")).to_be_hidden()  # not in the picture yet
        await video.evaluate("v => { v.muted = true; return v.play(); }")
        await expect(page.locator("#overlay-text")).to_contain_text("Zweiter Satz.", timeout=20_000)
        appeared = await page.evaluate("window.__appeared")
        assert len(appeared) == 2, appeared
        times = sorted(appeared.values())
        assert abs(times[0] - 3.0) <= 0.5, appeared
        assert abs(times[1] - 5.5) <= 0.5, appeared

        # captions only: the picture goes, the choice is remembered
        toggle = page.get_by_role("button", name="Nur Untertitel (ohne Video)")
        await toggle.click()
        await expect(toggle).to_have_attribute("aria-pressed", "true")
        await expect(video).to_be_hidden()
        await page.reload()
        await expect(page.get_by_role("button", name="Nur Untertitel (ohne Video)")).to_have_attribute(
            "aria-pressed", "true"
        )
        await expect(page.locator("#video")).to_be_hidden()
        assert requests.foreign() == []
        assert requests.errors == []
