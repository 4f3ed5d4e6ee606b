"""Helpers for gateway tests: an app under aiohttp's TestClient, and reading frames until one matches."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientWebSocketResponse, WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from channels.broker import Broker
from channels.gateway import SERVICE, create_app
from channels.settings import GatewaySettings, load_settings
from tests.fixtures.services import free_port

Frame = dict[str, Any]


STAFF_TOKEN = "staff-secret-for-tests-0123456789"


def settings(**overrides: Any) -> GatewaySettings:
    base: dict[str, Any] = {
        "rasa_url": f"http://127.0.0.1:{free_port()}",
        "staff_token": STAFF_TOKEN,
        "rasa_timeout_s": 1.0,
        "rasa_retry_after_s": 0.2,
    }
    merged = base | overrides
    # The stand-in Rasa below also answers for the action server, on the same address.
    merged.setdefault("action_url", f"{merged['rasa_url']}/webhook")
    return load_settings(**merged)


@asynccontextmanager
async def gateway(broker: Broker | None = None, **overrides: Any) -> AsyncIterator[TestClient]:
    app = create_app(settings(**overrides), broker=broker)
    async with TestClient(TestServer(app)) as client:
        await asyncio.wait_for(app[SERVICE].handoff_ready.wait(), 10)
        yield client


async def next_frame(
    ws: ClientWebSocketResponse, match: Callable[[Frame], bool] = lambda f: True, within: float = 5.0
) -> Frame:
    """The next text frame that ``match``es (others are skipped)."""

    async def run() -> Frame:
        while True:
            msg = await ws.receive()
            if msg.type is not WSMsgType.TEXT:
                raise AssertionError(f"socket ended: {msg.type} {msg.data!r} {msg.extra!r}")
            frame: Frame = json.loads(msg.data)
            if match(frame):
                return frame

    return await asyncio.wait_for(run(), within)


async def wait_until(condition: Callable[[], bool], *, within: float = 10.0) -> None:
    """Poll a gateway-internal count that has no event of its own (viewer registry), up to ``within``."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():  # noqa: ASYNC110 - nothing to await for these counters
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.02)


def of_type(kind: str, **fields: Any) -> Callable[[Frame], bool]:
    return lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items())


def stand_in_rasa(
    *, delay: float = 0.0, reply: list[Frame] | None = None, received: list[str] | None = None, actions: bool = True
) -> web.Application:
    """A tiny stand-in for Rasa's REST webhook (recovery and input tests) and, with ``actions``, the action
    server's ``/health``; every message Rasa would get is appended to ``received``."""

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        if received is not None:
            received.append(body["message"])
        await asyncio.sleep(delay)
        echo = [{"recipient_id": body["sender"], "text": f"Echo: {body['message']}"}]
        return web.json_response(reply if reply is not None else echo)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    if actions:
        app.router.add_get("/health", health)
    return app
