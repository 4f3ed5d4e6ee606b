"""End to end with the real Rasa server and action server (trained once, cached): gateway -> Rasa."""

from __future__ import annotations

from typing import Any

import pytest

from tests.channels.helpers import gateway, next_frame, of_type

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
        assert status["status"] == "handoff_waiting"
        await ws.close()

        body = await (await client.post("/api/chat", json={"text": "Wo melde ich meinen Hund an?"})).json()
        assert any(r["kind"] in ("answer", "clarify") for r in body["replies"])
