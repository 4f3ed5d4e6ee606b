"""Browser test fixtures: the real gateway in-process, Debian's chromium through Playwright, the real Rasa.

The gateway is ``channels.gateway.create_app(settings, broker=...)`` served by an ``aiohttp`` AppRunner on a
free loopback port, in the test's own event loop (Playwright's async API shares it). Every test that chats
takes ``rasa_gateway``: the gateway in front of the real Rasa server and action server (session fixture
``rasa_stack``, trained once and cached); expected texts come from content/musterstadt. Pages that never
ask the assistant take ``gateway`` (Rasa address: a closed port). :class:`FakeRasa` remains only for an
answer the real bot cannot give on demand (untrusted HTML and a ``javascript:`` URL).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from channels.broker import Broker, broker_from_url
from channels.gateway import create_app
from channels.settings import GatewaySettings, load_settings
from tests.fixtures.rasa import rasa_user_texts
from tests.fixtures.services import free_port

__all__ = [
    "CHROMIUM_ARGS",
    "STAFF_TOKEN",
    "UNTRUSTED_ANSWER",
    "FakeRasa",
    "Gateway",
    "RequestLog",
    "active_element",
    "axe_serious",
    "closed_rasa_url",
    "link_href",
    "office_name",
    "one_line",
    "rasa_user_texts",
    "run_gateway",
    "stand",
    "topic",
    "topic_without_easy_language",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STAFF_TOKEN = "test-staff-token-0123456789"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
# The real assistant shares 2 CPU cores with everything else: allow it time to answer (the gateway's
# own Rasa timeout, and how long an expectation waits for an answer to appear; no fixed sleeps).
REAL_RASA_TIMEOUT_S = 15.0
expect.set_options(timeout=20_000)


# ---------------------------------------------------------------------------------------------- gateway
@dataclass(slots=True)
class Gateway:
    """A running gateway: its base URL, the broker it publishes through, its settings."""

    url: str
    broker: Broker
    settings: GatewaySettings


@asynccontextmanager
async def run_gateway(**overrides: Any) -> AsyncIterator[Gateway]:
    port = free_port()
    settings = load_settings(host="127.0.0.1", port=port, **overrides)
    broker = broker_from_url(None)
    app = create_app(settings, broker=broker)
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield Gateway(url=f"http://127.0.0.1:{port}", broker=broker, settings=settings)
    finally:
        await runner.cleanup()
        await broker.aclose()


# ---------------------------------------------------------------------------------------------- content
TOPICS = Path(__file__).resolve().parents[2] / "content" / "musterstadt"


def topic(topic_id: str) -> dict[str, Any]:
    """A topic as the editors wrote it (content/musterstadt/topics/<id>.yml): what the real bot answers."""
    data: dict[str, Any] = yaml.safe_load((TOPICS / "topics" / f"{topic_id}.yml").read_text(encoding="utf-8"))
    return data


def office_name(office_id: str) -> str:
    offices = yaml.safe_load((TOPICS / "offices.yml").read_text(encoding="utf-8"))["offices"]
    return str(next(o["name"] for o in offices if o["id"] == office_id))


def stand(data: dict[str, Any]) -> str:
    """The "Stand: DD.MM.YYYY" line the widget shows for a topic's ``last_reviewed``."""
    year, month, day = str(data["last_reviewed"]).split("-")
    return f"Stand: {day}.{month}.{year}"


def one_line(text: str) -> str:
    """A folded YAML text as the widget shows it (whitespace collapsed)."""
    return " ".join(str(text).split())


def link_href(url: str) -> str:
    """A source URL as the widget puts it into ``href`` (normalised by the browser's URL parser)."""
    parts = urlsplit(url)
    return parts._replace(path=parts.path or "/").geturl()


def topic_without_easy_language() -> dict[str, Any]:
    """The first topic (by id) that has no Leichte Sprache text; the test needs one to exist."""
    for path in sorted((TOPICS / "topics").glob("*.yml")):
        data = topic(path.stem)
        if not data.get("answer_easy"):
            return data
    pytest.fail("every topic has answer_easy now: the widget's 'no Leichte Sprache' note needs another case")


# ---------------------------------------------------------------------------------------------- real Rasa
def closed_rasa_url() -> str:
    """An address where nothing listens: Rasa is down."""
    return f"http://127.0.0.1:{free_port()}"


