"""The chat widget on the demo page, against the real gateway and the real assistant (``rasa_gateway``).

Expected texts come from the editors' content (content/musterstadt), which is what the real bot answers
from. Stand-ins only where the real assistant cannot produce the case: untrusted HTML in an answer
(:class:`~tests.web.conftest.FakeRasa`) and Rasa being down (a closed port).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page, expect

from tests.web.conftest import (
    UNTRUSTED_ANSWER,
    FakeRasa,
    Gateway,
    active_element,
    closed_rasa_url,
    link_href,
    office_name,
    one_line,
    rasa_user_texts,
    stand,
    topic,
    topic_without_easy_language,
)

pytestmark = pytest.mark.browser
real_bot = pytest.mark.slow

LAUNCHER = "Fragen an die Stadt"
DISCLOSURE = "Ich bin der KI-Assistent der Stadt Musterstadt, ein automatisches System und kein Mensch."
# a real question the trained bot cannot tell apart: it offers both passport topics ("Meinten Sie …?")
AMBIGUOUS = "Pass oder Ausweis"
PAYLOAD_REISEPASS = '/choose_topic{"topic":"reisepass"}'


async def open_widget(page: Page, gateway: Gateway) -> None:
    await page.goto(gateway.url + "/")
    await page.get_by_role("button", name=LAUNCHER).click()
    await expect(page.get_by_role("dialog")).to_be_visible()


async def ask(page: Page, text: str) -> None:
    await page.get_by_label("Ihre Frage").fill(text)
    await page.get_by_label("Ihre Frage").press("Enter")


def human_tool(page: Page) -> Locator:
    """The widget's own "Mit einem Menschen sprechen" button (the real bot also offers one in its replies)."""
    return page.get_by_role("dialog").locator("button.rh-human")


def bot_texts(page: Page) -> Locator:
    """Texts of the assistant's bubbles: nth(0) the widget's greeting, then what the bot sent; in a new
    conversation the real bot first sends its AI disclosure (nth(1)), then the answer (nth(2))."""
    return page.get_by_role("log").locator(".rh-msg--bot .rh-text")


@real_bot
async def test_answer_shows_text_source_and_review_date(new_page, rasa_gateway: Gateway) -> None:
    ausweis = topic("personalausweis")
    page, requests = await new_page()
    await open_widget(page, rasa_gateway)
    dialog = page.get_by_role("dialog", name="Fragen an die Stadt Musterstadt")
    await expect(dialog).to_be_visible()
    # one AI notice (issue #10): short in the header, in full in the greeting
    await expect(dialog.locator(".rh-notice")).to_have_text(
        "KI-Assistent, kein Mensch. Bitte keine persönlichen Daten eingeben."
    )
    greeting = "Ich bin ein KI-Assistent, ein Computerprogramm und kein Mensch."
    await expect(bot_texts(page).first).to_contain_text(greeting)

    await ask(page, "Wie beantrage ich einen Personalausweis?")
    log = page.get_by_role("log")
    await expect(log.get_by_text(stand(ausweis))).to_be_visible()
    # the citizen's own message and the answer are in the live region, after the bot's AI disclosure
    await expect(log.get_by_text("Wie beantrage ich einen Personalausweis?")).to_be_visible()
    # the real bot's own AI disclosure (sent first, for every channel) is folded, not a third notice
    await expect(bot_texts(page).nth(1)).to_contain_text(DISCLOSURE)
    await expect(bot_texts(page).nth(1)).to_be_hidden()
    more = log.get_by_text("Mehr zum KI-Assistenten und zum Datenschutz")
    await more.click()
    await expect(bot_texts(page).nth(1)).to_be_visible()
    await expect(bot_texts(page).nth(2)).to_have_text(one_line(ausweis["answer"]))
    await expect(bot_texts(page)).to_have_count(3)
    # the plain-text footer of text-only channels is shown structured, not repeated in the text
    await expect(bot_texts(page).nth(2)).not_to_contain_text("Quelle:")
    for source in ausweis["sources"]:
        link = log.get_by_role("link", name=source["title"])
        await expect(link).to_have_attribute("href", link_href(source["url"]))
        await expect(link).to_have_attribute("target", "_blank")
    await expect(log.get_by_text(f"Zuständig: {office_name(ausweis['office'])}")).to_be_visible()
    assert requests.foreign() == []
    assert requests.errors == []


