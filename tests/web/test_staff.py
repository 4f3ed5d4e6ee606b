"""Human hand-off through the browser: the staff console takes a citizen's conversation and replies."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.web.conftest import STAFF_TOKEN, Gateway, one_line, stand, topic

pytestmark = pytest.mark.browser


@pytest.mark.slow
async def test_staff_takes_conversation_and_citizen_sees_a_person(new_page, rasa_gateway: Gateway) -> None:
    """The citizen first gets a real answer from the bot; the console shows that history."""
    gateway = rasa_gateway
    ausweis = topic("personalausweis")
    citizen, citizen_requests = await new_page()
    await citizen.goto(gateway.url + "/")
    await citizen.get_by_role("button", name="Fragen an die Stadt").click()
    await citizen.get_by_label("Ihre Frage").fill("Personalausweis")
    await citizen.get_by_label("Ihre Frage").press("Enter")
    await expect(citizen.get_by_text(stand(ausweis))).to_be_visible()
    # staff is logged in before the citizen asks (with nobody online the request is not queued)
    staff, staff_requests = await new_page()
    await staff.goto(f"{gateway.url}/staff?token={STAFF_TOKEN}&name=Frau%20Beispiel")
    await expect(staff.get_by_text("Im Moment wartet niemand.")).to_be_visible()
    # the widget's own button (the bot's AI disclosure offers one too)
    human = citizen.get_by_role("dialog").locator("button.rh-human")
    await expect(human).to_have_accessible_name("Mit einem Menschen sprechen")
    await human.click()
    citizen_log = citizen.get_by_role("log")
    await expect(citizen_log.locator(".rh-msg--system")).to_have_count(1)

    # the token does not stay in the address bar
    assert "token" not in staff.url
    conversation = staff.locator(".conv").first
    await expect(conversation).to_contain_text("wartet")
    await expect(conversation).to_contain_text("Personalausweis")
    await conversation.click()
    history = staff.get_by_role("log")
    await expect(history).to_contain_text("Personalausweis")
    await expect(history).to_contain_text(one_line(ausweis["answer"]))
    await expect(history).to_contain_text("Ich bin der KI-Assistent der Stadt Musterstadt")  # staff sees it in full
    await staff.get_by_role("button", name="Übernehmen").click()

    # the citizen is told a person joined
    await expect(citizen_log.locator(".rh-msg--system")).to_have_count(2)
    await expect(citizen.get_by_text("Sie schreiben jetzt mit einer Mitarbeiterin")).to_be_visible()

    reply = staff.get_by_label("Antwort an die Bürgerin oder den Bürger")
    await reply.fill("Guten Tag, hier ist das Bürgerbüro. Wie kann ich helfen?")
    await reply.press("Enter")
    staff_bubble = citizen_log.locator(".rh-msg--staff")
    await expect(staff_bubble).to_contain_text("Mitarbeiterin/Mitarbeiter der Stadt")
    await expect(staff_bubble).to_contain_text("Guten Tag, hier ist das Bürgerbüro. Wie kann ich helfen?")

    # the citizen answers; the console shows it
    await citizen.get_by_label("Ihre Frage").fill("Brauche ich einen Termin?")
    await citizen.get_by_label("Ihre Frage").press("Enter")
    await expect(history).to_contain_text("Brauche ich einen Termin?")
    # while a person has the conversation, the assistant stays silent
    await expect(citizen.locator(".rh-msg--user .rh-text")).to_have_text(
        ["Personalausweis", "Brauche ich einen Termin?"]
    )
    await expect(citizen_log.locator(".rh-msg--bot")).to_have_count(3)  # greeting, AI disclosure, answer

    await staff.get_by_role("button", name="Gespräch beenden").click()
    await staff.get_by_role("button", name="Ja, Gespräch beenden").click()  # the console asks first
    await expect(citizen_log.locator(".rh-msg--system")).to_have_count(3)
    await expect(staff.get_by_text("Im Moment wartet niemand.")).to_be_visible()
    assert citizen_requests.foreign() == [] and staff_requests.foreign() == []
    assert citizen_requests.errors == [] and staff_requests.errors == []


async def test_wrong_token_is_refused_politely(new_page, gateway: Gateway) -> None:
    """Login only, no chat: needs no assistant."""
    page, _ = await new_page()
    await page.goto(gateway.url + "/staff")
    await page.get_by_label("Zugangsschlüssel").fill("falsch")
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Anmeldung fehlgeschlagen. Bitte prüfen Sie den Zugangsschlüssel."
    )
    await expect(page.get_by_label("Zugangsschlüssel")).to_be_focused()
