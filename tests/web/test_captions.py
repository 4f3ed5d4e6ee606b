"""Captions that can be read (issue 11): over a simulated live stream with provisional text, no finished cue
leaves the screen before its reading time (at least 1 s, at most 15 characters per second), in roll-up
(the default) and pop-on; the mode is remembered; no empty box; on a phone the box covers no page text."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import Page, expect

from channels.messages import SubtitleCue, SubtitlePartial, SubtitleStream
from tests.web.conftest import Gateway

pytestmark = pytest.mark.browser

TOPIC = "subtitles:demo"

# Each finished cue appears on screen (data-cue) and leaves it; the page records both on its own clock.
RECORDER = """
window.__cues = {};
window.__partials = [];
new MutationObserver(() => {
  const now = performance.now() / 1000;
  const box = document.getElementById("overlay-text");
  if (!box) return;
  const visible = new Set();
  for (const line of box.querySelectorAll(".cap-line[data-cue]")) {
    visible.add(line.dataset.cue);
    const entry = window.__cues[line.dataset.cue] ||= {shown: now, gone: null, chars: 0, text: []};
    if (!entry.text.includes(line.textContent)) { entry.text.push(line.textContent); }
  }
  for (const [key, entry] of Object.entries(window.__cues)) {
    if (entry.gone === null && !visible.has(key)) entry.gone = now;
  }
  for (const line of box.querySelectorAll(".cap-line.is-partial")) window.__partials.push(line.textContent);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

# A council meeting said quickly: cues of one or two lines, sometimes faster than they can be read.
SENTENCES = [
    ("Guten Abend, meine Damen und Herren.",),
    ("Ich eröffne die öffentliche Sitzung", "des Rates der Stadt Musterstadt."),
    ("Die Einladung ist form- und", "fristgerecht ergangen."),
    ("Der Rat ist beschlussfähig.",),
    ("Wir kommen zu Tagesordnungspunkt drei,", "dem Bebauungsplan Am Stadtpark."),
    ("Gibt es Wortmeldungen?",),
    ("Das ist nicht der Fall.",),
    ("Dann lasse ich abstimmen.",),
    ("Wer zustimmt, den bitte ich", "um das Handzeichen."),
    ("Das ist einstimmig so beschlossen.",),
]


async def simulate_stream(gateway: Gateway, *, cue_every_s: float = 1.6, latency_s: float = 0.8) -> None:
    """Partials every 0.25 s growing word by word, then the cue, as the subtitle service sends them."""
    await gateway.broker.publish(TOPIC, SubtitleStream(stream="demo", state="started"))
    began = time.monotonic()
    stream_t = 0.0
    for seq, lines in enumerate(SENTENCES):
        words = " ".join(lines).split()
        steps = max(1, round(cue_every_s / 0.25))
        for step in range(1, steps + 1):
            shown = words[: max(1, len(words) * step // steps)]
            await gateway.broker.publish(TOPIC, SubtitlePartial(stream="demo", text=" ".join(shown)), durable=False)
            await asyncio.sleep(0.25)
        start, stream_t = stream_t, time.monotonic() - began - latency_s
        await gateway.broker.publish(
            TOPIC, SubtitleCue(stream="demo", seq=seq, start=max(0.0, start), end=stream_t, lines=lines)
        )
    await asyncio.sleep(5)  # the last cues are read to their end


async def recorded(page: Page) -> tuple[dict[str, dict[str, object]], list[str]]:
    cues = await page.evaluate("window.__cues")
    partials = await page.evaluate("window.__partials")
    return cues, partials


@pytest.mark.parametrize("mode", ["rollup", "popon"])
async def test_no_finished_cue_leaves_before_its_reading_time(new_page, gateway: Gateway, mode: str) -> None:
    page, requests = await new_page()
    await page.add_init_script(RECORDER)
    await page.goto(gateway.url + "/live/demo")
    await expect(page.locator("#status-text")).to_have_text("wartet auf Beginn")
    if mode == "popon":
        await page.get_by_label("Anzeige").select_option("popon")
    else:
        await expect(page.get_by_label("Anzeige")).to_have_value("rollup")  # the default
    await expect(page.get_by_label("Vorläufigen Text zeigen")).to_be_checked()
    # no text yet: no caption box at all
    await expect(page.locator("#overlay")).to_be_hidden()

    await simulate_stream(gateway)
    cues, partials = await recorded(page)

    assert len(cues) >= 6, cues  # most cues were shown (a backlog may drop a few to stay in time)
    too_short = []
    for key, entry in cues.items():
        text = " ".join(entry["text"])  # type: ignore[arg-type]
        minimum = max(1.0, len(text) / 15)
        gone = entry["gone"]
        if gone is not None and float(gone) - float(entry["shown"]) < minimum - 0.05:  # type: ignore[arg-type]
            too_short.append((key, text, round(float(gone) - float(entry["shown"]), 2), minimum))  # type: ignore[arg-type]
    assert too_short == []
    assert partials, "provisional text was shown"
    assert max(len(p) for p in partials) <= 37
    assert requests.errors == []


async def test_mode_is_remembered_and_box_fits_a_phone(new_page, gateway: Gateway) -> None:
    page, requests = await new_page(viewport={"width": 375, "height": 740})
    await page.goto(gateway.url + "/live/demo")
    await page.get_by_label("Anzeige").select_option("popon")
    await page.get_by_label("Schriftgröße").select_option("xl")
    await page.reload()
    await expect(page.get_by_label("Anzeige")).to_have_value("popon")

    await gateway.broker.publish(TOPIC, SubtitleStream(stream="demo", state="started"))
    await gateway.broker.publish(
        TOPIC,
        SubtitleCue(stream="demo", seq=0, start=0, end=3,
                    lines=("Wir kommen zu Tagesordnungspunkt drei,", "dem Bebauungsplan Am Stadtpark.")),
    )
    box = page.locator("#overlay-text")
    await expect(box).to_have_text("Wir kommen zu Tagesordnungspunkt drei,dem Bebauungsplan Am Stadtpark.")
    caption = await box.bounding_box()
    player = await page.locator("#player").bounding_box()
    assert caption and player
    # inside the picture: it covers neither the intro above nor the controls below
    assert caption["y"] >= player["y"] - 0.5
    assert caption["y"] + caption["height"] <= player["y"] + player["height"] + 0.5
    assert caption["x"] >= -0.5 and caption["x"] + caption["width"] <= 375.5
    assert requests.errors == []