async def test_untrusted_html_and_urls_are_never_rendered(new_page, fake_rasa: FakeRasa) -> None:
    """Stand-in for Rasa: the real bot only says what the editors wrote, so it cannot be made to send
    markup or a ``javascript:`` URL on demand; the fake answers with both, as a compromised source would."""
    from tests.web.conftest import run_gateway

    async with run_gateway(rasa_url=fake_rasa.url) as gw:
        page, requests = await new_page()
        await open_widget(page, gw)
        await ask(page, "Wie beantrage ich einen Personalausweis?")
        log = page.get_by_role("log")
        await expect(log.get_by_text("Stand: 15.09.2026")).to_be_visible()
        # HTML in an answer is shown as text, never parsed
        await expect(log.get_by_text("<b>Bringen</b>", exact=False)).to_be_visible()
        await expect(log.get_by_text("<img src=x onerror=alert(1)>", exact=False)).to_be_visible()
        assert await page.locator("b").count() == 0
        assert await page.locator("img[src='x']").count() == 0
        source = log.get_by_role("link", name=UNTRUSTED_ANSWER["sources"][0]["title"])
        await expect(source).to_have_attribute("href", UNTRUSTED_ANSWER["sources"][0]["url"])
        await expect(source).to_have_attribute("target", "_blank")
        # a javascript: URL from the content never becomes a link
        await expect(log.get_by_text("Böser Link")).to_have_count(0)
        assert await log.locator("a[href^='javascript']").count() == 0
        await expect(log.get_by_text("Zuständig: Bürgerbüro")).to_be_visible()
        assert fake_rasa.received[-1]["message"] == "Wie beantrage ich einen Personalausweis?"
        assert requests.foreign() == []
        assert requests.errors == []


@real_bot
async def test_clarify_choices_are_buttons_that_send_the_payload(new_page, rasa_gateway: Gateway, rasa_stack) -> None:
    reisepass = topic("reisepass")
    page, requests = await new_page()
    await open_widget(page, rasa_gateway)
    await ask(page, AMBIGUOUS)
    choices = page.get_by_role("group", name="Meinten Sie …?")
    await expect(choices.get_by_role("button")).to_have_count(2)
    await expect(choices.get_by_role("button", name=topic("personalausweis")["title"])).to_be_visible()
    await choices.get_by_role("button", name=reisepass["title"]).press("Enter")
    await expect(page.get_by_role("log").get_by_text(stand(reisepass))).to_be_visible()
    # the editors' summary first (content `summary:`), "Mehr dazu" swaps in the whole answer
    answer = page.locator(".rh-msg--bot").last
    await expect(bot_texts(page).last).to_have_text(one_line(reisepass["summary"]))
    more = answer.get_by_role("button", name="Mehr dazu")
    await expect(more).to_have_attribute("aria-expanded", "false")
    await more.click()
    await expect(bot_texts(page).last).to_have_text(one_line(reisepass["answer"]))
    await expect(answer.get_by_role("button", name="Weniger anzeigen")).to_have_attribute("aria-expanded", "true")
    # the editors' action buttons (content `actions:`), a web page in a new window and a phone number
    actions = answer.get_by_role("group", name="Aktionen")
    (booking, call) = reisepass["actions"]
    await expect(actions.get_by_role("link")).to_have_count(2)
    web_link = actions.get_by_role("link", name=booking["label"])
    await expect(web_link).to_have_attribute("href", booking["url"])
    await expect(web_link).to_have_attribute("target", "_blank")
    phone = actions.get_by_role("link", name=call["label"], exact=True)
    await expect(phone).to_have_attribute("href", "tel:" + call["url"].removeprefix("tel:").replace(" ", ""))
    # Rasa got the button's payload, not its title
    session = await page.evaluate("sessionStorage.getItem('rathaus.chat.session')")
    assert await rasa_user_texts(rasa_stack, session) == [AMBIGUOUS, PAYLOAD_REISEPASS]
    # what the citizen sees as their message is the button title, not the payload
    user_bubbles = page.locator(".rh-msg--user .rh-text")
    await expect(user_bubbles.last).to_have_text(reisepass["title"])
    assert requests.errors == []


