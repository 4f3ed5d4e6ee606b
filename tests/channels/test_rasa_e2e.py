"""End to end with the real Rasa server and action server (trained once, cached): gateway -> Rasa."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.channels.helpers import gateway, next_frame, of_type
from tests.fixtures.rasa import rasa_user_texts

pytestmark = pytest.mark.slow


async def test_real_assistant_answers_with_sources_through_the_gateway(rasa_stack: Any) -> None:
    async with gateway(rasa_url=rasa_stack.rasa_url, rasa_timeout_s=10.0) as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.session"))
        await ws.send_json({"type": "chat.send", "text": "Wie beantrage ich einen neuen Personalausweis?"})
        answer = await next_frame(ws, lambda f: f["type"] == "chat.reply" and f["kind"] == "answer", within=30)
        assert answer["sender"] == "bot" and answer["topic"] == "personalausweis"
        assert answer["sources"] and answer["sources"][0]["url"].startswith("https://")
        assert answer["last_reviewed"] and answer["text"]

        await ws.send_json({"type": "chat.send", "text": "Bist du ein Mensch?"})
        challenge = await next_frame(
            ws,
            lambda f: f["type"] == "chat.reply" and f["kind"] in ("bot_challenge", "disclosure"),
            within=30,
        )
        assert challenge["text"]

        await ws.send_json({"type": "chat.send", "text": "Ich möchte mit einem Mitarbeiter sprechen"})
        status = await next_frame(ws, of_type("chat.status"), within=30)
        # No staff console is open: the citizen learns at once that nobody is in the chat (docs/web.md).
        assert status["status"] == "handoff_unavailable"
        await ws.close()

        body = await (await client.post("/api/chat", json={"text": "Wo melde ich meinen Hund an?"})).json()
        assert any(r["kind"] in ("answer", "clarify") for r in body["replies"])


# Made-up words that occur nowhere else: if one shows up in a log, a citizen's text was logged.
MARKERS = ("zebrafink", "quallenmeer", "kranichweg", "wombatkuchen", "dachsgeige", "otterharfe")
PERSONAL = ("anna.zebrafink@example.org", "0171 9876543", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000")
CITIZEN_SENDS: tuple[dict[str, str], ...] = (
    {"text": "Meine E-Mail ist anna.zebrafink@example.org, bitte schreiben Sie mir"},
    {"text": "Rufen Sie mich an: 0171 9876543"},
    {"text": "Meine IBAN ist DE89 3704 0044 0532 0130 00 und DE89370400440532013000"},
    {"text": '/choose_topic{"topic":"kranichweg"}'},
    {"text": "/greet{broken wombatkuchen"},
    {"text": "Weiter", "payload": '/choose_topic{"topic":"dachsgeige"}'},  # never offered
    {"text": "  //restart otterharfe"},
    {"text": '/human_handoff{"email": "otto.quallenmeer@example.org"}'},  # last: a hand-off silences the bot
)


async def test_nothing_a_citizen_typed_appears_in_any_service_log(
    rasa_stack: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """E-mail addresses, phone numbers, IBANs and intent syntax sent through the gateway to the real Rasa:
    afterwards no log of the gateway, the Rasa server or the action server holds any of it."""
    caplog.set_level(logging.DEBUG)
    async with gateway(
        rasa_url=rasa_stack.rasa_url,
        rasa_timeout_s=10.0,
        session_burst=20,
        rasa_token=rasa_stack.auth_token,
        action_url=f"{rasa_stack.action_url}/webhook",
    ) as client:
        ws = await client.ws_connect("/ws/chat")
        session = (await next_frame(ws, of_type("chat.session")))["session"]
        kinds = []
        for send in CITIZEN_SENDS:
            await ws.send_json({"type": "chat.send", "v": 1, **send})
            kinds.append((await next_frame(ws, of_type("chat.reply"), within=30))["kind"])
        await ws.close()
        assert "unavailable" not in kinds
        ready = await (await client.get("/readyz")).json()
        assert ready["status"] == "ok" and ready["rasa"] and ready["actions"]
    # Rasa got text, never intent syntax: no message it received starts with "/"
    received = await rasa_user_texts(rasa_stack, session)
    assert len(received) >= 6 and not any(t.startswith("/") for t in received), received
    logs = {"gateway": caplog.text} | {p.name: p.read_text(errors="replace") for p in rasa_stack.log_dir.glob("*.log")}
    assert {"gateway", "rasa.log", "actions.log"} <= logs.keys()
    for name, text in logs.items():
        for secret in MARKERS + PERSONAL:
            assert secret.lower() not in text.lower(), f"{secret!r} in the {name} log"


def test_rasa_redacts_its_own_warnings(rasa_stack: Any) -> None:
    """Defence in depth: even text sent to Rasa directly (not through the gateway) is redacted in Rasa's log,
    including Rasa's "Failed to parse arguments in line '...'" warning."""
    body = json.dumps({"sender": "redaction-check", "message": "/greet{kaputt anna.zebrafink@example.org"}).encode()
    request = urllib.request.Request(rasa_stack.webhook_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        assert response.status == 200
    log = (rasa_stack.log_dir / "rasa.log").read_text(errors="replace")
    assert "Failed to parse arguments" in log and "[email]" in log
    assert "anna.zebrafink@example.org" not in log


def test_rasa_http_api_needs_the_token(rasa_stack: Any) -> None:
    url = f"{rasa_stack.rasa_url}/conversations/redaction-check/tracker"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)  # noqa: S310 - loopback
    assert refused.value.code == 401
    with urllib.request.urlopen(f"{url}?token={rasa_stack.auth_token}", timeout=10) as response:  # noqa: S310
        assert response.status == 200


async def test_a_follow_up_through_the_gateway_answers_the_aspect_of_the_topic(rasa_stack: Any) -> None:
    """The gateway's session is one Rasa conversation: "Und was kostet das?" gets the fee of the topic
    asked before, marked with its aspect, and the "Alles zu" button brings the whole answer."""
    async with gateway(rasa_url=rasa_stack.rasa_url, rasa_timeout_s=10.0) as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.session"))

        def answer(frame: dict[str, Any]) -> bool:
            return bool(frame["type"] == "chat.reply" and frame["kind"] == "answer")

        await ws.send_json({"type": "chat.send", "text": "Ich brauche einen neuen Personalausweis"})
        first = await next_frame(ws, answer, within=30)
        assert first["topic"] == "personalausweis" and first["aspect"] is None
        await ws.send_json({"type": "chat.send", "text": "Und was kostet das?"})
        fee = await next_frame(ws, answer, within=30)
        assert (fee["topic"], fee["aspect"]) == ("personalausweis", "fees")
        assert "46,00 Euro" in fee["text"] and "biometrische" not in fee["text"]
        button = fee["buttons"][0]
        assert button["title"] == "Alles zu Personalausweis beantragen"
        await ws.send_json({"type": "chat.send", "text": button["title"], "payload": button["payload"]})
        whole = await next_frame(ws, answer, within=30)
        assert whole["aspect"] is None and "biometrische" in whole["text"]
        await ws.close()
