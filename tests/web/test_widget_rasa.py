"""Keyboard-only chat with the real Rasa bot, expectations read straight from the topic file (``rasa_gateway``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.async_api import expect

from tests.web.conftest import Gateway, active_element

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOPIC_FILE = Path(__file__).resolve().parents[2] / "content" / "musterstadt" / "topics" / "personalausweis.yml"


async def test_keyboard_chat_with_the_real_bot(new_page, rasa_gateway: Gateway) -> None:
    topic = yaml.safe_load(TOPIC_FILE.read_text(encoding="utf-8"))
    day, month, year = reversed(str(topic["last_reviewed"]).split("-"))
    page, requests = await new_page()
    await page.goto(rasa_gateway.url + "/")
    for _ in range(40):
        await page.keyboard.press("Tab")
        if (await active_element(page))["text"] == "Fragen an die Stadt":
            break
    else:
        pytest.fail("the chat launcher cannot be reached with Tab")
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    # the one AI notice of the open panel (issue #10): the header line, read with the input
    await expect(dialog.get_by_text("KI-Assistent, kein Mensch.")).to_be_visible()
    await page.keyboard.type("Wie beantrage ich einen Personalausweis?")
    await page.keyboard.press("Enter")

    log = page.get_by_role("log")
    await expect(log.get_by_text(f"Stand: {day}.{month}.{year}")).to_be_visible(timeout=30_000)
    source = topic["sources"][0]
    link = log.get_by_role("link", name=source["title"])
    await expect(link).to_have_attribute("href", source["url"])

    # Shift+Tab from the input reaches the feedback buttons and then the source link
    for _ in range(6):
        await page.keyboard.press("Shift+Tab")
        if (await active_element(page))["href"] == source["url"]:
            break
    else:
        pytest.fail("the source link cannot be reached with the keyboard")

    # Leichte Sprache shows the easy answer of this topic, or says there is none
    await page.get_by_role("button", name="Leichte Sprache").press("Enter")
    answer = log.locator(".rh-msg--bot .rh-text").last
    if topic.get("answer_easy"):
        await expect(answer).to_have_text(" ".join(str(topic["answer_easy"]).split()))
    else:
        await expect(log.get_by_text("Diese Antwort gibt es noch nicht in Leichter Sprache.")).to_be_visible()

    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    assert (await active_element(page))["text"] == "Fragen an die Stadt"
    assert requests.foreign() == []
    assert requests.errors == []


async def test_a_fee_follow_up_shows_the_fee_table_and_opens_the_whole_answer(new_page, rasa_gateway: Gateway) -> None:
    topic = yaml.safe_load(TOPIC_FILE.read_text(encoding="utf-8"))
    page, requests = await new_page()
    await page.goto(rasa_gateway.url + "/")
    await page.get_by_role("button", name="Fragen an die Stadt").click()
    log = page.get_by_role("log")
    answer = log.locator(".rh-msg--bot .rh-text").last
    await page.get_by_label("Ihre Frage").fill("Ich brauche einen neuen Personalausweis")
    await page.get_by_label("Ihre Frage").press("Enter")
    await expect(answer).to_contain_text("biometrische", timeout=30_000)
    await page.get_by_label("Ihre Frage").fill("Und was kostet das?")
    await page.get_by_label("Ihre Frage").press("Enter")
    fee_lines = [f"• {fee['label']}: {fee['amount_eur']:.2f} Euro".replace(".", ",") for fee in topic["fees"]]
    await expect(answer).to_contain_text(fee_lines[0], timeout=30_000)
    for line in fee_lines[1:]:
        await expect(answer).to_contain_text(line)
    await expect(answer).not_to_contain_text("biometrische")  # the fee only, not the whole page
    whole = log.get_by_role("button", name="Alles zu " + topic["title"])
    await expect(whole).to_be_visible()
    await whole.click()
    await expect(answer).to_contain_text("biometrische", timeout=30_000)
    assert requests.foreign() == []
    assert requests.errors == []