@real_bot
async def test_leichte_sprache_toggle_shows_easy_answer_or_says_there_is_none(new_page, rasa_gateway: Gateway) -> None:
    ausweis = topic("personalausweis")
    plain = topic_without_easy_language()
    page, _ = await new_page()
    await open_widget(page, rasa_gateway)
    await ask(page, "Personalausweis")
    log = page.get_by_role("log")
    answer = bot_texts(page).nth(2)  # nth(0) is the greeting, nth(1) the bot's AI disclosure
    await expect(answer).to_have_text(one_line(ausweis["answer"]))

    toggle = page.get_by_role("button", name="Leichte Sprache")
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    await expect(answer).to_have_text(one_line(ausweis["answer_easy"]))
    await expect(log.get_by_text("In Leichter Sprache:")).to_be_visible()

    # an answer without Leichte Sprache says so and keeps the standard text
    await ask(page, plain["questions"][0])
    await expect(log.get_by_text(stand(plain))).to_be_visible()
    await expect(bot_texts(page).last).to_have_text(one_line(plain["answer"]))
    await expect(log.get_by_text("Diese Antwort gibt es noch nicht in Leichter Sprache.")).to_be_visible()

    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    await expect(answer).to_have_text(one_line(ausweis["answer"]))
    await expect(log.locator(".rh-easy-note:visible")).to_have_count(0)


@real_bot
async def test_feedback_buttons_are_labelled_and_pressed_exclusively(new_page, rasa_gateway: Gateway) -> None:
    page, requests = await new_page()
    await open_widget(page, rasa_gateway)
    await ask(page, "Personalausweis")
    up = page.get_by_role("button", name="Ja, hilfreich")
    down = page.get_by_role("button", name="Nein, nicht hilfreich")
    await expect(up).to_have_attribute("aria-pressed", "false")
    await up.click()
    await expect(up).to_have_attribute("aria-pressed", "true")
    await expect(down).to_have_attribute("aria-pressed", "false")
    await down.click()
    await expect(up).to_have_attribute("aria-pressed", "false")
    await expect(down).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_text("Danke für Ihre Rückmeldung.")).to_be_visible()
    # the gateway accepted the feedback frames (an error frame would show up in the log)
    await expect(page.locator(".rh-msg--system")).to_have_count(0)
    assert requests.errors == []


