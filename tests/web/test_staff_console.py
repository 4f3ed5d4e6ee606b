"""The staff console people can work in (issue #10), in Debian's chromium against the real gateway.

Readable labels (first question, time, language), the countdown to the hand-off timeout, a tone and a tab
title on a new request (mutable, and honest about the browser's autoplay rule), "Bürger hat das Gespräch
verlassen", and a confirmation with a short summary before a chat ends. The widget's own button asks the
gateway directly, so no assistant is needed (``gateway``: Rasa on a closed port; a question still reaches the
conversation and the console). Screenshots at 1280 px and 375 px go to docs/img/ (looked at for docs/web.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from channels.staff_accounts import StaffAccount, hash_password, upsert_account
from tests.web.conftest import STAFF_TOKEN, Gateway, axe_serious, closed_rasa_url, run_gateway

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
TITLE = "Chat-Übernahme – Konsole für Mitarbeitende"
# Counts the tones the console starts, through the public Web Audio API (no sound device is needed).
COUNT_TONES = """(() => {
  window.__tones = 0;
  const original = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.__tones += 1; return original.call(this); };
})();"""


async def ask_for_a_person(new_page, gateway: Gateway, question: str) -> Page:  # type: ignore[no-untyped-def]
    """A citizen opens the widget, asks ``question`` (the assistant is down: the question is still stored)
    and then asks for a person with the widget's own button."""
    citizen, _ = await new_page()
    await citizen.goto(gateway.url + "/")
    await citizen.get_by_role("button", name="Fragen an die Stadt").click()
    await citizen.get_by_label("Ihre Frage").fill(question)
    await citizen.get_by_label("Ihre Frage").press("Enter")
    dialog = citizen.get_by_role("dialog")
    await expect(dialog.locator(".rh-msg--user")).to_have_count(1)
    await dialog.locator("button.rh-human").click()
    await expect(dialog.locator(".rh-handoff")).to_be_visible()
    return citizen


async def login(staff: Page, gateway: Gateway) -> None:
    """Logs in through the form: the click is the gesture that lets the page play sound."""
    await staff.goto(gateway.url + "/staff")
    await staff.get_by_label("Zugangsschlüssel").fill(STAFF_TOKEN)
    await staff.get_by_label("Ihr Name im Chat").fill("Frau Beispiel")
    await staff.get_by_role("button", name="Anmelden").click()
    await expect(staff.get_by_text("Im Moment wartet niemand.")).to_be_visible()


async def tones(staff: Page) -> int:
    return int(await staff.evaluate("window.__tones"))