# ---------------------------------------------------------------------------------------------- fake Rasa
UNTRUSTED_ANSWER: dict[str, Any] = {
    "type": "faq_answer",
    "topic": "personalausweis",
    "title": "Personalausweis beantragen",
    "answer": "Einen Personalausweis beantragen Sie persönlich im Bürgerbüro. <b>Bringen</b> Sie ein "
    "biometrisches Passfoto mit.<img src=x onerror=alert(1)>",
    "answer_easy": None,
    "sources": [
        {
            "title": "Personalausweis – Bürgerbüro Musterstadt",
            "url": "https://www.musterstadt.example/buergerbuero/personalausweis",
        },
        {"title": "Böser Link", "url": "javascript:alert(1)"},
    ],
    "office": {"id": "buergerbuero", "name": "Bürgerbüro", "phone": "0800 123 456 1"},
    "fees": [],
    "documents": [],
    "last_reviewed": "2026-09-15",
    "confidence": 0.93,
}


@dataclass(slots=True)
class FakeRasa:
    """Rasa's REST webhook answering every message with :data:`UNTRUSTED_ANSWER`.

    Only for the case the real assistant cannot produce on demand: an answer carrying HTML and a
    ``javascript:`` URL (as if the content or the bot were compromised), to prove the widget never
    renders untrusted markup. Everything else runs against the real Rasa (``rasa_stack``).
    """

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        sender = body.get("sender", "")
        return web.json_response(
            [
                {"recipient_id": sender, "text": UNTRUSTED_ANSWER["answer"]},
                {"recipient_id": sender, "custom": UNTRUSTED_ANSWER},
            ]
        )


@asynccontextmanager
async def run_fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------------------------------------- browser
@dataclass(slots=True)
class RequestLog:
    """Every URL a page asked for (HTTP requests and WebSockets) and every uncaught script error."""

    urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def foreign(self) -> list[str]:
        """URLs that went anywhere but this machine (data:/blob: URLs never leave the browser)."""
        bad = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in {"data", "blob", "about"}:
                continue
            if parts.hostname not in LOCAL_HOSTS:
                bad.append(url)
        return bad


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            await instance.close()


@pytest.fixture
async def new_page(browser: Browser) -> AsyncIterator[Callable[..., Awaitable[tuple[Page, RequestLog]]]]:
    """Factory: a page in a fresh context (own sessionStorage), with its requests recorded."""
    contexts: list[BrowserContext] = []

    async def make(**context_options: Any) -> tuple[Page, RequestLog]:
        context = await browser.new_context(locale="de-DE", **context_options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = await context.new_page()
        log = RequestLog()
        log.attach(page)
        return page, log

    yield make
    for context in contexts:
        await context.close()


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    async with run_fake_rasa() as fake:
        yield fake


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    """The gateway for pages that never ask the assistant (live viewer, staff login, widget styling):
    its Rasa address is a closed port, so a test that chatted by mistake would see "nicht erreichbar"."""
    async with run_gateway(rasa_url=closed_rasa_url(), staff_token=STAFF_TOKEN, handoff_timeout_s=60) as gw:
        yield gw


@pytest.fixture
async def rasa_gateway(rasa_stack: Any) -> AsyncIterator[Gateway]:
    """The gateway in front of the real assistant (Rasa server + action server, trained once per session)."""
    async with run_gateway(
        rasa_url=rasa_stack.rasa_url, rasa_timeout_s=REAL_RASA_TIMEOUT_S, staff_token=STAFF_TOKEN, handoff_timeout_s=60
    ) as gw:
        yield gw


# ---------------------------------------------------------------------------------------------- helpers
ACTIVE_JS = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return null;
  return {tag: el.tagName.toLowerCase(), cls: el.className || "", text: (el.textContent || "").trim(),
          label: el.getAttribute("aria-label") || "", href: el.getAttribute("href") || "",
          id: el.id || ""};
}"""


async def active_element(page: Page) -> dict[str, str]:
    """The focused element, looking through the widget's shadow root."""
    result: dict[str, str] = await page.evaluate(ACTIVE_JS)
    return result


async def axe_serious(page: Page) -> list[str]:
    """Run axe-core (shipped by axe-playwright-python) and list serious and critical violations."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in {"serious", "critical"}:
            targets = [json.dumps(node.get("target")) for node in violation.get("nodes", [])][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {', '.join(targets)}")
    return found
