"""axe-core (shipped with axe-playwright-python) finds no serious or critical WCAG violations."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from channels.messages import SubtitleCue
from tests.web.conftest import STAFF_TOKEN, Gateway, axe_serious, stand, topic

pytestmark = pytest.mark.browser


@pytest.mark.slow
async def test_demo_page_with_open_widget_and_answer(new_page, rasa_gateway: Gateway) -> None:
    """The real bot's AI disclosure, a "Meinten Sie …?" choice and an answer with sources are on the page."""
    ausweis = topic("personalausweis")
    page, _ = await new_page()
    await page.goto(rasa_gateway.url + "/")
    assert await axe_serious(page) == []
    await page.get_by_role("button", name="Fragen an die Stadt").click()
    await page.get_by_label("Ihre Frage").fill("Pass oder Ausweis")
    await page.get_by_label("Ihre Frage").press("Enter")
    await page.get_by_role("button", name=ausweis["title"]).click()
    await expect(page.get_by_text(stand(ausweis))).to_be_visible()
    await page.get_by_role("button", name="Leichte Sprache").click()
    await page.get_by_role("button", name="Ja, hilfreich").click()
    assert await axe_serious(page) == []


async def test_live_page(new_page, gateway: Gateway) -> None:
    await gateway.broker.publish(
        "subtitles:demo",
        SubtitleCue(stream="demo", seq=0, start=0, end=2, lines=("Guten Abend,", "meine Damen und Herren.")),
    )
    page, _ = await new_page()
    await page.goto(gateway.url + "/live/demo")
    await expect(page.get_by_role("log")).to_contain_text("meine Damen und Herren.")
    assert await axe_serious(page) == []
    await page.get_by_role("button", name="Hoher Kontrast").click()
    assert await axe_serious(page) == []


async def test_staff_page(new_page, gateway: Gateway) -> None:
    page, _ = await new_page()
    await page.goto(gateway.url + "/staff")
    assert await axe_serious(page) == []
    await page.get_by_label("Zugangsschlüssel").fill(STAFF_TOKEN)
    await page.get_by_label("Ihr Name im Chat").fill("Herr Muster")
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_text("Im Moment wartet niemand.")).to_be_visible()

    # a person is online now, so the citizen's request is queued (with nobody online it is not)
    citizen, _ = await new_page()
    await citizen.goto(gateway.url + "/")
    await citizen.get_by_role("button", name="Fragen an die Stadt").click()
    await citizen.get_by_role("button", name="Mit einem Menschen sprechen").click()

    await page.locator(".conv").first.click()
    await page.get_by_role("button", name="Übernehmen").click()
    await expect(page.get_by_label("Antwort an die Bürgerin oder den Bürger")).to_be_visible()
    assert await axe_serious(page) == []