@real_bot
async def test_keyboard_only(new_page, rasa_gateway: Gateway) -> None:
    ausweis = topic("personalausweis")
    page, _ = await new_page()
    await page.goto(rasa_gateway.url + "/")
    # Tab through the page until the launcher has focus
    for _ in range(40):
        await page.keyboard.press("Tab")
        if (await active_element(page))["text"] == LAUNCHER:
            break
    else:
        pytest.fail("the chat launcher cannot be reached with Tab")
    launcher = page.get_by_role("button", name=LAUNCHER)
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("dialog")).to_be_visible()
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    assert (await active_element(page))["id"] == "rh-input"

    await page.keyboard.type("Wie beantrage ich einen Personalausweis?")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("log").get_by_text(stand(ausweis))).to_be_visible()
    assert (await active_element(page))["id"] == "rh-input"

    # Shift+Tab back into the answer: feedback buttons, then the source links from the last one up
    await page.keyboard.press("Shift+Tab")
    assert (await active_element(page))["label"] == "Nein, nicht hilfreich"
    await page.keyboard.press("Shift+Tab")
    assert (await active_element(page))["label"] == "Ja, hilfreich"
    await page.keyboard.press("Space")
    await expect(page.get_by_role("button", name="Ja, hilfreich")).to_have_attribute("aria-pressed", "true")
    for source in reversed(ausweis["sources"]):
        await page.keyboard.press("Shift+Tab")
        focused = await active_element(page)
        assert focused["href"] == link_href(source["url"])
        # the focus is clearly visible (outline of at least 2 px)
        outline = await page.evaluate("""() => {
          let el = document.activeElement;
          while (el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
          return parseFloat(getComputedStyle(el).outlineWidth);
        }""")
        assert outline >= 2

    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    assert (await active_element(page))["text"] == LAUNCHER
    # Space opens it again, with the conversation still there
    await page.keyboard.press("Space")
    await expect(page.get_by_role("dialog")).to_be_visible()
    await expect(page.get_by_role("log").get_by_text(stand(ausweis))).to_be_visible()


@real_bot
async def test_reload_resumes_the_session(new_page, rasa_gateway: Gateway, rasa_stack) -> None:
    ausweis = topic("personalausweis")
    page, _ = await new_page()
    await open_widget(page, rasa_gateway)
    await ask(page, "Personalausweis")
    await expect(page.get_by_text(stand(ausweis))).to_be_visible()
    session = await page.evaluate("sessionStorage.getItem('rathaus.chat.session')")
    assert session

    await page.reload()
    # the panel was open, so it opens again, and the gateway replays the conversation
    await expect(page.get_by_role("dialog")).to_be_visible()
    await expect(page.get_by_role("log").get_by_text(stand(ausweis))).to_be_visible()
    await expect(page.locator(".rh-msg--user .rh-text")).to_have_text(["Personalausweis"])
    await expect(bot_texts(page).nth(1)).to_contain_text(DISCLOSURE)
    await expect(bot_texts(page).nth(2)).to_have_text(one_line(ausweis["answer"]))
    assert await page.evaluate("sessionStorage.getItem('rathaus.chat.session')") == session

    # the resumed conversation is the same one in Rasa: no second AI disclosure, one tracker
    await ask(page, AMBIGUOUS)
    await expect(page.get_by_role("group", name="Meinten Sie …?")).to_be_visible()
    await expect(page.get_by_role("log").get_by_text(DISCLOSURE, exact=False)).to_have_count(1)
    assert await rasa_user_texts(rasa_stack, session) == ["Personalausweis", AMBIGUOUS]


@real_bot
async def test_works_at_200_percent_zoom(new_page, rasa_gateway: Gateway) -> None:
    ausweis = topic("personalausweis")
    # 1280 x 800 at 200 % zoom is a 640 x 400 CSS pixel viewport
    page, _ = await new_page(viewport={"width": 640, "height": 400})
    await open_widget(page, rasa_gateway)
    dialog = page.get_by_role("dialog")
    box = await dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 640
    await ask(page, "Personalausweis")
    # a long answer is scrolled to its first line so it reads top-down; the rest scrolls into view
    title = page.get_by_role("log").locator(".rh-answer-title")
    await expect(title).to_have_text(ausweis["title"])
    await expect(title).to_be_in_viewport()
    reviewed = page.get_by_text(stand(ausweis))
    await reviewed.scroll_into_view_if_needed()
    await expect(reviewed).to_be_in_viewport()
    await expect(page.get_by_label("Ihre Frage")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 640
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("button", name=LAUNCHER)).to_be_visible()


