"""Editors correct a recording's subtitles in the staff console (issue 11), in Debian's chromium against the
real gateway: with the keyboard only, a cue's text is corrected; a line over 37 characters is refused with
a German message before anything is sent; after saving, the recording's <track>, transcript and SRT show
the correction, and the console shows the original under the changed cue; a save on a version someone
else changed meanwhile gets the German conflict message and changes nothing; a bad .vtt upload is refused;
the original can be restored. At 1280 and 375 px, axe clean; screenshots go to docs/img/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from common.subtitles import parse_srt, read_subtitles
from tests.web.conftest import STAFF_TOKEN, axe_serious, closed_rasa_url, run_gateway
from tests.web.test_recordings import CUES, TRACK, _recording

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
RID = "bau-2026-10-01"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "aufzeichnungen"
    _recording(root, RID, title="Bauausschuss", date="2026-10-01", cues=CUES)
    return root


async def _focus_by_tab(page: Page, selector: str, limit: int = 60) -> None:
    target = page.locator(selector)
    for _ in range(limit):
        if await target.evaluate("e => e === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reached with Tab")


async def _login(page: Page, url: str) -> None:
    await page.goto(url + "/staff")
    await page.get_by_label("Zugangsschlüssel").fill(STAFF_TOKEN)
    await page.get_by_label("Ihr Name im Chat").fill("Frau Beispiel")
    await page.get_by_label("Ihr Name im Chat").press("Enter")
    await expect(page.get_by_role("heading", name="Untertitel von Aufzeichnungen korrigieren")).to_be_visible()


async def test_an_editor_corrects_a_cue_with_the_keyboard_and_viewers_get_the_correction(
    new_page, archive: Path
) -> None:
    folder = archive / RID
    async with run_gateway(rasa_url=closed_rasa_url(), recordings_dir=archive, staff_token=STAFF_TOKEN) as gw:
        page, requests = await new_page(viewport={"width": 1280, "height": 1000})
        await _login(page, gw.url)
        # keyboard only: to the recording choice, pick the recording
        await _focus_by_tab(page, "#rec-select")
        await page.keyboard.press("ArrowDown")
        await expect(page.locator("#rec-cues textarea")).to_have_count(4)
        await expect(page.locator("#rec-meta")).to_contain_text("noch nicht bearbeitet")
        # cue 3 ("Industriestraße." was heard right; say it is misspelt in another cue): correct cue 2's words
        await _focus_by_tab(page, "#rec-cue-2")
        await page.keyboard.press("Control+A")
        await page.keyboard.type("Tagesordnungspunkt eins ist der Lärmschutz an der")  # one line of 49 characters
        await expect(page.locator("#rec-cue-2-count")).to_contain_text(
            "Zeile 1 hat 49 Zeichen; erlaubt sind höchstens 37")
        await page.keyboard.press("Tab")  # to the next cue ... then to the save button
        await _focus_by_tab(page, "#rec-save")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("alert")).to_contain_text("Untertitel 2, Zeile 1 hat 49 Zeichen")
        assert await page.evaluate("document.activeElement.id") == "rec-cue-2"  # back to the cue to fix
        assert read_subtitles(folder / "untertitel.vtt")[1].lines == CUES[1].lines  # nothing was sent
        await page.keyboard.press("Control+A")
        await page.keyboard.type("Tagesordnungspunkt eins ist")
        await page.keyboard.press("Enter")  # a new line inside the cue
        await page.keyboard.type("der Lärmschutz an der Industriestraße")
        await expect(page.locator("#rec-cue-2-count")).to_have_text(
            "Zeile 1: 27 von 37 Zeichen · Zeile 2: 37 von 37 Zeichen")
        await _focus_by_tab(page, "#rec-save")
        await page.keyboard.press("Enter")
        await expect(page.locator("#rec-status")).to_have_text(
            "1 Untertitel gespeichert. Die Aufzeichnung zeigt jetzt die korrigierte Fassung.")
        await expect(page.locator("#rec-meta")).to_contain_text("zuletzt bearbeitet von Frau Beispiel")
        await expect(page.locator(".rec-was")).to_have_text(
            "Original: Tagesordnungspunkt eins ist / der Lärmschutz an der")
        # the whole original, too (an upload may change times, so not every cue has its original beside it)
        await page.get_by_text("Ganzes Original anzeigen (4 Untertitel)").click()
        await expect(page.locator("#rec-original-list li").nth(1)).to_have_text(
            "0:02–0:04 Tagesordnungspunkt eins ist / der Lärmschutz an der")
        assert await axe_serious(page) == []
        await page.screenshot(path=str(SHOTS / "staff-recordings-1280.png"), full_page=True)

        # viewers: the recording's track, transcript and SRT have the correction; the original file is kept
        viewer, _ = await new_page(viewport={"width": 1280, "height": 900})
        await viewer.goto(f"{gw.url}/aufzeichnungen/{RID}")
        await viewer.wait_for_function(f"() => ({TRACK}).cues && ({TRACK}).cues.length === 4")
        corrected = ("Tagesordnungspunkt eins ist", "der Lärmschutz an der Industriestraße")
        assert await viewer.evaluate(f"({TRACK}).cues[1].text") == "\n".join(corrected)
        await expect(viewer.get_by_role("log")).to_contain_text(
            "der Lärmschutz an der Industriestraße Industriestraße.")
        srt = await viewer.request.get(f"{gw.url}/aufzeichnungen/{RID}/untertitel.srt")
        assert parse_srt(await srt.text())[1].lines == corrected
        assert read_subtitles(folder / "untertitel.original.vtt")[1].lines == CUES[1].lines

        # someone else saves meanwhile (another console, an older version in this one): 409, nothing lost silently
        other = await page.request.get(f"{gw.url}/api/staff/recordings/{RID}/untertitel",
                                       headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
        version = (await other.json())["version"]
        saved = await page.request.put(
            f"{gw.url}/api/staff/recordings/{RID}/untertitel",
            data={"changes": [{"number": 4, "text": "Wortmeldungen?"}]},
            headers={"Authorization": f"Bearer {STAFF_TOKEN}", "X-Staff-Name": "Herr%20Muster",
                     "If-Match": f'"{version}"', "Origin": gw.url})
        assert saved.ok, await saved.text()
        await page.locator("#rec-cue-1").fill("Guten Abend, ich eröffne\ndie Sitzung.")
        await page.get_by_role("button", name="Änderungen speichern").click()
        await expect(page.get_by_role("alert")).to_contain_text(
            "Jemand anderes hat diese Untertitel inzwischen gespeichert")
        assert read_subtitles(folder / "untertitel.vtt")[0].lines == CUES[0].lines  # not overwritten
        assert read_subtitles(folder / "untertitel.vtt")[3].lines == ("Wortmeldungen?",)  # the other edit stays
        await page.get_by_role("button", name="Verwerfen und neu laden").click()
        await expect(page.locator("#rec-cue-4")).to_have_value("Wortmeldungen?")
        await expect(page.locator("#rec-meta")).to_contain_text("zuletzt bearbeitet von Herr Muster")

        # a bad upload is refused in German and changes nothing
        before = (folder / "untertitel.vtt").read_bytes()
        await page.locator("#rec-file").set_input_files(files=[{
            "name": "falsch.vtt", "mimeType": "text/vtt", "buffer": b"1\n00:00:01,000 --> 00:00:02,000\nSRT\n"}])
        await page.get_by_role("button", name="Datei hochladen", exact=True).click()
        await expect(page.get_by_role("alert")).to_contain_text("keine gültige WebVTT-Datei")
        assert (folder / "untertitel.vtt").read_bytes() == before

        # restore the original: asked first, then published again; the original file is unchanged
        await page.get_by_role("button", name="Original wiederherstellen").click()
        await page.get_by_role("button", name="Ja, Original wiederherstellen").click()
        await expect(page.locator("#rec-status")).to_have_text("Das Original ist wiederhergestellt.")
        assert [c.lines for c in read_subtitles(folder / "untertitel.vtt")] == [c.lines for c in CUES]
        assert requests.foreign() == [] and requests.errors == []


async def test_the_editor_on_a_phone(new_page, archive: Path) -> None:
    async with run_gateway(rasa_url=closed_rasa_url(), recordings_dir=archive, staff_token=STAFF_TOKEN) as gw:
        page, requests = await new_page(viewport={"width": 375, "height": 740})
        await _login(page, gw.url)
        await page.get_by_label("Aufzeichnung", exact=True).select_option(RID)
        await expect(page.locator("#rec-cues textarea")).to_have_count(4)
        await page.locator("#rec-cue-3").fill("Industriestraße, bitte.")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        assert await axe_serious(page) == []
        await page.locator("#rec-editor").screenshot(path=str(SHOTS / "staff-recordings-375.png"))
        assert requests.foreign() == [] and requests.errors == []
