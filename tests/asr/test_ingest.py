"""The WebSocket ingest over real loopback sockets, with a scripted decoder instead of Whisper.

Every bad input from issue 3 gets a clear error or a clean stop while a second stream ("bystander") is
live on the same server, and the bystander's subtitles come out complete afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from asr.core.sink import CollectingSink
from asr.errors import AsrError
from asr.live.ingest import start_ingest
from asr.live.service import SubtitleService
from channels.broker import MemoryBroker
from channels.messages import SubtitleCue, SubtitleStream
from channels.subtitle_sink import BrokerSink
from tests.asr.fakes import CodedDecoder, coded_pcm, fake_factory, word_text

TOKEN = "s3cret-ingest-token-0123456789"


@dataclass(slots=True)
class Ingest:
    url: str
    http: str
    broker: MemoryBroker
    service: SubtitleService

    async def words(self, stream: str) -> list[str]:
        history = await self.broker.history(f"subtitles:{stream}", count=1000)
        return [
            w for e in history if isinstance(e.message, SubtitleCue) for line in e.message.lines for w in line.split()
        ]

    async def last_state(self, stream: str) -> SubtitleStream:
        history = await self.broker.history(f"subtitles:{stream}", count=1000)
        states = [e.message for e in history if isinstance(e.message, SubtitleStream)]
        return states[-1]


@pytest.fixture
async def ingest() -> AsyncIterator[Ingest]:
    broker = MemoryBroker()
    async with SubtitleService(sink=BrokerSink(broker), factory=fake_factory(CodedDecoder())) as service:
        server = await start_ingest(service, host="127.0.0.1", port=0, token=TOKEN, start_timeout_s=2.0,
                                    metrics_token=METRICS_TOKEN)
        port = server.sockets[0].getsockname()[1]
        try:
            yield Ingest(f"ws://127.0.0.1:{port}/ingest", f"http://127.0.0.1:{port}", broker, service)
        finally:
            server.close()
            await server.wait_closed()


METRICS_TOKEN = "scrape-secret-for-the-ingest-0123"


def start_frame(stream: str, **overrides: object) -> str:
    frame: dict[str, object] = {
        "type": "start",
        "stream": stream,
        "language": "de",
        "token": TOKEN,
        "sample_rate": 16000,
        "format": "pcm_s16le",
    }
    frame.update(overrides)
    return json.dumps(frame)


async def open_stream(url: str, stream: str) -> ClientConnection:
    ws = await connect(url)
    await ws.send(start_frame(stream))
    assert json.loads(await ws.recv()) == {"type": "ready", "v": 1, "stream": stream}
    return ws


async def finish(ws: ClientConnection) -> dict[str, object]:
    await ws.send(json.dumps({"type": "end"}))
    ended = json.loads(await ws.recv())
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    return ended


async def expect_error_and_close(ws: ClientConnection, code: str, close_code: int) -> dict[str, object]:
    error = json.loads(await ws.recv())
    assert error["type"] == "error" and error["code"] == code, error
    assert error["message"]
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == close_code
    return error


async def test_stream_over_websocket_produces_cues(ingest: Ingest) -> None:
    ws = await open_stream(ingest.url, "rat")
    for i in range(0, 20, 5):
        await ws.send(coded_pcm(1 + i, 5))
    ended = await finish(ws)
    assert ended["type"] == "ended" and ended["stream"] == "rat" and ended["cues"] >= 2
    assert ended["audio_s"] == pytest.approx(10.0)
    assert await ingest.words("rat") == [word_text(k) for k in range(1, 21)]
    assert (await ingest.last_state("rat")).state == "ended"


async def test_an_encoder_announces_the_origin_of_its_stream_time(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("rat", origin=1_800_000_000.5))
        assert json.loads(await ws.recv())["type"] == "ready"
        await ws.send(coded_pcm(1, 3))
        await finish(ws)
    history = await ingest.broker.history("subtitles:rat", count=1000)
    started = history[0].message
    assert isinstance(started, SubtitleStream) and started.origin == 1_800_000_000.5
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("rat2", origin=-1))
        await expect_error_and_close(ws, "invalid_start", 1008)


# --- bad inputs: each runs while a bystander stream is live --------------------------------------


async def bad_token(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("intruder", token="wrong"))
        await expect_error_and_close(ws, "unauthorized", 1008)
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("intruder", token=None))
        await expect_error_and_close(ws, "unauthorized", 1008)
    assert "intruder" not in ingest.service.streams


async def wrong_sample_rate(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("x", sample_rate=44100))
        error = await expect_error_and_close(ws, "unsupported_sample_rate", 1003)
        assert "16000" in str(error["message"])


async def wrong_format(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("x", format="f32le"))
        await expect_error_and_close(ws, "unsupported_format", 1003)


async def invalid_start(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await ws.send("this is not json")
        await expect_error_and_close(ws, "invalid_json", 1008)
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("bad stream id with spaces"))
        await expect_error_and_close(ws, "invalid_start", 1008)


async def audio_before_start(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await ws.send(coded_pcm(1, 2))
        await expect_error_and_close(ws, "no_start", 1008)


async def duplicate_stream(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("bystander"))
        await expect_error_and_close(ws, "duplicate_stream", 1008)


async def oversized_frame(ingest: Ingest) -> None:
    ws = await open_stream(ingest.url, "big")
    await ws.send(coded_pcm(300, 6))
    await ws.send(b"\x00" * (10 * 1024 * 1024))
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    await _wait_ended(ingest, "big")
    assert await ingest.words("big") == [word_text(k) for k in range(300, 306)]  # kept and flushed


async def disconnect_mid_stream(ingest: Ingest) -> None:
    ws = await open_stream(ingest.url, "gone")
    await ws.send(coded_pcm(400, 8))
    await asyncio.sleep(0.05)
    ws.transport.abort()  # no close frame: the encoder crashed or the network dropped
    await _wait_ended(ingest, "gone")
    assert await ingest.words("gone") == [word_text(k) for k in range(400, 408)]
    state = await ingest.last_state("gone")
    assert state.state == "ended" and state.detail and "unterbrochen" in state.detail


async def _wait_ended(ingest: Ingest, stream: str) -> None:
    async with ingest.broker.subscribe(f"subtitles:{stream}", replay=1000) as events:

        async def until_end() -> None:
            async for env in events:
                if isinstance(env.message, SubtitleStream) and env.message.state != "started":
                    return

        await asyncio.wait_for(until_end(), 10)


@pytest.mark.parametrize(
    "case",
    [
        bad_token,
        wrong_sample_rate,
        wrong_format,
        invalid_start,
        audio_before_start,
        duplicate_stream,
        oversized_frame,
        disconnect_mid_stream,
    ],
    ids=lambda f: f.__name__,
)
async def test_bad_input_leaves_other_streams_unaffected(
    ingest: Ingest, case: Callable[[Ingest], Awaitable[None]]
) -> None:
    bystander = await open_stream(ingest.url, "bystander")
    await bystander.send(coded_pcm(1, 6))
    await case(ingest)
    await bystander.send(coded_pcm(7, 6))
    ended = await finish(bystander)
    assert ended["state"] == "ended"
    assert await ingest.words("bystander") == [word_text(k) for k in range(1, 13)]
    # and the server still takes new streams
    fresh = await open_stream(ingest.url, "fresh")
    await fresh.send(coded_pcm(50, 2))
    await finish(fresh)
    assert await ingest.words("fresh") == [word_text(50), word_text(51)]


async def test_odd_length_frame_is_reported_and_trimmed(ingest: Ingest) -> None:
    ws = await open_stream(ingest.url, "odd")
    await ws.send(coded_pcm(1, 4) + b"\x01")
    error = json.loads(await ws.recv())
    assert error["type"] == "error" and error["code"] == "odd_frame"
    await ws.send(coded_pcm(5, 4))  # still aligned: the odd byte was dropped
    await finish(ws)
    assert await ingest.words("odd") == [word_text(k) for k in range(1, 9)]


async def test_unknown_control_message_is_not_fatal(ingest: Ingest) -> None:
    ws = await open_stream(ingest.url, "ctl")
    await ws.send(json.dumps({"type": "pause"}))
    assert json.loads(await ws.recv())["code"] == "unknown_type"
    await ws.send(start_frame("ctl"))
    assert json.loads(await ws.recv())["code"] == "already_started"
    await ws.send(coded_pcm(1, 2))
    await finish(ws)
    assert await ingest.words("ctl") == [word_text(1), word_text(2)]


async def test_close_without_end_message_still_flushes(ingest: Ingest) -> None:
    ws = await open_stream(ingest.url, "quiet")
    await ws.send(coded_pcm(1, 3))
    await ws.close()
    await _wait_ended(ingest, "quiet")
    assert await ingest.words("quiet") == [word_text(k) for k in range(1, 4)]


async def test_health_and_metrics_endpoints(ingest: Ingest) -> None:
    def get(path: str, token: str | None = None) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(ingest.http + path, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()

    status, body = await asyncio.to_thread(get, "/healthz")
    assert status == 200 and body.strip() == "ok"
    status, body = await asyncio.to_thread(get, "/metrics", METRICS_TOKEN)
    assert status == 200 and "rathaus_asr_active_streams" in body
    # Without the token (or with a wrong one) the stream names and counters stay private.
    for token in (None, "wrong-token"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            await asyncio.to_thread(get, "/metrics", token)
        assert refused.value.code == 401 and "RATHAUS_METRICS_TOKEN" in refused.value.read().decode()
    with pytest.raises(urllib.error.HTTPError) as missing:
        await asyncio.to_thread(get, "/nothing")
    assert missing.value.code == 404


async def test_start_timeout_closes_idle_connections(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await expect_error_and_close(ws, "start_timeout", 1008)


@pytest.mark.slow
async def test_real_model_german_speech_over_websocket(german_speech_wav) -> None:  # type: ignore[no-untyped-def]
    """A generated German clip through the real base model: cues arrive through the broker."""
    from asr.core.textnorm import normalize_words
    from asr.live.settings import AsrSettings
    from asr.live.sources import read_pcm

    broker = MemoryBroker()
    settings = AsrSettings(model="base", hotwords=False, cpu_threads=2, _env_file=None)  # type: ignore[call-arg]
    service = await asyncio.to_thread(SubtitleService.from_settings, settings, sink=BrokerSink(broker))
    pcm = read_pcm(german_speech_wav.path).astype("<i2").tobytes()
    received: list[object] = []

    async def viewer() -> None:
        async with broker.subscribe("subtitles:live") as events:
            async for env in events:
                received.append(env.message)
                if isinstance(env.message, SubtitleStream) and env.message.state == "ended":
                    return

    async with service:
        server = await start_ingest(service, host="127.0.0.1", port=0, token=TOKEN)
        port = server.sockets[0].getsockname()[1]
        watching = asyncio.create_task(viewer())
        await asyncio.sleep(0)
        try:
            ws = await open_stream(f"ws://127.0.0.1:{port}/ingest", "live")
            step = 3200  # 0.1 s frames, sent as fast as the service takes them
            for i in range(0, len(pcm), step):
                await ws.send(pcm[i : i + step])
            ended = await finish(ws)
            await asyncio.wait_for(watching, 60)
        finally:
            server.close()
            await server.wait_closed()
    cues = [m for m in received if isinstance(m, SubtitleCue)]
    assert ended["cues"] == len(cues) >= 2
    assert [c.seq for c in cues] == list(range(1, len(cues) + 1))
    assert all(len(c.lines) <= 2 and all(len(line) <= 37 for line in c.lines) for c in cues)
    heard = set(normalize_words(" ".join(" ".join(c.lines) for c in cues)))
    expected = set(normalize_words(german_speech_wav.text))
    assert len(heard & expected) >= 0.5 * len(expected), heard


async def test_feed_client_streams_a_file_and_ends_the_stream(ingest: Ingest, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import wave

    from asr.live.feed import feed_source

    path = tmp_path / "coded.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(coded_pcm(1, 10))
    ended = await feed_source(
        str(path),
        stream="fed",
        url=ingest.url,
        token=TOKEN,
        language="de",
        loop_forever=False,
        realtime=False,
        open_timeout=5.0,
    )
    assert ended is not None and ended.stream == "fed" and ended.audio_s == pytest.approx(5.0)
    assert await ingest.words("fed") == [word_text(k) for k in range(1, 11)]


# --- issue 12: guessing, hostile JSON, stream ids shared with the gateway ------------------------


async def test_token_guessing_is_throttled_and_logged(ingest: Ingest, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    for attempt in range(5):
        async with connect(ingest.url) as ws:
            await ws.send(start_frame("intruder", token=f"guess-{attempt}"))
            await expect_error_and_close(ws, "unauthorized", 1008)
    # from now on this address is refused before its token is compared, even the right one
    async with connect(ingest.url) as ws:
        await ws.send(start_frame("intruder"))
        error = await expect_error_and_close(ws, "too_many_attempts", 1008)
    assert "retry in" in str(error["message"])
    assert "intruder" not in ingest.service.streams
    messages = [r.getMessage() for r in caplog.records]
    assert sum("asr.live.ingest.rejected" in m and "code=unauthorized" in m for m in messages) == 5
    assert any("asr.live.ingest.auth_throttled" in m for m in messages)


async def test_short_ingest_token_is_refused_at_start_up() -> None:
    from pydantic import ValidationError

    from asr.live.ingest import IngestServer
    from asr.live.settings import AsrSettings

    async with SubtitleService(sink=CollectingSink(), factory=fake_factory(CodedDecoder())) as service:
        with pytest.raises(ValueError, match="RATHAUS_ASR_INGEST_TOKEN.*at least 24"):
            IngestServer(service, token="1")
    with pytest.raises(ValidationError, match="RATHAUS_ASR_INGEST_TOKEN"):
        AsrSettings(ingest_token="short")  # type: ignore[arg-type]


async def test_deeply_nested_start_message_is_refused(ingest: Ingest) -> None:
    async with connect(ingest.url) as ws:
        await ws.send("[" * 5000)
        await expect_error_and_close(ws, "invalid_json", 1008)
    ws = await open_stream(ingest.url, "rat")
    await ws.send("{" * 5000)  # a control message: not fatal
    assert json.loads(await ws.recv())["code"] == "invalid_json"
    await finish(ws)


async def test_stream_ids_mean_the_same_to_ingest_and_gateway(ingest: Ingest) -> None:
    from tests.channels.helpers import gateway

    ws = await open_stream(ingest.url, "rat.2026-09-15")  # dotted: accepted, and shown by the gateway
    await ws.send(coded_pcm(1, 4))
    await finish(ws)
    async with gateway(broker=ingest.broker) as client:
        transcript = await client.get("/live/rat.2026-09-15/transcript.txt")
        assert transcript.status == 200
        assert (await transcript.text()).split() == [word_text(k) for k in range(1, 5)]
        assert (await client.get("/live/-rat/transcript.txt")).status == 404
    async with connect(ingest.url) as refused:  # what the gateway would not show is not transcribed
        await refused.send(start_frame("-rat"))
        await expect_error_and_close(refused, "invalid_start", 1008)
    with pytest.raises(AsrError, match="not valid"):
        await ingest.service.open_stream("rat/1")
