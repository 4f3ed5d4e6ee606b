"""The widget's own interface in English (issue #10), against the real gateway; no assistant is needed.

The citizen switches with the "English" / "Deutsch" button in the header; the choice is kept in
localStorage. Only the widget's own texts change: what the gateway and the assistant send stays German and
is marked ``lang="de"``. A screenshot at 375 px in English goes to out/ (looked at, not compared).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, Route, expect

from tests.web.conftest import Gateway

pytestmark = pytest.mark.browser

OUT = Path(__file__).resolve().parents[2] / "out"


async def open_widget(page: Page, url: str, launcher: str = "Fragen an die Stadt") -> None:
    await page.goto(url)
    await page.get_by_role("button", name=launcher).click()
    await expect(page.get_by_role("dialog")).to_be_visible()


async def expect_german(page: Page) -> None:
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_have_attribute("lang", "de")
    await expect(page.get_by_role("button", name="Fragen an die Stadt")).to_be_visible()
    await expect(dialog.get_by_role("button", name="Senden")).to_be_visible()
    await expect(dialog.locator("button.rh-human")).to_have_text("Mit einem Menschen sprechen")
    await expect(dialog.get_by_label("Ihre Frage")).to_have_attribute(
        "placeholder", "Zum Beispiel: Wie beantrage ich einen Personalausweis?"
    )
    await expect(dialog.get_by_role("button", name="English")).to_have_attribute("lang", "en", timeout=1000)


async def expect_english(page: Page) -> None:
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_have_attribute("lang", "en")
    await expect(page.get_by_role("button", name="Ask the city", exact=True)).to_be_visible()
    await expect(dialog.get_by_role("button", name="Send")).to_be_visible()
    await expect(dialog.locator("button.rh-human")).to_have_text("Talk to a person")
    await expect(dialog.get_by_label("Your question")).to_have_attribute(
        "placeholder", "For example: How do I apply for an ID card?"
    )
    await expect(dialog.get_by_role("button", name="Close chat")).to_be_visible()
    await expect(dialog.get_by_role("heading")).to_have_text("Ask the city of Musterstadt")
    # said once, in the greeting: the assistant's answers are German content
    await expect(dialog.get_by_role("log").locator(".rh-msg--bot .rh-text").first).to_contain_text(
        "Answers are in German."
    )


async def test_switch_to_english_is_remembered_and_back_to_german(new_page, gateway: Gateway) -> None:
    page, requests = await new_page(viewport={"width": 1280, "height": 800})
    await open_widget(page, gateway.url + "/")
    await expect_german(page)

    await page.get_by_role("dialog").get_by_role("button", name="English").click()
    await expect_english(page)
    await expect(page.get_by_role("dialog").get_by_role("button", name="Deutsch")).to_have_attribute("lang", "de")
    assert await page.evaluate("localStorage.getItem('rathaus.chat.lang')") == "en"

    # a reload (the panel reopens by itself) and a new tab keep English
    await page.reload()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await expect_english(page)
    other = await page.context.new_page()
    await open_widget(other, gateway.url + "/", launcher="Ask the city")
    await expect(other.get_by_role("dialog")).to_have_attribute("lang", "en")
    await other.close()

    await page.get_by_role("dialog").get_by_role("button", name="Deutsch").click()
    await expect_german(page)
    assert await page.evaluate("localStorage.getItem('rathaus.chat.lang')") == "de"
    await page.reload()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await expect_german(page)
    assert requests.errors == []


async def test_handoff_in_english_keeps_the_gateways_german_text(new_page, gateway: Gateway) -> None:
    """Nobody is online: the gateway's note stays German (lang="de"), the callback form is in English."""
    page, requests = await new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    await open_widget(page, gateway.url + "/")
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="English").click()
    await dialog.locator("button.rh-human").click()

    note = dialog.get_by_role("log").locator(".rh-msg--system .rh-text").last
    await expect(note).to_contain_text("niemand")
    await expect(note).to_have_attribute("lang", "de")
    await expect(dialog.get_by_role("log").locator(".rh-msg--system .rh-sender").last).to_have_text("Note")
    await expect(dialog.get_by_text("Ask for a call back or an answer by e-mail")).to_be_visible()
    await expect(dialog.get_by_label("Your name")).to_be_visible()
    await dialog.get_by_role("button", name="Ask for a call back").click()
    await expect(dialog.get_by_role("alert")).to_have_text(
        "Please give your name and a phone number or e-mail address."
    )
    # the tools stay on one row at 375 px
    tops = await dialog.locator(".rh-tools > button").evaluate_all(
        "nodes => nodes.map(n => Math.round(n.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, tops
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    OUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUT / "widget-english-375.png"))

    # back to German: the widget's own texts follow, the gateway's note is unchanged
    await dialog.get_by_role("button", name="Deutsch").click()
    await expect(dialog.get_by_text("Rückruf oder Antwort per E-Mail anfordern")).to_be_visible()
    await expect(dialog.get_by_role("log").locator(".rh-msg--system .rh-sender").last).to_have_text("Hinweis")
    tops = await dialog.locator(".rh-tools > button").evaluate_all(
        "nodes => nodes.map(n => Math.round(n.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, tops
    await page.screenshot(path=str(OUT / "widget-german-375.png"))
    assert requests.errors == []


async def test_an_english_page_starts_in_english(new_page, gateway: Gateway) -> None:
    page, _ = await new_page()

    async def english_page(route: Route) -> None:
        await route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>City</title>'
            '<script src="/widget.js" defer></script></head><body><main><h1>City hall</h1></main></body></html>',
        )

    await page.route(gateway.url + "/en", english_page)
    await open_widget(page, gateway.url + "/en", launcher="Ask the city")
    await expect_english(page)
