"""The transcript a viewer reads (channels/web/static/transcript.js): cues joined into sentences and
paragraphs (pure functions, run in Debian's chromium on data), and on the live page the search that marks
every match and jumps from one to the next."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from channels.messages import SubtitleCue, SubtitleStream
from tests.web.conftest import Gateway

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "channels" / "web" / "static" / "transcript.js"

# cues as the demo's council meeting produced them (issue 11: sentence split, leading comma, " .")
MEETING = [
    {"start": 0.0, "end": 3.1, "lines": ["Guten Abend, meine Damen", "und Herren."]},
    {"start": 3.1, "end": 7.2, "lines": ["Tagesordnungspunkt vier betrifft", "die Haushaltssatzung für das kommende"]},
    {"start": 7.2, "end": 10.4, "lines": ["Jahr. Die Kämmerin stellt", "die wichtigsten Zahlen vor"]},
    {"start": 10.4, "end": 12.0, "lines": [", danach folgt die Aussprache ."]},
    {"start": 16.5, "end": 18.0, "lines": [", und dann stimmen wir ab."]},
]


async def _pure(page: Page) -> Page:
    await page.goto("about:blank")
    await page.add_script_tag(path=str(SCRIPT))
    return page


async def _join(page: Page, entries: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    return await page.evaluate("([e, o]) => window.RathausTranscript.join(e, o)", [entries, options])


async def test_cues_become_whole_sentences_without_stray_punctuation(new_page) -> None:
    page = await _pure((await new_page())[0])
    paragraphs = await _join(page, MEETING)
    assert [[s["text"] for s in p["sentences"]] for p in paragraphs] == [
        [
            "Guten Abend, meine Damen und Herren.",
            "Tagesordnungspunkt vier betrifft die Haushaltssatzung für das kommende Jahr.",
            "Die Kämmerin stellt die wichtigsten Zahlen vor, danach folgt die Aussprache.",
        ],
        ["und dann stimmen wir ab."],  # after a pause of 4.5 s: a new paragraph, never starting with a comma
    ]
    first, second = paragraphs
    assert first["start"] == 0.0 and second["start"] == 16.5
    # a sentence starts where its first word is in its cue: "Die Kämmerin" is after "Jahr. " in 7.2-10.4
    kaemmerin = first["sentences"][2]
    assert 7.2 < kaemmerin["start"] < 8.0 and kaemmerin["end"] == 12.0


async def test_long_speech_without_pauses_is_cut_into_paragraphs_of_whole_sentences(new_page) -> None:
    page = await _pure((await new_page())[0])
    entries = [{"start": n * 2.0, "end": n * 2.0 + 2.0, "text": f"Satz {n} geht hier weiter"} for n in range(20)]
    entries = [{**e, "text": e["text"] + ("." if n % 2 else "")} for n, e in enumerate(entries)]
    paragraphs = await _join(page, entries, maxSentences=3)
    assert [len(p["sentences"]) for p in paragraphs] == [3, 3, 3, 1]
    assert all(s["text"].endswith(".") for p in paragraphs for s in p["sentences"])


async def test_joining_never_loses_a_word_and_never_leaves_stray_punctuation(new_page) -> None:
    """Random cues made of words, punctuation marks and spaces in any place: every word comes out once,
    in order, and no sentence starts with punctuation or has a space before it."""
    page = await _pure((await new_page())[0])
    rng = random.Random(11)
    vocabulary = ["Rat", "Haushalt", "Jahr", "und", "die", "Kämmerin", "Straße", "2027", "Am", "Stadtpark"]
    marks = [",", ".", "?", "!", ";", ":", " ,", " .", "…"]
    for _ in range(25):
        entries, start = [], 0.0
        for _ in range(rng.randint(1, 12)):
            tokens = [rng.choice(vocabulary + marks) for _ in range(rng.randint(1, 9))]
            entries.append({"start": start, "end": start + 2.0, "text": " ".join(tokens)})
            start += rng.choice([2.0, 2.0, 2.0, 5.0])
        paragraphs = await _join(page, entries)
        sentences = [s["text"] for p in paragraphs for s in p["sentences"]]
        words_in = [w for e in entries for w in re.findall(r"\w+", e["text"])]
        assert [w for s in sentences for w in re.findall(r"\w+", s)] == words_in, entries
        for sentence in sentences:
            assert sentence and sentence[0] not in ",.;:!?… ", (sentence, entries)
            assert not re.search(r"\s[,.;:!?…]", sentence), (sentence, entries)


async def test_search_matches_are_cut_out_ignoring_case(new_page) -> None:
    page = await _pure((await new_page())[0])
    parts = await page.evaluate("window.RathausTranscript.highlight('Die Kämmerin und die KÄMMERIN.', 'kämmerin')")
    assert parts == [
        {"text": "Die ", "match": False}, {"text": "Kämmerin", "match": True},
        {"text": " und die ", "match": False}, {"text": "KÄMMERIN", "match": True}, {"text": ".", "match": False},
    ]
    assert await page.evaluate("window.RathausTranscript.highlight('Text', '  ')") == [
        {"text": "Text", "match": False}
    ]


async def test_the_live_transcript_reads_as_text_and_its_search_marks_and_jumps(new_page, gateway: Gateway) -> None:
    topic = "subtitles:demo"
    await gateway.broker.publish(topic, SubtitleStream(stream="demo", state="started"))
    for seq, cue in enumerate(MEETING):
        await gateway.broker.publish(topic, SubtitleCue(stream="demo", seq=seq, start=cue["start"], end=cue["end"],
                                                        lines=tuple(cue["lines"])))
    page, requests = await new_page(viewport={"width": 1280, "height": 800})
    await page.goto(gateway.url + "/live/demo")
    log = page.get_by_role("log")
    paragraphs = log.locator(".para")
    await expect(paragraphs).to_have_count(2)
    await expect(paragraphs.first).to_contain_text(
        "Tagesordnungspunkt vier betrifft die Haushaltssatzung für das kommende Jahr. Die Kämmerin stellt die "
        "wichtigsten Zahlen vor, danach folgt die Aussprache."
    )
    await expect(paragraphs.nth(1)).to_have_text("0:16 und dann stimmen wir ab.")

    # search with the keyboard only: type, Enter jumps to the first match, Enter again to the next
    search = page.get_by_role("searchbox", name="In der Mitschrift suchen")
    await search.focus()
    await page.keyboard.type("die")
    marks = log.locator("mark")
    await expect(marks).to_have_count(4)  # "die" Haushaltssatzung, "Die" Kämmerin, "die" wichtigsten, "die" Aussprache
    status = page.get_by_role("status").filter(has_text="Treffer")
    await expect(status).to_have_text("4 Treffer")
    await page.keyboard.press("Enter")
    await expect(status).to_have_text("Treffer 1 von 4")
    await expect(marks.nth(0)).to_have_class("is-current")
    await page.keyboard.press("Enter")
    await expect(marks.nth(1)).to_have_class("is-current")
    await expect(marks.nth(0)).not_to_have_class("is-current")
    await page.get_by_role("button", name="Vorheriger Treffer").click()
    await page.get_by_role("button", name="Vorheriger Treffer").click()
    await expect(status).to_have_text("Treffer 4 von 4")  # wraps around
    await expect(marks.nth(3)).to_be_in_viewport()

    # a new cue while searching: marked too, the reader's place is kept
    await gateway.broker.publish(topic, SubtitleCue(stream="demo", seq=9, start=19.0, end=21.0,
                                                    lines=("Die Sitzung ist geschlossen.",)))
    await expect(marks).to_have_count(5)
    await expect(marks.nth(3)).to_have_class("is-current")
    await search.fill("Kommunalabgaben")
    await expect(status).to_have_text("Keine Treffer")
    await expect(page.get_by_role("button", name="Nächster Treffer")).to_be_disabled()
    await search.fill("")
    await expect(marks).to_have_count(0)
    assert requests.foreign() == [] and requests.errors == []
