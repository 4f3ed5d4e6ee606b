"""Benchmarks of the gateway (they print numbers; they are not tests).

* viewers: one gateway process with an in-process broker, N WebSocket viewers held by separate client
  processes over loopback; cues are published at a fixed interval and every viewer records when each cue
  arrived. Added delay = arrival - publish (CLOCK_MONOTONIC is system-wide on Linux, so the processes
  share it). Gateway CPU = CPU seconds of the gateway process / wall seconds of the publish phase.
  With ``video_kib``, every viewer also plays the livestream from the gateway's ``/hls/`` as the video
  page does: the playlist and one segment of that size every ``segment_s`` (what a city should serve from
  its web server or CDN instead; this measures why).
* chat: ``POST /api/chat`` through a gateway subprocess vs. Rasa's REST webhook directly, at several
  concurrency levels; without ``--rasa-url`` a stand-in Rasa answers after a fixed delay, which isolates
  the gateway's own overhead.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from common.net import free_port

__all__ = ["percentile", "raise_fd_limit", "run_chat_bench", "run_viewer_bench", "wait_port"]

_QUESTION = "Wie beantrage ich einen neuen Personalausweis?"


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------------- viewers
def _viewer_client(port: int, count: int, cues: int, ready: Any, results: Any, segment_s: float | None) -> None:
    raise_fd_limit()
    video = {"requests": 0, "bytes": 0, "failed": 0}

    async def play(session: aiohttp.ClientSession, done: asyncio.Event, first: float) -> None:
        """The player's HLS requests: the playlist, then the segment it names, every segment_s."""
        assert segment_s is not None
        await asyncio.sleep(first)
        while not done.is_set():
            try:
                for path in ("/hls/bench/index.m3u8", "/hls/bench/seg.ts"):
                    async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                        body = await response.read()
                        video["requests"] += 1
                        video["bytes"] += len(body)
                        video["failed"] += response.status != 200
            except aiohttp.ClientError:
                video["failed"] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), segment_s)

    async def main() -> list[tuple[int, float]]:
        arrivals: list[tuple[int, float]] = []
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        sockets = []
        for i in range(count):
            sockets.append(await session.ws_connect(f"http://127.0.0.1:{port}/ws/subtitles/bench", heartbeat=None))
            if i % 200 == 199:
                await asyncio.sleep(0)
        ready.put(count)

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            got = 0
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
                now = time.monotonic()
                text = msg.data
                if text.startswith('{"type":"subtitle.cue"'):  # cheap: keep the client side light
                    at = text.index('"seq":') + 6
                    arrivals.append((int(text[at : text.index(",", at)]), now))
                    got += 1
                    if got >= cues:
                        break

        done = asyncio.Event()
        players = [asyncio.create_task(play(session, done, i * (segment_s or 0) / max(count, 1)))
                   for i in range(count)] if segment_s else []
        await asyncio.wait_for(asyncio.gather(*(read(ws) for ws in sockets)), timeout=cues * 5 + 60)
        done.set()
        await asyncio.gather(*players)
        for ws in sockets:
            await ws.close()
        await session.close()
        return arrivals

    try:
        results.put((asyncio.run(main()), video))
    except Exception as exc:  # report instead of hanging the parent
        results.put(repr(exc))


def run_viewer_bench(
    *, viewers: int, cues: int, interval: float, client_procs: int, video_kib: int = 0, segment_s: float = 2.0
) -> dict[str, Any]:
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="rathaus-bench-hls-") as folder:
        hls = None
        if video_kib:  # a live playlist and one segment of the size a 2 s segment of the stream has
            hls = Path(folder)
            (hls / "bench").mkdir()
            (hls / "bench" / "index.m3u8").write_text(
                f"#EXTM3U\n#EXT-X-TARGETDURATION:{segment_s:g}\n#EXT-X-MEDIA-SEQUENCE:1\n"
                f"#EXTINF:{segment_s:g},\nseg.ts\n", encoding="utf-8")
            (hls / "bench" / "seg.ts").write_bytes(os.urandom(video_kib * 1024))
        return asyncio.run(_viewer_bench(viewers=viewers, cues=cues, interval=interval, client_procs=client_procs,
                                         hls=hls, segment_s=segment_s))