async def test_console_labels_counts_down_alerts_and_confirms_the_end(new_page, gateway: Gateway) -> None:
    staff, staff_requests = await new_page(viewport={"width": 1280, "height": 900})
    await staff.add_init_script(COUNT_TONES)
    await login(staff, gateway)
    assert await staff.title() == TITLE

    citizen = await ask_for_a_person(new_page, gateway, "Wie melde ich meinen Hund an?")
    conversation = staff.locator(".conv").first
    # labelled by the first question, the time and the language, not by a random id
    await expect(conversation.locator(".conv-head")).to_have_text("Wie melde ich meinen Hund an?")
    await expect(conversation.locator(".conv-meta")).to_contain_text(re.compile(r"^\d\d:\d\d Uhr · Deutsch · wartet"))
    # the countdown to the timeout (60 s in this gateway) runs
    timer = conversation.locator(".conv-countdown")
    await expect(timer).to_have_text(re.compile(r"^Zeitablauf in 0:[0-5]\d$"))
    first = await timer.inner_text()
    await expect(timer).not_to_have_text(first)
    # a tone and the tab title; looking at the tab (a click) clears "Neue Anfrage", the count stays
    assert await tones(staff) >= 1
    await expect(staff).to_have_title(f"(1) Neue Anfrage – {TITLE}")
    await staff.locator("h1").click()
    await expect(staff).to_have_title(f"(1) {TITLE}")

    # muted (and remembered): the next request is silent but still in the title
    sound = staff.get_by_role("checkbox", name="Ton bei neuer Anfrage")
    await expect(sound).to_be_checked()
    await sound.uncheck()
    heard = await tones(staff)
    second = await ask_for_a_person(new_page, gateway, "Wann ist der Wertstoffhof offen?")
    await expect(staff.locator(".conv")).to_have_count(2)
    await expect(staff).to_have_title(f"(2) Neue Anfrage – {TITLE}")
    assert await tones(staff) == heard
    assert await staff.evaluate("localStorage.getItem('rathaus.staff.sound')") == "off"

    # the second citizen closes the tab: staff see it instead of a person waiting
    await second.close()
    left = staff.locator(".conv", has_text="Wertstoffhof")
    await expect(left.locator(".conv-left")).to_have_text("Bürger hat das Gespräch verlassen")
    await expect(staff.locator(".conv", has_text="Hund").locator(".conv-left")).to_have_count(0)
    await staff.screenshot(path=str(SHOTS / "staff-1280.png"))

    # take the first, then end it: a confirmation first, with a short summary for the citizen
    await conversation.click()
    await expect(staff.locator("#detail-title")).to_have_text("Gespräch: Wie melde ich meinen Hund an?")
    await staff.get_by_role("button", name="Übernehmen").click()
    reply = staff.get_by_label("Antwort an die Bürgerin oder den Bürger")
    await reply.fill("Guten Tag, das geht online oder im Bürgerbüro.")
    await reply.press("Enter")
    log = citizen.get_by_role("log")
    await expect(log.locator(".rh-msg--staff").last).to_contain_text("das geht online")
    # a reload resumes the conversation without announcing the person a second time
    await citizen.reload()
    log = citizen.get_by_role("log")
    await expect(log.locator(".rh-msg--staff")).to_have_count(1)
    await expect(log.locator(".rh-msg", has_text="jetzt für Sie da")).to_have_count(1)
    await expect(log.locator(".rh-msg").last).to_contain_text("das geht online")
    await staff.get_by_role("button", name="Gespräch beenden").click()
    confirm = staff.get_by_role("dialog", name="Gespräch wirklich beenden?")
    await expect(confirm).to_be_visible()
    await expect(staff.get_by_label("Kurze Zusammenfassung für die Person (freiwillig)")).to_be_focused()
    await staff.keyboard.press("Escape")  # cancelled: still with the person
    await expect(confirm).to_be_hidden()
    await expect(staff.get_by_role("button", name="Gespräch beenden")).to_be_focused()
    await expect(reply).to_be_visible()
    await staff.get_by_role("button", name="Gespräch beenden").click()
    summary = "Hund bis 30. Juni online anmelden."
    await staff.get_by_label("Kurze Zusammenfassung für die Person (freiwillig)").fill(summary)
    await staff.get_by_role("button", name="Ja, Gespräch beenden").click()
    await expect(log.locator(".rh-msg--staff").last).to_contain_text(f"Zusammenfassung: {summary}")
    await expect(log.locator(".rh-msg--system").last).to_contain_text("ist beendet")
    await expect(staff.locator(".conv")).to_have_count(1)
    assert staff_requests.foreign() == [] and staff_requests.errors == []
    assert await axe_serious(staff) == []


