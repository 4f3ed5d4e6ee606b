"""A livestream that ends is on /aufzeichnungen/ by itself (issue 11), in Debian's chromium: ffmpeg encodes a
live stream in real time, the gateway's archiver keeps its segments, and after the subtitle service's
``ended`` the recording is listed with the stream's title and date; its page plays the remuxed video with
the published cues as <track> and transcript, at 1280 and 375 px, axe clean. Screenshots to docs/img/."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import expect

from channels.messages import SubtitleCue, SubtitleStream
from tests.channels.test_archiver import _first_program_date, _live_encoder
from tests.web.conftest import axe_serious, closed_rasa_url, run_gateway
from tests.web.test_recordings import TRACK

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
LINES = [
    (0.4, 1.9, ("Guten Abend, ich eröffne", "die Sitzung des Rates.")),
    (2.0, 3.6, ("Wir kommen zu", "Tagesordnungspunkt drei.")),
    (3.7, 5.2, ("Gibt es Wortmeldungen?",)),
]


async def test_an_ended_stream_is_listed_and_plays_with_its_subtitles(new_page, tmp_path: Path) -> None:
    async with run_gateway(
        rasa_url=closed_rasa_url(), hls_dir=tmp_path / "hls", hls_url="/hls/{stream}/index.m3u8",
        recordings_dir=tmp_path / "aufzeichnungen", archive_live=True, default_stream="ratssitzung",
        archive_title="Ratssitzung Musterstadt",
    ) as gw:
        encoder = _live_encoder(tmp_path / "hls" / "ratssitzung")
        topic = "subtitles:ratssitzung"
        try:
            origin = await _first_program_date(tmp_path / "hls" / "ratssitzung" / "index.m3u8")
            await gw.broker.publish(topic, SubtitleStream(stream="ratssitzung", state="started", origin=origin))
            for seq, (start, end, lines) in enumerate(LINES):
                await gw.broker.publish(topic, SubtitleCue(stream="ratssitzung", seq=seq, start=start, end=end,
                                                           lines=lines))
            assert await asyncio.to_thread(encoder.wait, 30) == 0
        finally:
            encoder.kill()
        await gw.broker.publish(topic, SubtitleStream(stream="ratssitzung", state="ended"))

        page, requests = await new_page(viewport={"width": 1280, "height": 900})
        await page.goto(gw.url + "/aufzeichnungen/")
        items = page.locator(".recording-item")
        for _ in range(100):  # the archiver remuxes after "ended": reload until it is listed
            if await items.count():
                break
            await asyncio.sleep(0.3)
            await page.reload()
        await expect(items).to_have_count(1)
        await expect(items.first).to_contain_text("Ratssitzung Musterstadt")
        await expect(items.first).to_contain_text("Automatisch aufgezeichnet am")
        await page.get_by_role("link", name="Ratssitzung Musterstadt").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Ratssitzung Musterstadt")
        await page.wait_for_function(f"() => ({TRACK}) && ({TRACK}).cues && ({TRACK}).cues.length === 3")
        await expect(page.get_by_role("log")).to_contain_text(
            "Guten Abend, ich eröffne die Sitzung des Rates. Wir kommen zu Tagesordnungspunkt drei.")
        # the picture at the second cue's time, its subtitle active (video time = stream time here)
        await page.locator("#video").evaluate("v => { v.currentTime = 2.5; }")
        await page.wait_for_function(
            f"() => Array.from(({TRACK}).activeCues || []).map(c => c.text).join() === "
            "'Wir kommen zu\\nTagesordnungspunkt drei.'")
        duration = await page.locator("#video").evaluate("v => v.duration")
        assert 4.8 <= duration <= 7.2, duration
        assert await axe_serious(page) == []
        await page.screenshot(path=str(SHOTS / "recording-archived-1280.png"), full_page=True)

        await page.set_viewport_size({"width": 375, "height": 740})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        assert await axe_serious(page) == []
        await page.screenshot(path=str(SHOTS / "recording-archived-375.png"), full_page=True)
        assert requests.foreign() == [] and requests.errors == []