async def _viewer_bench(
    *, viewers: int, cues: int, interval: float, client_procs: int, hls: Path | None, segment_s: float
) -> dict[str, Any]:
    from channels.broker import MemoryBroker
    from channels.gateway import FANOUT, create_app
    from channels.messages import SubtitleCue
    from channels.settings import load_settings

    port = free_port()
    broker = MemoryBroker()
    settings = load_settings(port=port, ip_rate_per_s=1e6, ip_burst=10**6, viewer_queue=1024, hls_dir=hls)
    app = create_app(settings, broker=broker)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=4096)
    await site.start()
    ctx = mp.get_context("spawn")
    ready, results = ctx.Queue(), ctx.Queue()
    per_proc = [viewers // client_procs + (1 if i < viewers % client_procs else 0) for i in range(client_procs)]
    period = segment_s if hls is not None else None
    procs = [ctx.Process(target=_viewer_client, args=(port, n, cues, ready, results, period)) for n in per_proc if n]
    for p in procs:
        p.start()
    loop = asyncio.get_running_loop()
    try:
        connected = 0
        for _ in procs:
            connected += await loop.run_in_executor(None, ready.get, True, 300)
        while app[FANOUT].viewer_count("bench") < viewers:  # noqa: ASYNC110 - no event for this count
            await asyncio.sleep(0.05)
        published: dict[int, float] = {}
        ids: dict[str, int] = {}
        sent: list[tuple[str, float]] = []
        app[FANOUT].on_sent = lambda msg_id: sent.append((msg_id, time.monotonic()))
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        wall0 = time.monotonic()
        for seq in range(cues):
            published[seq] = time.monotonic()
            msg_id = await broker.publish(
                "subtitles:bench",
                SubtitleCue(
                    stream="bench",
                    seq=seq,
                    start=seq * 2.0,
                    end=seq * 2.0 + 1.8,
                    lines=("Der Haushalt für das Jahr", f"wird beschlossen ({seq})."),
                ),
            )
            ids[msg_id] = seq
            await asyncio.sleep(interval)
        collected: list[tuple[int, float]] = []
        errors = []
        video = {"requests": 0, "bytes": 0, "failed": 0}
        for _ in procs:
            item = await loop.run_in_executor(None, results.get, True, cues * 5 + 120)
            if isinstance(item, str):
                errors.append(item)
            else:
                collected.extend(item[0])
                video = {k: video[k] + item[1][k] for k in video}
        wall = time.monotonic() - wall0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
        await runner.cleanup()
        await broker.aclose()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    delays_ms = [(t - published[seq]) * 1000 for seq, t in collected if seq in published]
    server_ms = [(t - published[ids[i]]) * 1000 for i, t in sent if i in ids]
    return {
        "viewers": viewers,
        "cues": cues,
        "interval_s": interval,
        "delivered": len(delays_ms),
        "expected": viewers * cues,
        "delay_ms_p50": round(percentile(delays_ms, 0.50), 2),
        "delay_ms_p99": round(percentile(delays_ms, 0.99), 2),
        "delay_ms_max": round(max(delays_ms), 2) if delays_ms else None,
        "server_send_ms_p50": round(percentile(server_ms, 0.50), 2),
        "server_send_ms_p99": round(percentile(server_ms, 0.99), 2),
        "gateway_cpu_s": round(cpu, 2),
        "gateway_cpu_ms_per_cue": round(1000 * cpu / max(cues, 1), 2),
        "gateway_cpu_us_per_frame": round(1e6 * cpu / max(len(server_ms), 1), 1),
        "gateway_cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "wall_s": round(wall, 2),
        "video": None if hls is None else {
            "segment_kib": (hls / "bench" / "seg.ts").stat().st_size // 1024,
            "segment_s": segment_s,
            "hls_requests": video["requests"],
            "hls_failed": video["failed"],
            "hls_mib_per_s": round(video["bytes"] / 2**20 / wall, 1),
        },
        "errors": errors,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


# ---------------------------------------------------------------------- chat
def _fake_rasa(port: int, delay: float) -> None:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(delay)
        sender = body.get("sender")
        return web.json_response(
            [
                {"recipient_id": sender, "text": "Einen Personalausweis beantragen Sie im Bürgerbüro."},
                {
                    "recipient_id": sender,
                    "custom": {
                        "type": "faq_answer",
                        "topic": "personalausweis",
                        "title": "Personalausweis beantragen",
                        "answer": "Einen Personalausweis beantragen Sie im Bürgerbüro.",
                        "confidence": 0.95,
                        "sources": [{"title": "Bürgerbüro", "url": "https://www.musterstadt.example/ausweis"}],
                        "last_reviewed": "2026-09-15",
                    },
                },
            ]
        )

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)

    async def root(request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa (stand-in)")

    app.router.add_get("/", root)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


async def _load(url: str, bodies: list[dict[str, Any]], concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                body = queue.get_nowait()
                start = time.perf_counter()
                async with session.post(url, json=body) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1
                latencies.append(time.perf_counter() - start)

        wall0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - wall0
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "rps": round(len(latencies) / wall, 1),
        "failures": failures,
    }


def run_chat_bench(*, rasa_url: str | None, fake_delay: float, requests: int, levels: list[int]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    fake = None
    if rasa_url is None:
        rasa_port = free_port()
        fake = ctx.Process(target=_fake_rasa, args=(rasa_port, fake_delay), daemon=True)
        fake.start()
        wait_port(rasa_port)
        rasa_url = f"http://127.0.0.1:{rasa_port}"
    gw_port = free_port()
    env = os.environ | {
        "RATHAUS_IP_RATE_PER_S": "1000000",
        "RATHAUS_IP_BURST": "1000000",
        "RATHAUS_SESSION_RATE_PER_S": "1000000",
        "RATHAUS_SESSION_BURST": "1000000",
        "RATHAUS_RASA_TIMEOUT_S": "30",
        "RATHAUS_LOG_LEVEL": "WARNING",
    }
    gateway = subprocess.Popen(
        [sys.executable, "-m", "channels.cli", "serve", "--port", str(gw_port), "--rasa-url", rasa_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(gw_port)
        rows = []
        for level in levels:
            tag = f"{time.monotonic_ns()}"
            direct = asyncio.run(
                _load(
                    f"{rasa_url}/webhooks/rest/webhook",
                    [{"sender": f"bench-{tag}-{i}", "message": _QUESTION} for i in range(requests)],
                    level,
                )
            )
            via = asyncio.run(
                _load(
                    f"http://127.0.0.1:{gw_port}/api/chat",
                    [{"text": _QUESTION} for _ in range(requests)],
                    level,
                )
            )
            rows.append(
                {
                    "concurrency": level,
                    "direct": direct,
                    "gateway": via,
                    "overhead_p50_ms": round(via["p50_ms"] - direct["p50_ms"], 2),
                }
            )
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)
        if fake is not None:
            fake.kill()
            fake.join(timeout=5)
    return {
        "rasa": rasa_url if fake is None else f"stand-in ({fake_delay * 1000:.0f} ms)",
        "requests": requests,
        "levels": rows,
    }
