"""Fixtures of the channel tests: the same broker tests run against the in-process and the Redis broker."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from channels.broker import Broker, MemoryBroker
from tests.fixtures.services import RedisServer


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.slow)])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    if request.param == "memory":
        instance: Broker = MemoryBroker(history_size=100)
    else:
        from channels.broker import RedisBroker

        server: RedisServer = request.getfixturevalue("redis_server")
        instance = RedisBroker(server.url, history_size=100, prefix=f"t{secrets.token_hex(4)}:")
    try:
        yield instance
    finally:
        await instance.aclose()
