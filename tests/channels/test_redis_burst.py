"""Bursts against a real redis-server: 300 viewers or 200 chat resumes at once, with a small connection
pool, all served (issue 12, defect 1: the default pool failed at about 100 concurrent commands)."""

from __future__ import annotations

import asyncio
import json
import secrets

import aiohttp
import pytest

from channels.broker import RedisBroker
from channels.gateway import BROKER, FANOUT
from channels.messages import ChatUser, SubtitleCue
from channels.topics import chat_topic
from tests.channels.helpers import gateway
from tests.fixtures.services import RedisServer

pytestmark = pytest.mark.slow

LIMITS = {"ip_burst": 10_000, "ip_rate_per_s": 10_000.0, "broker_pool_size": 4, "broker_pool_timeout_s": 20.0}


def cue(stream: str, seq: int) -> SubtitleCue:
    return SubtitleCue(stream=stream, seq=seq, start=seq * 2.0, end=seq * 2.0 + 1.5, lines=(f"Satz {seq}.",))


async def test_200_concurrent_history_reads_wait_for_a_free_connection(redis_server: RedisServer) -> None:
    broker = RedisBroker(redis_server.url, prefix=f"t{secrets.token_hex(4)}:", max_connections=5)
    try:
        await broker.publish("subtitles:rat", cue("rat", 0))
        results = await asyncio.gather(*(broker.history("subtitles:rat", count=10) for _ in range(200)))
        assert all(len(r) == 1 for r in results)
    finally:
        await broker.aclose()


async def read_cues(session: aiohttp.ClientSession, url: str, want: int) -> list[int]:
    seqs: list[int] = []
    async with session.ws_connect(url) as ws:
        while len(seqs) < want:
            msg = await ws.receive(timeout=60)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"viewer closed after {seqs}: {msg.type} {msg.data!r} {msg.extra!r}")
            frame = json.loads(msg.data)
            if frame["type"] == "subtitle.cue":
                seqs.append(frame["seq"])
    return seqs


async def test_300_viewers_join_one_stream_at_once_and_all_get_replay_and_live(redis_server: RedisServer) -> None:
    stream = f"rat{secrets.token_hex(3)}"
    asr = RedisBroker(redis_server.url)  # the gateway uses the default prefix too
    try:
        for seq in range(8):
            await asr.publish(f"subtitles:{stream}", cue(stream, seq))
        async with (
            gateway(broker_url=redis_server.url, **LIMITS) as client,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        ):
            url = str(client.make_url(f"/ws/subtitles/{stream}"))
            viewers = [asyncio.create_task(read_cues(session, url, 10)) for _ in range(300)]
            fanout = client.app[FANOUT]  # type: ignore[index]
            for _ in range(600):
                if fanout.viewer_count(stream) == 300:
                    break
                await asyncio.sleep(0.05)
            assert fanout.subscriptions() == 1  # one broker subscription for all 300
            for seq in (8, 9):
                await asr.publish(f"subtitles:{stream}", cue(stream, seq))
            results = await asyncio.wait_for(asyncio.gather(*viewers), 90)
        assert all(seqs == list(range(10)) for seqs in results), [s for s in results if s != list(range(10))][:3]
    finally:
        await asr.aclose()


async def test_200_chat_sessions_resume_at_once(redis_server: RedisServer) -> None:
    async with (
        gateway(broker_url=redis_server.url, **LIMITS) as client,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        broker = client.app[BROKER]  # type: ignore[index]
        sessions = [secrets.token_urlsafe(24) for _ in range(200)]
        for sid in sessions:
            await broker.publish(chat_topic(sid), ChatUser(id=secrets.token_hex(4), session=sid, text="Hallo"))

        async def resume(sid: str) -> bool:
            async with session.ws_connect(str(client.make_url(f"/ws/chat?session={sid}"))) as ws:
                frame = json.loads((await ws.receive(timeout=60)).data)
                return frame == {"type": "chat.session", "v": 1, "session": sid, "resumed": True}

        assert all(await asyncio.wait_for(asyncio.gather(*(resume(s) for s in sessions)), 90))
