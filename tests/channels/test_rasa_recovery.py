"""Rasa down, slow, and back: polite answer within 5 s, automatic recovery (stand-in Rasa webhook)."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
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
    """Rasa (like its own lock store) must never get two messages of one conversation at once: the
    gateway's per-session lock queues them. Concurrent HTTP requests of one session would overlap
    without it; the stand-in counts calls in flight per sender."""
    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        sender = body["sender"]
        in_flight[sender] = in_flight.get(sender, 0) + 1
        most[sender] = max(most.get(sender, 0), in_flight[sender])
        await asyncio.sleep(0.2)
        in_flight[sender] -= 1
        return web.json_response([{"recipient_id": sender, "text": f"Echo: {body['message']}"}])

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", webhook)
    rasa.router.add_get("/health", health)
    server = TestServer(rasa)
    await server.start_server()
    try:
        async with gateway(rasa_url=str(server.make_url("")).rstrip("/"), session_burst=10) as client:
            first = await (await client.post("/api/chat", json={"text": "Frage 0"})).json()
            session = first["session"]

            async def ask(i: int) -> str:
                response = await client.post("/api/chat", json={"text": f"Frage {i}", "session": session})
                return str((await response.json())["replies"][0]["text"])

            answers = await asyncio.gather(*(ask(i) for i in range(1, 4)))
            assert sorted(answers) == ["Echo: Frage 1", "Echo: Frage 2", "Echo: Frage 3"]
            assert most == {session: 1}

            ws = await client.ws_connect("/ws/chat")
            await next_frame(ws, of_type("chat.session"))
            for i in range(3):
                await ws.send_json({"type": "chat.send", "text": f"Frage {i}"})
            texts = [(await next_frame(ws, of_type("chat.reply")))["text"] for _ in range(3)]
            assert texts == ["Echo: Frage 0", "Echo: Frage 1", "Echo: Frage 2"]
            await ws.close()
    finally:
        await server.close()
