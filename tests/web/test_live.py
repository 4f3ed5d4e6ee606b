"""The live subtitle viewer /live/{stream}: cues published through the gateway's broker reach the page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from channels.messages import SubtitleCue, SubtitlePartial, SubtitleStream
from tests.web.conftest import Gateway

pytestmark = pytest.mark.browser

TOPIC = "subtitles:demo"


async def test_cue_appears_in_overlay_and_transcript(new_page, gateway: Gateway) -> None:
    # a cue from before the viewer connected comes from the stored history
    await gateway.broker.publish(TOPIC, SubtitleStream(stream="demo", state="started"))
    await gateway.broker.publish(
        TOPIC,
        SubtitleCue(
            stream="demo",
            seq=0,
            start=1.0,
            end=3.5,
            lines=("Guten Abend, ich eröffne", "die Sitzung des Stadtrats."),
        ),
    )
    page, requests = await new_page()
    await page.goto(gateway.url + "/live/demo")
    transcript = page.get_by_role("log")
    await expect(transcript).to_contain_text("Guten Abend, ich eröffne die Sitzung des Stadtrats.")
    await expect(page.get_by_text("Kein Video — nur Untertitel")).to_be_visible()
    await expect(page.locator("#status-text")).to_have_text("läuft")

    # a live cue: overlay shows its two lines, the transcript grows
    await gateway.broker.publish(
        TOPIC,
        SubtitleCue(
            stream="demo",
            seq=1,
            start=4.0,
            end=6.5,
            lines=("Zu Tagesordnungspunkt eins:", "der Haushalt 2027."),
        ),
    )
    overlay = page.locator("#overlay-text")
    finished = overlay.locator(".cap-line[data-cue]")
    await expect(finished).to_have_text(["Zu Tagesordnungspunkt eins:", "der Haushalt 2027."])
    await expect(transcript.locator(".sentence")).to_have_count(2)  # two sentences, in one paragraph
    await expect(transcript.locator(".sentence").last).to_have_text("Zu Tagesordnungspunkt eins: der Haushalt 2027.")

    # partial text is shown on its own provisional line (roll-up): the finished lines stay
    await gateway.broker.publish(TOPIC, SubtitlePartial(stream="demo", text="Gibt es Wortmeldungen"), durable=False)
    await expect(overlay.locator(".cap-line.is-partial")).to_have_text("Gibt es Wortmeldungen")
    await expect(finished).to_have_text(["Zu Tagesordnungspunkt eins:", "der Haushalt 2027."])
    await expect(transcript.locator(".sentence")).to_have_count(2)

    await gateway.broker.publish(TOPIC, SubtitleStream(stream="demo", state="ended"))
    await expect(page.locator("#status-text")).to_have_text("beendet")

    await expect(page.get_by_role("link", name="Untertitel (.vtt)")).to_have_attribute(
        "href", "/live/demo/transcript.vtt"
    )
    txt = await page.request.get(gateway.url + "/live/demo/transcript.txt")
    assert "der Haushalt 2027." in await txt.text()
    await expect(page.get_by_role("link", name="Untertitel (.srt)")).to_have_attribute(
        "href", "/live/demo/transcript.srt"
    )
    srt = await page.request.get(gateway.url + "/live/demo/transcript.srt")
    expected = "00:00:04,000 --> 00:00:06,500\nZu Tagesordnungspunkt eins:\nder Haushalt 2027."
    assert srt.ok and expected in await srt.text()
    assert requests.foreign() == []
    assert requests.errors == []


async def test_other_streams_do_not_leak_in(new_page, gateway: Gateway) -> None:
    page, _ = await new_page()
    await page.goto(gateway.url + "/live/demo")
    await expect(page.locator("#status-text")).to_have_text("wartet auf Beginn")
    await gateway.broker.publish(
        "subtitles:other", SubtitleCue(stream="other", seq=0, start=0, end=1, lines=("Fremder Text",))
    )
    await gateway.broker.publish(TOPIC, SubtitleCue(stream="demo", seq=0, start=0, end=1, lines=("Eigener Text",)))
    await expect(page.get_by_role("log")).to_contain_text("Eigener Text")
    await expect(page.get_by_role("log")).not_to_contain_text("Fremder Text")


async def test_viewer_preferences_persist(new_page, gateway: Gateway) -> None:
    page, _ = await new_page()
    await page.goto(gateway.url + "/live/demo")
    await page.get_by_label("Schriftgröße").select_option("xl")
    await page.get_by_label("Position").select_option("below")
    contrast = page.get_by_role("button", name="Hoher Kontrast")
    await contrast.press("Enter")
    await expect(contrast).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("body")).to_have_class("live size-xl high-contrast")
    await expect(page.locator("#below")).to_be_visible()

    await page.reload()
    await expect(page.get_by_label("Schriftgröße")).to_have_value("xl")
    await expect(page.get_by_label("Position")).to_have_value("below")
    await expect(page.get_by_role("button", name="Hoher Kontrast")).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#overlay")).to_be_hidden()
    await gateway.broker.publish(TOPIC, SubtitleCue(stream="demo", seq=0, start=0, end=1, lines=("Unter dem Bild",)))
    await expect(page.locator("#below-text")).to_have_text("Unter dem Bild")
    # a big caption font really is bigger
    size = await page.locator("#below-text").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 40


async def test_reconnects_with_since_and_misses_nothing(new_page, gateway: Gateway) -> None:
    page, requests = await new_page()
    sockets = []

    def through(ws) -> None:  # pass every viewer socket through to the gateway, keep a handle to cut it
        ws.connect_to_server()
        sockets.append(ws)

    await page.route_web_socket("**/ws/subtitles/**", through)
    await page.goto(gateway.url + "/live/demo")
    await expect(page.locator("#status-text")).to_have_text("wartet auf Beginn")
    first_id = await gateway.broker.publish(
        TOPIC, SubtitleCue(stream="demo", seq=0, start=0, end=1, lines=("Erster Satz.",))
    )
    transcript = page.get_by_role("log")
    await expect(transcript).to_contain_text("Erster Satz.")

    await sockets[0].close(code=1012, reason="test cuts the connection")
    await expect(page.locator("#status-text")).to_contain_text("Verbindung unterbrochen")
    # said while the viewer was away
    await gateway.broker.publish(TOPIC, SubtitleCue(stream="demo", seq=1, start=1, end=2, lines=("Zweiter Satz.",)))
    await expect(transcript).to_contain_text("Zweiter Satz.", timeout=15_000)
    await expect(transcript.locator(".sentence")).to_have_count(2)  # each once: nothing missed, nothing twice
    reconnect = [u for u in requests.urls if "/ws/subtitles/demo" in u][-1]
    assert f"since={first_id}" in reconnect


async def test_configured_hls_url_is_played_or_linked(new_page) -> None:
    from tests.fixtures.services import free_port
    from tests.web.conftest import closed_rasa_url, run_gateway

    hls = f"http://127.0.0.1:{free_port()}/hls/{{stream}}.m3u8"
    expected = hls.replace("{stream}", "rat")
    async with run_gateway(rasa_url=closed_rasa_url(), hls_url=hls) as gw:
        page, requests = await new_page()
        await page.goto(gw.url + "/live/rat")
        await expect(page.locator("#status-text")).to_have_text("wartet auf Beginn")
        video = page.locator("#video")
        if await video.is_visible():  # hls.js (vendored) feeds the video through MSE, or native HLS
            src = await video.get_attribute("src")
            assert src == expected or (src or "").startswith("blob:" + gw.url), src
            await expect(page.get_by_text("Kein Video — nur Untertitel")).to_be_hidden()
        else:  # no native HLS: the viewer says so and links the stream
            await expect(page.get_by_role("link", name=expected)).to_have_attribute("href", expected)
        assert requests.foreign() == []
        assert requests.errors == []
