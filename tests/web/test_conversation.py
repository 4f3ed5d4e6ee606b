"""A conversation a citizen can finish (issue #10), in Debian's chromium against the real gateway.

The hand-off goes through the real gateway and the real staff console; the widget's own button asks the
gateway directly, so no assistant is needed (``gateway``: Rasa on a closed port). Screenshots at 375 px,
1280 px and 200 % zoom go to docs/img/ (looked at for docs/web.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.web.conftest import STAFF_TOKEN, Gateway, axe_serious

pytestmark = pytest.mark.browser

LAUNCHER = "Fragen an die Stadt"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
CONSOLE_TEXT = "Antwort an die Bürgerin oder den Bürger"


async def open_widget(page: Page, gateway: Gateway) -> None:
    await page.goto(gateway.url + "/")
    await page.get_by_role("button", name=LAUNCHER).click()
    await expect(page.get_by_role("dialog")).to_be_visible()


async def staff_console(new_page, gateway: Gateway) -> Page:  # type: ignore[no-untyped-def]
    staff, _ = await new_page()
    await staff.goto(f"{gateway.url}/staff?token={STAFF_TOKEN}&name=Frau%20Beispiel")
    await expect(staff.get_by_text("Im Moment wartet niemand.")).to_be_visible()
    return staff


async def test_nobody_online_is_known_before_asking_and_answered_at_once(new_page, gateway: Gateway) -> None:
    page, requests = await new_page()
    await open_widget(page, gateway)
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_text("Gerade ist niemand im Chat erreichbar.")).to_be_visible()
    await dialog.locator("button.rh-human").click()
    system = page.get_by_role("log").locator(".rh-msg--system")
    # at once, not after two minutes: the city's other ways, phone and e-mail as links
    await expect(system.last).to_contain_text("Im Moment ist leider niemand im Chat erreichbar", timeout=3000)
    await expect(system.last.locator('a[href="tel:08001234560"]')).to_be_visible()
    await expect(system.last.locator('a[href="mailto:buergerservice@musterstadt.example"]')).to_be_visible()
    await expect(page.get_by_role("log").locator(".rh-typing")).to_have_count(0)
    assert requests.errors == []


async def test_waiting_cancel_and_a_long_staff_chat_never_go_silent(new_page, gateway: Gateway) -> None:
    staff = await staff_console(new_page, gateway)
    page, requests = await new_page()
    await page.clock.install()
    await open_widget(page, gateway)
    dialog = page.get_by_role("dialog")
    log = page.get_by_role("log")
    await expect(dialog.get_by_text("Jetzt ist jemand im Chat erreichbar.")).to_be_visible()

    # waiting: the state, the place in the queue, a way back; messages are acknowledged, no indicator
    await dialog.locator("button.rh-human").click()
    bar = dialog.locator(".rh-handoff")
    await expect(bar).to_contain_text("Sie sind als Nächste oder Nächster dran.")
    await page.get_by_label("Ihre Frage").fill("Ich habe eine Frage zur Sperrmüll-Rechnung")
    await page.get_by_label("Ihre Frage").press("Enter")
    await expect(log.locator(".rh-msg--user .rh-ack").last).to_contain_text("Gespeichert")
    await expect(dialog.locator(".rh-typing")).to_be_hidden()
    await dialog.get_by_role("button", name="Anfrage zurückziehen").click()
    await expect(log.locator(".rh-msg--system").last).to_contain_text("Sie haben die Anfrage zurückgezogen")
    await expect(bar).to_be_hidden()
    await expect(staff.get_by_text("Im Moment wartet niemand.")).to_be_visible()

    # again, and this time a person takes it; the console labels it by the first question
    await dialog.locator("button.rh-human").click()
    conversation = staff.locator(".conv").first
    await expect(conversation).to_contain_text("Sperrmüll-Rechnung")
    await conversation.click()
    await staff.get_by_role("button", name="Übernehmen").click()
    await expect(bar).to_contain_text("Sie schreiben mit einer Mitarbeiterin oder einem Mitarbeiter")
    await page.get_by_label("Ihre Frage").fill("Sind Sie noch da?")
    await page.get_by_label("Ihre Frage").press("Enter")
    await expect(log.locator(".rh-msg--user .rh-ack").last).to_contain_text("Gesendet")
    await expect(staff.get_by_role("log")).to_contain_text("Sind Sie noch da?")
    # twenty minutes while the person looks something up: no timeout text, no waiting indicator
    await page.clock.fast_forward("20:00")
    await expect(dialog.locator(".rh-typing")).to_be_hidden()
    assert "Es kommt gerade keine Antwort" not in await log.inner_text()
    assert "dauert leider zu lange" not in await log.inner_text()
    reply = staff.get_by_label(CONSOLE_TEXT)
    await reply.fill("Ja, ich habe die Rechnung gefunden.")
    await reply.press("Enter")
    await expect(log.locator(".rh-msg--staff").last).to_contain_text("Ja, ich habe die Rechnung gefunden.")
    assert requests.errors == []


async def test_phone_layout_gives_the_conversation_most_of_the_height(new_page, gateway: Gateway) -> None:
    page, _ = await new_page(
        viewport={"width": 375, "height": 667}, has_touch=True, is_mobile=True, reduced_motion="reduce"
    )
    await open_widget(page, gateway)
    dialog = page.get_by_role("dialog")
    await page.screenshot(path=str(SHOTS / "widget-375.png"))
    log_box = await page.get_by_role("log").bounding_box()
    assert log_box is not None and log_box["height"] >= 0.6 * 667, log_box
    await expect(dialog.get_by_role("heading")).to_be_in_viewport()
    await expect(dialog.get_by_role("button", name="Chat schließen")).to_be_in_viewport()
    for name in ("Leichte Sprache", "Mit einem Menschen sprechen"):  # not cut off at the right edge
        box = await dialog.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375, (name, box)


async def test_200_percent_zoom_opens_with_title_and_close_visible(new_page, gateway: Gateway) -> None:
    # 1280 x 800 at 200 % zoom: a 640 x 400 CSS pixel viewport at device scale 2
    page, _ = await new_page(
        viewport={"width": 640, "height": 400}, device_scale_factor=2, reduced_motion="reduce"
    )
    await open_widget(page, gateway)
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_role("heading")).to_be_in_viewport()
    await expect(dialog.get_by_role("button", name="Chat schließen")).to_be_in_viewport()
    await expect(page.get_by_label("Ihre Frage")).to_be_focused()
    await page.screenshot(path=str(SHOTS / "widget-zoom-200.png"))


async def test_focus_never_goes_behind_the_open_panel_and_launcher_comes_first(new_page, gateway: Gateway) -> None:
    page, _ = await new_page(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    await page.goto(gateway.url + "/")
    await page.keyboard.press("Tab")
    inside = "() => document.activeElement && document.activeElement.id === 'rathaus-chat'"
    first_stops = []
    for _ in range(3):  # a skip link may come first; the launcher within the first stops
        first_stops.append(await page.evaluate(inside))
        await page.keyboard.press("Tab")
    assert any(first_stops)
    await page.get_by_role("button", name=LAUNCHER).click()
    for _ in range(25):
        await page.keyboard.press("Tab")
        assert await page.evaluate(inside), "focus left the open chat panel for the page behind it"
    for _ in range(5):
        await page.keyboard.press("Shift+Tab")
        assert await page.evaluate(inside)
    await page.screenshot(path=str(SHOTS / "widget-1280.png"))
    assert await axe_serious(page) == []
