"""A burst of questions against a Rasa that answers one at a time (stand-in with a fixed service time):
every question is answered, queued ones are told so, and slowness never opens the circuit breaker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.channels.helpers import gateway, next_frame, of_type, wait_until


@dataclass
class OneProcessRasa:
    """Like one Rasa process under load: requests are worked on one after another, ``service_s`` each."""

    service_s: float
    started: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def app(self) -> web.Application:
        async def webhook(request: web.Request) -> web.Response:
            body = await request.json()
            self.started += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                async with self.lock:
                    await asyncio.sleep(self.service_s)
            finally:
                self.in_flight -= 1
            return web.json_response([{"recipient_id": body["sender"], "text": f"Antwort auf {body['message']}"}])

        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        return app


async def test_burst_of_40_questions_is_queued_and_all_answered() -> None:
    rasa = OneProcessRasa(service_s=0.05)  # 40 questions: 2 s of Rasa work, twice the call timeout
    server = TestServer(rasa.app())
    await server.start_server()
    try:
        async with gateway(
            rasa_url=str(server.make_url("")).rstrip("/"),
            rasa_timeout_s=1.0,
            rasa_concurrency=2,
            ip_burst=1000,
            ip_rate_per_s=1000.0,
        ) as client:

            async def ask(i: int) -> dict[str, object]:
                response = await client.post("/api/chat", json={"text": f"Frage {i}"})
                assert response.status == 200
                body: dict[str, object] = await response.json()
                return body

            bodies = await asyncio.wait_for(asyncio.gather(*(ask(i) for i in range(40))), 30)
    finally:
        await server.close()
    kinds = [b["replies"][0]["kind"] for b in bodies]  # type: ignore[index]
    assert kinds.count("unavailable") == 0, kinds
    assert rasa.started == 40 and rasa.max_in_flight <= 2  # no question sent twice, none piled on Rasa


async def test_queued_citizen_is_told_and_then_answered() -> None:
    rasa = OneProcessRasa(service_s=0.3)
    server = TestServer(rasa.app())
    await server.start_server()
    try:
        async with gateway(rasa_url=str(server.make_url("")).rstrip("/"), rasa_concurrency=1) as client:
            sockets = [await client.ws_connect("/ws/chat") for _ in range(3)]
            for ws in sockets:
                await next_frame(ws, of_type("chat.session"))
            for i, ws in enumerate(sockets):
                await ws.send_json({"type": "chat.send", "text": f"Frage {i}"})
                await asyncio.sleep(0.05)  # arrive in this order
            last = sockets[-1]
            waiting = await next_frame(last, of_type("chat.waiting"))
            assert waiting["position"] == 2 and "Vor Ihrer Frage ist noch eine andere" in waiting["text"]
            reply = await next_frame(last, of_type("chat.reply"))
            assert reply["text"] == "Antwort auf Frage 2"
            for ws in sockets:
                await ws.close()
    finally:
        await server.close()


async def test_slow_answers_do_not_open_the_breaker() -> None:
    rasa = OneProcessRasa(service_s=0.6)
    server = TestServer(rasa.app())
    await server.start_server()
    try:
        async with gateway(
            rasa_url=str(server.make_url("")).rstrip("/"),
            rasa_timeout_s=0.3,
            rasa_retry_after_s=60.0,
            rasa_concurrency=4,
        ) as client:
            slow = await asyncio.gather(*(client.post("/api/chat", json={"text": "Hallo"}) for _ in range(3)))
            assert [(await r.json())["replies"][0]["kind"] for r in slow] == ["unavailable"] * 3  # timed out
            rasa.service_s = 0.0
            await wait_until(lambda: rasa.in_flight == 0)  # Rasa finishes the timed-out ones
            started = rasa.started
            body = await (await client.post("/api/chat", json={"text": "Noch einmal"})).json()
            assert body["replies"][0]["text"] == "Antwort auf Noch einmal"
            assert rasa.started == started + 1  # it went to Rasa: the breaker stayed closed
            ready = await (await client.get("/readyz")).json()
            assert ready["rasa_breaker"] == "closed"
    finally:
        await server.close()


async def test_connection_failures_open_the_breaker_after_several() -> None:
    async with gateway(rasa_breaker_failures=2, rasa_retry_after_s=60.0) as client:  # nothing listens
        states = []
        for _ in range(3):
            await client.post("/api/chat", json={"text": "Hallo"})
            states.append((await (await client.get("/readyz")).json())["rasa_breaker"])
        assert states == ["closed", "open", "open"]