async def test_sound_waits_for_a_gesture_and_says_so(new_page, gateway: Gateway) -> None:
    """Opened from a link (no click yet): browsers block sound, so the console says how to allow it."""
    staff, _ = await new_page(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    await staff.add_init_script(COUNT_TONES)
    await staff.goto(f"{gateway.url}/staff?token={STAFF_TOKEN}&name=Herr%20Muster")
    await expect(staff.get_by_text("Im Moment wartet niemand.")).to_be_visible()
    await ask_for_a_person(new_page, gateway, "Wo beantrage ich einen Anwohnerparkausweis?")
    hint = staff.get_by_text("Der Ton ist noch gesperrt")
    await expect(hint).to_be_visible()
    await expect(staff).to_have_title(f"(1) Neue Anfrage – {TITLE}")
    assert await tones(staff) == 0
    await expect(staff.locator(".conv-head")).to_have_text("Wo beantrage ich einen Anwohnerparkausweis?")
    await expect(staff.locator(".conv-countdown")).to_be_visible()
    # nothing wider than the phone
    assert await staff.evaluate("document.documentElement.scrollWidth") <= 375
    await staff.screenshot(path=str(SHOTS / "staff-375.png"), full_page=True)
    await staff.locator("h1").click()
    await expect(hint).to_be_hidden()
    await expect(staff).to_have_title(f"(1) {TITLE}")


async def test_personal_account_login_names_the_person(new_page, tmp_path: Path) -> None:
    """With RATHAUS_STAFF_ACCOUNTS the console asks for login and password; the name comes from the account."""
    account = StaffAccount(login="beispiel", name="Frau Beispiel, Bürgerbüro", password=hash_password("Sommer 2026!"))
    accounts = tmp_path / "staff.yml"
    accounts.write_text(upsert_account(None, account), encoding="utf-8")
    async with run_gateway(rasa_url=closed_rasa_url(), staff_accounts=accounts, handoff_timeout_s=60) as gateway:
        staff, requests = await new_page()
        await staff.goto(gateway.url + "/staff")
        await expect(staff.get_by_label("Benutzername")).to_be_visible()
        await expect(staff.get_by_label("Zugangsschlüssel")).to_be_hidden()
        await staff.get_by_label("Benutzername").fill("beispiel")
        await staff.get_by_label("Passwort").fill("falsch")
        await staff.get_by_role("button", name="Anmelden").click()
        await expect(staff.get_by_role("alert")).to_have_text("Benutzername oder Passwort stimmt nicht.")
        await expect(staff.get_by_label("Passwort")).to_be_focused()
        await staff.get_by_label("Passwort").fill("Sommer 2026!")
        await staff.get_by_label("Passwort").press("Enter")
        await expect(staff.get_by_text("Angemeldet als Frau Beispiel, Bürgerbüro")).to_be_visible()
        await expect(staff.get_by_text("Im Moment wartet niemand.")).to_be_visible()
        stored = await staff.evaluate("JSON.stringify(sessionStorage)")
        assert "Sommer" not in stored and "ticket" in stored
        await staff.reload()  # the ticket keeps the tab logged in
        await expect(staff.get_by_text("Angemeldet als Frau Beispiel, Bürgerbüro")).to_be_visible()

        await ask_for_a_person(new_page, gateway, "Wie melde ich meinen Hund an?")
        await staff.locator(".conv").first.click()
        await staff.get_by_role("button", name="Übernehmen").click()
        await expect(staff.locator(".conv-meta")).to_contain_text("von Ihnen übernommen")
        await expect(staff.get_by_label("Antwort an die Bürgerin oder den Bürger")).to_be_visible()
        await staff.get_by_role("button", name="Abmelden").click()
        await expect(staff.get_by_label("Benutzername")).to_be_focused()
        assert requests.foreign() == [] and requests.errors == []


async def test_nobody_online_leads_to_a_callback_request_that_staff_see(new_page, gateway: Gateway) -> None:
    """No console is open: the citizen is offered a callback form at once; staff who log in later find it."""
    citizen, citizen_requests = await new_page(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    await citizen.goto(gateway.url + "/")
    await citizen.get_by_role("button", name="Fragen an die Stadt").click()
    await citizen.get_by_label("Ihre Frage").fill("Ich brauche eine Meldebescheinigung")
    await citizen.get_by_label("Ihre Frage").press("Enter")
    dialog = citizen.get_by_role("dialog")
    await dialog.locator("button.rh-human").click()
    form = dialog.get_by_role("form", name="Rückruf oder Antwort per E-Mail anfordern")
    await expect(form).to_be_visible()
    await expect(form.get_by_label("Ihr Anliegen (freiwillig)")).to_have_value("Ich brauche eine Meldebescheinigung")
    await form.get_by_role("button", name="Rückruf anfordern").click()
    await expect(form.get_by_role("alert")).to_contain_text("Bitte geben Sie Ihren Namen")
    await expect(form.get_by_label("Ihr Name")).to_be_focused()
    await form.get_by_label("Ihr Name").fill("Erika Muster")
    await form.get_by_label("Telefonnummer oder E-Mail-Adresse").fill("0170 1234567")
    await citizen.screenshot(path=str(SHOTS / "widget-callback-375.png"))
    await form.get_by_role("button", name="Rückruf anfordern").click()
    await expect(dialog.get_by_text("Ihre Bitte um Rückruf ist gespeichert")).to_be_visible()
    await expect(form).to_have_count(0)
    await expect(citizen.get_by_label("Ihre Frage")).to_be_focused()
    assert citizen_requests.foreign() == [] and citizen_requests.errors == []
    assert await axe_serious(citizen) == []

    staff, _ = await new_page(viewport={"width": 1280, "height": 800})
    await login(staff, gateway)
    callbacks = staff.get_by_role("region", name="Rückruf-Bitten")
    item = callbacks.locator(".callback")
    await expect(item).to_contain_text("Erika Muster")
    await expect(item).to_contain_text("offen")
    await expect(item).to_contain_text("Anliegen: Ich brauche eine Meldebescheinigung")
    await expect(item.get_by_role("link", name="0170 1234567")).to_have_attribute("href", "tel:01701234567")
    await item.get_by_role("button", name="als erledigt markieren").click()
    await expect(item).to_contain_text("erledigt von Frau Beispiel")
    await expect(item.get_by_role("button")).to_have_count(0)
    await expect(staff.get_by_role("heading", name="Rückruf-Bitten")).to_be_focused()
    await staff.screenshot(path=str(SHOTS / "staff-callbacks-1280.png"))
    # a colleague's console shows the same state
    colleague, _ = await new_page()
    await colleague.goto(f"{gateway.url}/staff?token={STAFF_TOKEN}&name=Herr%20Muster")
    await expect(colleague.locator(".callback")).to_contain_text("erledigt von Frau Beispiel")
    assert await axe_serious(staff) == []


async def test_citizen_sees_staff_typing_until_the_message_or_a_pause(new_page, gateway: Gateway) -> None:
    staff, _ = await new_page(viewport={"width": 1280, "height": 900})
    await login(staff, gateway)
    citizen = await ask_for_a_person(new_page, gateway, "Wie melde ich meinen Hund an?")
    await citizen.set_viewport_size({"width": 375, "height": 667})
    await staff.locator(".conv").first.click()
    await staff.get_by_role("button", name="Übernehmen").click()
    typing = citizen.locator(".rh-staff-typing")
    await expect(citizen.locator(".rh-handoff")).to_contain_text("Sie schreiben mit")
    await expect(typing).to_be_hidden()

    reply = staff.get_by_label("Antwort an die Bürgerin oder den Bürger")
    await reply.press_sequentially("Guten Tag", delay=50)
    # a polite status line of its own, with the staff member's name
    await expect(typing).to_have_text("Frau Beispiel schreibt …")
    assert (await typing.get_attribute("role"), await typing.get_attribute("aria-live")) == ("status", "polite")
    await citizen.screenshot(path="/tmp/staff-typing-375.png")
    # staff stop typing: it goes after a few seconds (no new chat.typing), without a message
    await expect(typing).to_be_hidden(timeout=9_000)
    await expect(citizen.get_by_role("log").locator(".rh-msg--staff")).to_have_count(0)

    # typing again, then sending: the message replaces it at once
    await reply.press_sequentially(", wie kann ich helfen?", delay=30)
    await expect(typing).to_be_visible()
    await reply.press("Enter")
    await expect(citizen.get_by_role("log").locator(".rh-msg--staff")).to_contain_text("wie kann ich helfen?")
    await expect(typing).to_be_hidden(timeout=1_000)
