"""Rasa down, slow, and back: polite answer within 5 s, automatic recovery (stand-in Rasa webhook)."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestServer

from tests.channels.helpers import gateway, next_frame, of_type, stand_in_rasa
from tests.fixtures.services import free_port

FAQ_REPLY = [
    {"recipient_id": "x", "text": "Den Reisepass beantragen Sie im Bürgerbüro."},
    {
        "recipient_id": "x",
        "custom": {
            "type": "faq_answer",
            "topic": "reisepass",
            "title": "Reisepass beantragen",
            "answer": "Den Reisepass beantragen Sie im Bürgerbüro.",
            "answer_easy": None,
            "sources": [{"title": "Reisepass", "url": "https://www.musterstadt.example/reisepass"}],
            "office": {"id": "buergerbuero", "name": "Bürgerbüro"},
            "fees": [],
            "documents": [],
            "last_reviewed": "2026-09-15",
            "confidence": 0.91,
        },
    },
]


async def ask(ws, text: str):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    await ws.send_json({"type": "chat.send", "text": text})
    reply = await next_frame(ws, of_type("chat.reply"), within=10)
    return reply, time.monotonic() - started


async def test_down_then_up_recovers_without_restart() -> None:
    port = free_port()
    async with gateway(rasa_url=f"http://127.0.0.1:{port}", rasa_retry_after_s=0.3, rasa_breaker_failures=1) as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.session"))
        reply, took = await ask(ws, "Reisepass?")
        assert reply["kind"] == "unavailable" and took < 5.0
        server = TestServer(stand_in_rasa(reply=FAQ_REPLY), port=port)
        await server.start_server()
        try:
            reply, _ = await ask(ws, "Reisepass?")  # breaker still open: answered at once
            assert reply["kind"] == "unavailable"
            await asyncio.sleep(0.4)
            reply, _ = await ask(ws, "Reisepass?")
            assert reply["kind"] == "answer" and reply["topic"] == "reisepass"
            assert reply["sources"][0]["url"] == "https://www.musterstadt.example/reisepass"
            ready = await (await client.get("/readyz")).json()
            assert ready["rasa"] and ready["status"] == "ok" and ready["rasa_breaker"] == "closed"
        finally:
            await server.close()
        await ws.close()


async def test_slow_rasa_gets_polite_reply_within_5_s() -> None:
    server = TestServer(stand_in_rasa(delay=30))
    await server.start_server()
    try:
        async with gateway(rasa_url=str(server.make_url("")).rstrip("/"), rasa_timeout_s=4.0) as client:
            response_started = time.monotonic()
            body = await (await client.post("/api/chat", json={"text": "Hallo"})).json()
            assert time.monotonic() - response_started < 5.0
            assert body["replies"][0]["kind"] == "unavailable"
            assert "0800 123 456 0" in body["replies"][0]["text"]
    finally:
        await server.close()


async def test_one_message_at_a_time_per_session() -> None:
    server = TestServer(stand_in_rasa(delay=0.2))
    await server.start_server()
    try:
        async with gateway(rasa_url=str(server.make_url("")).rstrip("/"), session_burst=10) as client:
            ws = await client.ws_connect("/ws/chat")
            await next_frame(ws, of_type("chat.session"))
            for i in range(3):
                await ws.send_json({"type": "chat.send", "text": f"Frage {i}"})
            texts = [(await next_frame(ws, of_type("chat.reply")))["text"] for _ in range(3)]
            assert texts == ["Echo: Frage 0", "Echo: Frage 1", "Echo: Frage 2"]
            await ws.close()
    finally:
        await server.close()