async def test_reduced_motion_has_no_animation(new_page, gateway: Gateway) -> None:
    """Only opens the panel, never asks: needs no assistant."""
    page, _ = await new_page(reduced_motion="reduce")
    await open_widget(page, gateway)
    animation = await page.get_by_role("dialog").evaluate("el => getComputedStyle(el).animationName")
    assert animation == "none"

    page2, _ = await new_page(reduced_motion="no-preference")
    await open_widget(page2, gateway)
    animation = await page2.get_by_role("dialog").evaluate("el => getComputedStyle(el).animationName")
    assert animation != "none"


@real_bot
async def test_handoff_without_staff_says_so_at_once_with_phone(new_page, rasa_stack) -> None:
    """Nobody in the staff console: every way of asking gets the other ways to reach the city at once."""
    from tests.web.conftest import REAL_RASA_TIMEOUT_S, STAFF_TOKEN, run_gateway

    phone = "0800 123 456 0"
    async with run_gateway(
        rasa_url=rasa_stack.rasa_url, rasa_timeout_s=REAL_RASA_TIMEOUT_S, staff_token=STAFF_TOKEN, handoff_timeout_s=60
    ) as gw:
        page, requests = await new_page()
        await open_widget(page, gw)
        log = page.get_by_role("log")
        system = log.locator(".rh-msg--system")
        tool = human_tool(page)

        async def unavailable(count: int) -> None:
            await expect(system).to_have_count(count, timeout=15_000)
            await expect(system.last).to_contain_text("Im Moment ist leider niemand im Chat erreichbar")
            await expect(system.last).to_contain_text(phone)
            await expect(tool).to_have_attribute("aria-disabled", "false")
            await expect(tool).to_have_accessible_name("Mit einem Menschen sprechen")

        # 1. the citizen asks the bot for a person (its human_handoff intent)
        await ask(page, "Ich möchte mit einem Mitarbeiter sprechen")
        await unavailable(1)
        # 2. the button under the bot's AI disclosure sends the bot its /human_handoff payload
        await log.locator("details.rh-disclosure summary").first.click()
        await log.get_by_role("button", name="Mit einem Menschen sprechen").click()
        await unavailable(2)
        session = await page.evaluate("sessionStorage.getItem('rathaus.chat.session')")
        assert await rasa_user_texts(rasa_stack, session) == [
            "Ich möchte mit einem Mitarbeiter sprechen",
            "/human_handoff",
        ]
        # 3. the widget's own button asks the gateway directly
        await tool.click()
        await unavailable(3)
        assert requests.errors == []


@real_bot
async def test_embeds_on_another_origin_with_one_script_tag(new_page, rasa_stack) -> None:
    """A city page on its own origin embeds the widget from the gateway origin and chats through it."""
    from aiohttp import web

    from tests.fixtures.services import free_port
    from tests.web.conftest import REAL_RASA_TIMEOUT_S, run_gateway

    ausweis = topic("personalausweis")
    host_port = free_port()
    host_origin = f"http://localhost:{host_port}"
    async with run_gateway(
        rasa_url=rasa_stack.rasa_url, rasa_timeout_s=REAL_RASA_TIMEOUT_S, allowed_origins=(host_origin,)
    ) as gw:
        page_html = (
            '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Stadtseite</title>'
            f'<script src="{gw.url}/widget.js" defer></script></head>'
            "<body><main><h1>Rathaus</h1><p>Eine Seite der Stadt.</p></main></body></html>"
        )

        async def city_page(_request: web.Request) -> web.Response:
            return web.Response(text=page_html, content_type="text/html")

        app = web.Application()
        app.router.add_get("/", city_page)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", host_port).start()
        try:
            page, requests = await new_page()
            await page.goto(host_origin + "/")
            await page.get_by_role("button", name=LAUNCHER).click()
            await ask(page, "Personalausweis")
            await expect(page.get_by_role("log").get_by_text(stand(ausweis))).to_be_visible()
            await expect(bot_texts(page).last).to_have_text(one_line(ausweis["answer"]))
            # it used the WebSocket of the gateway origin, not the HTTP fallback
            assert f"{gw.url.replace('http', 'ws')}/ws/chat" in {u.split("?")[0] for u in requests.urls}
            assert all(u.startswith((gw.url, host_origin, "ws://127.0.0.1")) for u in requests.urls)
            assert requests.errors == []
        finally:
            await runner.cleanup()


