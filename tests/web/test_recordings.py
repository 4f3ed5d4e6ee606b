"""The archive of recorded meetings (issue 11): /aufzeichnungen/ lists the recordings of
RATHAUS_RECORDINGS_DIR (title, date, duration, newest first, incomplete folders left out); a recording's
page plays the video with its WebVTT as <track kind="subtitles" srclang="de">, shows the transcript joined
into sentences, seeks the video from a time stamp, and offers the subtitles as WebVTT and SRT. In Debian's
chromium at 1280 and 375 px, axe clean."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.async_api import expect

from common.subtitles import Cue, parse_srt, write_subtitles
from tests.web.conftest import axe_serious, closed_rasa_url, run_gateway

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
TRACK = "document.getElementById('video').textTracks[0]"
CUES = [
    Cue(1, 0.5, 2.5, ("Guten Abend, ich eröffne", "die Sitzung des Bauausschusses.")),
    Cue(2, 2.5, 4.5, ("Tagesordnungspunkt eins ist", "der Lärmschutz an der")),
    Cue(3, 4.5, 6.0, ("Industriestraße.",)),
    Cue(4, 10.0, 11.5, ("Gibt es Wortmeldungen?",)),
]


def _recording(root: Path, name: str, *, title: str, date: str, cues: list[Cue] | None, seconds: int = 12) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "sitzung.yml").write_text(f"title: {title}\ndate: {date}\n", encoding="utf-8")
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10", "-f", "lavfi",
         "-i", "sine=frequency=300:sample_rate=44100", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(folder / "video.mp4")],
        check=True, timeout=60,
    )
    if cues is not None:
        write_subtitles(cues, folder / "untertitel.vtt")
    return folder


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "aufzeichnungen"
    _recording(root, "bau-2026-10-01", title="Bauausschuss", date="2026-10-01", cues=CUES)
    _recording(root, "rat-2026-09-15", title="Ratssitzung", date="2026-09-15", cues=CUES[:1], seconds=3)
    _recording(root, "rat-2026-11-01", title="Ohne Untertitel", date="2026-11-01", cues=None, seconds=2)
    return root


async def test_the_archive_lists_recordings_and_plays_one_with_its_subtitles(new_page, archive: Path) -> None:
    async with run_gateway(rasa_url=closed_rasa_url(), recordings_dir=archive) as gw:
        page, requests = await new_page(viewport={"width": 1280, "height": 900})
        await page.goto(gw.url + "/aufzeichnungen")
        items = page.locator(".recording-item")
        await expect(items).to_have_count(2)  # the folder without untertitel.vtt is left out
        await expect(items.nth(0)).to_contain_text("Bauausschuss")
        await expect(items.nth(0)).to_contain_text("1. Oktober 2026 · Dauer: 12 Sek.")
        await expect(items.nth(1)).to_contain_text("Ratssitzung")
        await expect(items.nth(1)).to_contain_text("15. September 2026 · Dauer: 3 Sek.")
        assert await axe_serious(page) == []
        await page.screenshot(path=str(SHOTS / "recordings-1280.png"))

        await page.get_by_role("link", name="Bauausschuss").click()
        await expect(page).to_have_url(gw.url + "/aufzeichnungen/bau-2026-10-01")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Bauausschuss")
        track = page.locator("video#video track")
        await expect(track).to_have_attribute("kind", "subtitles")
        await expect(track).to_have_attribute("srclang", "de")
        # the browser loaded the track: its cues are the file's, and they show while the video plays
        video = page.locator("#video")
        await page.wait_for_function(f"() => ({TRACK}).cues && ({TRACK}).cues.length === 4")
        assert await video.evaluate("v => v.textTracks[0].mode") == "showing"
        # the transcript reads as text: one sentence over three cues, a paragraph after the pause
        log = page.get_by_role("log")
        await expect(log.locator(".para")).to_have_count(2)
        await expect(log.locator(".para").first).to_contain_text(
            "Tagesordnungspunkt eins ist der Lärmschutz an der Industriestraße."
        )
        # a time stamp seeks the video to its paragraph; the subtitle of that moment is active
        await page.get_by_role("button", name="Video bei 0:10 abspielen").click()
        await page.wait_for_function("() => document.getElementById('video').currentTime === 10")
        await page.wait_for_function(
            f"() => Array.from(({TRACK}).activeCues || []).map(c => c.text).join(' ') === 'Gibt es Wortmeldungen?'"
        )
        assert await axe_serious(page) == []
        await page.screenshot(path=str(SHOTS / "recording-1280.png"))

        vtt = await page.request.get(gw.url + "/aufzeichnungen/bau-2026-10-01/untertitel.vtt")
        assert vtt.ok and await vtt.text() == (archive / "bau-2026-10-01" / "untertitel.vtt").read_text("utf-8")
        srt = await page.request.get(gw.url + "/aufzeichnungen/bau-2026-10-01/untertitel.srt")
        assert srt.ok and [c.lines for c in parse_srt(await srt.text())] == [c.lines for c in CUES]
        missing = await page.request.get(gw.url + "/aufzeichnungen/rat-2026-11-01")
        assert missing.status == 404
        assert requests.foreign() == [] and requests.errors == []


async def test_a_recording_on_a_phone_fits_and_works_with_the_keyboard(new_page, archive: Path) -> None:
    async with run_gateway(rasa_url=closed_rasa_url(), recordings_dir=archive) as gw:
        page, requests = await new_page(viewport={"width": 375, "height": 740})
        await page.goto(gw.url + "/aufzeichnungen/bau-2026-10-01")
        await expect(page.get_by_role("log").locator(".para")).to_have_count(2)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing runs off the side
        box = await page.locator("#video").bounding_box()
        assert box is not None and box["width"] <= 375 and box["height"] > 150
        # keyboard only: to the search box, type, Enter marks and announces the first match
        search = page.get_by_role("searchbox", name="In der Mitschrift suchen")
        while not await search.evaluate("e => e === document.activeElement"):
            await page.keyboard.press("Tab")
        await page.keyboard.type("wortmeldungen")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("status").filter(has_text="Treffer")).to_have_text("Treffer 1 von 1")
        await expect(page.locator("mark.is-current")).to_have_text("Wortmeldungen")
        assert await axe_serious(page) == []
        await page.screenshot(path=str(SHOTS / "recording-375.png"), full_page=True)
        assert requests.foreign() == [] and requests.errors == []