@real_bot
async def test_falls_back_to_http_when_websockets_fail(new_page, rasa_gateway: Gateway, rasa_stack) -> None:
    ausweis = topic("personalausweis")
    page, requests = await new_page()

    async def broken_ws_config(route) -> None:  # a proxy that lets no WebSocket through
        await route.fulfill(
            json={
                "city": {"name": "Musterstadt", "phone": "0800 123 456 0"},
                "ws": {"chat": "/ws/gibt-es-nicht"},
            }
        )

    await page.route("**/api/config", broken_ws_config)
    await open_widget(page, rasa_gateway)
    await ask(page, "Personalausweis")
    await expect(page.get_by_role("log").get_by_text(stand(ausweis))).to_be_visible()
    await expect(bot_texts(page).nth(1)).to_contain_text(DISCLOSURE)
    assert f"{rasa_gateway.url}/api/chat" in requests.urls
    session = await page.evaluate("sessionStorage.getItem('rathaus.chat.session')")
    assert session
    assert await rasa_user_texts(rasa_stack, session) == ["Personalausweis"]
    # the next message goes over HTTP too, in the same session (the same conversation in Rasa)
    await ask(page, AMBIGUOUS)
    await expect(page.get_by_role("button", name=topic("reisepass")["title"])).to_be_visible()
    assert await rasa_user_texts(rasa_stack, session) == ["Personalausweis", AMBIGUOUS]
    await expect(page.get_by_role("log").get_by_text(DISCLOSURE, exact=False)).to_have_count(1)


async def test_errors_and_outages_are_shown_politely(new_page) -> None:
    """Rasa down is a closed port (nothing listens), not a fake."""
    from tests.web.conftest import run_gateway

    # Rasa is down (nothing listens): the citizen gets a German note with the phone number
    async with run_gateway(rasa_url=closed_rasa_url(), session_burst=1, session_rate_per_s=0.01) as gw:
        page, requests = await new_page()
        await open_widget(page, gw)
        await ask(page, "Personalausweis")
        note = page.get_by_role("log").locator(".rh-msg--system").last
        await expect(note).to_contain_text("0800 123 456 0")
        # a second message right away is over the rate limit: the error frame is shown in German
        await ask(page, "Noch eine Frage")
        await expect(page.get_by_role("log").locator(".rh-msg--system").last).to_contain_text(
            "Sie senden zu viele Nachrichten"
        )
        await expect(page.locator(".rh-typing")).to_be_hidden()
        assert requests.errors == []


@real_bot
async def test_question_in_english_gets_the_german_answer_with_a_note_in_english(
    new_page, rasa_gateway: Gateway
) -> None:
    page, requests = await new_page()
    await open_widget(page, rasa_gateway)
    await ask(page, "Where do I register my new address?")
    answer = page.locator(".rh-msg--bot").last
    await expect(answer.locator(".rh-answer-title")).to_have_text(topic("wohnsitz_anmelden")["title"])
    note = answer.locator(".rh-language-note")
    await expect(note).to_have_attribute("lang", "en")  # screen readers switch to English for this line
    await expect(note).to_contain_text("German")
    await expect(answer.locator(".rh-text")).to_have_text(one_line(topic("wohnsitz_anmelden")["summary"]))
    await answer.get_by_role("button", name="Mehr dazu").click()
    await expect(answer.locator(".rh-text")).to_have_text(one_line(topic("wohnsitz_anmelden")["answer"]))
    assert requests.errors == []
