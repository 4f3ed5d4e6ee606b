"""Load benchmarks for bursts and several instances (they print numbers; they are not tests).

* fleet: a real redis-server, ``instances`` gateway processes (``rathaus gateway serve``) sharing it, and
  viewers held by separate client processes. The stream is pre-filled with ``prefill`` cues; first
  ``join_burst`` viewers open their WebSockets to instance 0 all at the same moment (the storm after a
  gateway restart), then the other viewers join, spread over the instances; then ``cues`` cues are
  published through Redis (as the ASR service does) and every viewer records when each arrived.
  Delay = arrival - publish (CLOCK_MONOTONIC is system-wide on Linux). Gateway CPU comes from
  /proc/<pid>/stat of each instance.
* chat burst: ``questions`` citizens on WebSockets send a question at the same moment to one gateway
  process in front of one Rasa. Without ``--rasa-url`` the Rasa is a **stand-in** that answers one request
  at a time after a fixed service time (a model of one Rasa process, whose answers queue on its CPU), so
  the numbers show the gateway's queueing, not the assistant. Then a second wave follows at once (the
  defect was that the breaker had opened after the first).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from channels.bench import percentile, raise_fd_limit, wait_port
from common.net import free_port

__all__ = ["run_chat_burst_bench", "run_fleet_bench"]

_LIMITS = {
    "RATHAUS_IP_RATE_PER_S": "1000000",
    "RATHAUS_IP_BURST": "1000000",
    "RATHAUS_SESSION_RATE_PER_S": "1000000",
    "RATHAUS_SESSION_BURST": "1000000",
    "RATHAUS_LOG_LEVEL": "WARNING",
}


@contextlib.contextmanager
def _redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run 'make setup' (installs Debian's redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="rathaus-bench-redis-") as data:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", data, "--save", "", "--maxclients", "20000"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(port, timeout=15)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextlib.contextmanager
def _gateways(count: int, env: dict[str, str], log_dir: Path) -> Iterator[list[tuple[int, subprocess.Popen[bytes]]]]:
    started = []
    try:
        for i in range(count):
            port = free_port()
            log = (log_dir / f"gateway-{i}.log").open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "channels.cli", "serve", "--port", str(port)],
                env=os.environ | _LIMITS | env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            started.append((port, process))
        for port, _ in started:
            wait_port(port)
        yield started
    finally:
        for _, process in started:
            process.terminate()
        for _, process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------- viewers on several instances
def _fleet_client(ports: list[int], count: int, burst: bool, prefill: int, cues: int, ready: Any, out: Any) -> None:
    """Hold ``count`` viewers (round-robin over ``ports``); report join times, then live arrivals."""
    raise_fd_limit()

    async def main() -> dict[str, Any]:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        joined: list[float] = []  # seconds from connect to the last replayed cue
        replay_counts: list[int] = []
        arrivals: list[tuple[int, float]] = []
        closes: list[str] = []
        replayed = [asyncio.Event() for _ in range(count)]

        async def viewer(i: int) -> None:
            started = time.monotonic()
            got_replay = 0
            live = 0
            try:
                ws = await session.ws_connect(
                    f"http://127.0.0.1:{ports[i % len(ports)]}/ws/subtitles/bench", heartbeat=None
                )
            except aiohttp.ClientError as exc:
                closes.append(f"connect: {type(exc).__name__}")
                replayed[i].set()
                replay_counts.append(0)
                return
            if prefill == 0:
                replayed[i].set()
            try:
                async for msg in ws:
                    if msg.type is not aiohttp.WSMsgType.TEXT:
                        break
                    now = time.monotonic()
                    text = msg.data
                    if not text.startswith('{"type":"subtitle.cue"'):
                        continue
                    at = text.index('"seq":') + 6
                    seq = int(text[at : text.index(",", at)])
                    if seq < prefill:
                        got_replay += 1
                        if got_replay == prefill:
                            joined.append(now - started)
                            replayed[i].set()
                    else:
                        arrivals.append((seq, now))
                        live += 1
                        if live >= cues:
                            break
                if live < cues:
                    closes.append(f"closed {ws.close_code} after {got_replay} replayed, {live} live")
            finally:
                replayed[i].set()
                replay_counts.append(got_replay)
                await ws.close()

        if burst:  # every viewer at the same moment
            tasks = [asyncio.create_task(viewer(i)) for i in range(count)]
        else:
            tasks = []
            for i in range(count):
                tasks.append(asyncio.create_task(viewer(i)))
                await replayed[i].wait()  # one after another, like viewers arriving over time
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in replayed)), 300)
        ready.put({"joined": joined, "full_replay": sum(1 for e in joined), "connected": count})
        await asyncio.wait_for(asyncio.gather(*tasks), cues * 5 + 120)
        await session.close()
        return {"arrivals": arrivals, "closes": closes, "replay_counts": replay_counts}

    try:
        out.put(asyncio.run(main()))
    except Exception as exc:  # report instead of hanging the parent
        out.put(repr(exc))


def run_fleet_bench(
    *, viewers: int, cues: int, interval: float, client_procs: int, instances: int, join_burst: int, prefill: int
) -> dict[str, Any]:
    raise_fd_limit()
    return asyncio.run(
        _fleet_bench(
            viewers=viewers,
            cues=cues,
            interval=interval,
            client_procs=client_procs,
            instances=instances,
            join_burst=min(join_burst, viewers),
            prefill=prefill,
        )
    )


async def _fleet_bench(
    *, viewers: int, cues: int, interval: float, client_procs: int, instances: int, join_burst: int, prefill: int
) -> dict[str, Any]:
    from channels.broker import RedisBroker
    from channels.messages import SubtitleCue

    def cue(seq: int) -> SubtitleCue:
        return SubtitleCue(
            stream="bench",
            seq=seq,
            start=seq * 2.0,
            end=seq * 2.0 + 1.8,
            lines=("Der Haushalt für das Jahr", f"wird beschlossen ({seq})."),
        )

    loop = asyncio.get_running_loop()
    ctx = mp.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="rathaus-bench-") as tmp,
        _redis_server() as url,
        _gateways(instances, {"RATHAUS_BROKER_URL": url, "RATHAUS_VIEWER_QUEUE": "1024"}, Path(tmp)) as gws,
    ):
        asr = RedisBroker(url)
        ports = [port for port, _ in gws]
        for seq in range(prefill):
            await asr.publish("subtitles:bench", cue(seq))
        ready, out = ctx.Queue(), ctx.Queue()
        procs = []
        if join_burst:
            burst_args = (ports[:1], join_burst, True, prefill, cues, ready, out)
            procs.append(ctx.Process(target=_fleet_client, args=burst_args))
        rest = viewers - join_burst
        per_proc = [rest // client_procs + (1 if i < rest % client_procs else 0) for i in range(client_procs)]
        procs += [
            ctx.Process(target=_fleet_client, args=(ports, n, False, prefill, cues, ready, out)) for n in per_proc if n
        ]
        joins: list[dict[str, Any]] = []
        try:
            if join_burst:  # the burst first, alone
                procs[0].start()
                joins.append(await loop.run_in_executor(None, ready.get, True, 400))
            for p in procs[1 if join_burst else 0 :]:
                p.start()
            for _ in procs[len(joins) :]:
                joins.append(await loop.run_in_executor(None, ready.get, True, 400))
            await asyncio.sleep(1.0)  # let the last relays reach their queues
            cpu0 = [_cpu_s(p.pid) for _, p in gws]
            published: dict[int, float] = {}
            wall0 = time.monotonic()
            for seq in range(prefill, prefill + cues):
                published[seq] = time.monotonic()
                await asr.publish("subtitles:bench", cue(seq))
                await asyncio.sleep(interval)
            results: list[dict[str, Any] | str] = []
            for _ in procs:
                results.append(await loop.run_in_executor(None, out.get, True, cues * 5 + 180))
            wall = time.monotonic() - wall0
            cpu1 = [_cpu_s(p.pid) for _, p in gws]
        finally:
            for p in procs:
                p.join(timeout=10)
                if p.is_alive():
                    p.kill()
            await asr.aclose()
        logs = "".join((Path(tmp) / f"gateway-{i}.log").read_text(errors="replace") for i in range(instances))
    errors = [r for r in results if isinstance(r, str)]
    good = [r for r in results if not isinstance(r, str)]
    delays_ms = [(t - published[seq]) * 1000 for r in good for seq, t in r["arrivals"] if seq in published]
    closes = [c for r in good for c in r["closes"]]
    burst_join = joins[0] if join_burst else None
    cpu = [round(b - a, 2) for a, b in zip(cpu0, cpu1, strict=True)]
    return {
        "broker": "redis (one local redis-server)",
        "instances": instances,
        "viewers": viewers,
        "prefill_cues": prefill,
        "join_burst": join_burst,
        "join_burst_full_replay": f"{burst_join['full_replay']} / {join_burst}" if burst_join else None,
        "join_burst_ms_p50": round(percentile(burst_join["joined"], 0.5) * 1000, 1) if burst_join else None,
        "join_burst_ms_p99": round(percentile(burst_join["joined"], 0.99) * 1000, 1) if burst_join else None,
        "full_replay_all_viewers": f"{sum(j['full_replay'] for j in joins)} / {viewers}",
        "cues": cues,
        "interval_s": interval,
        "delivered": len(delays_ms),
        "expected": viewers * cues,
        "delay_ms_p50": round(percentile(delays_ms, 0.50), 1),
        "delay_ms_p99": round(percentile(delays_ms, 0.99), 1),
        "delay_ms_max": round(max(delays_ms), 1) if delays_ms else None,
        "closed_early": len(closes),
        "closed_examples": closes[:5],
        "gateway_cpu_s": cpu,
        "gateway_cpu_us_per_frame": round(1e6 * sum(cpu) / max(len(delays_ms), 1), 1),
        "gateway_log_warnings": sum(1 for line in logs.splitlines() if " WARNING " in line or " ERROR " in line),
        "wall_s": round(wall, 2),
        "errors": errors,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


# ---------------------------------------------------------------------- chat burst
def _one_at_a_time_rasa(port: int, service_s: float) -> None:
    """Stand-in Rasa: the REST webhook answers one request at a time, ``service_s`` each (not the assistant)."""
    lock = asyncio.Lock()
    stats = {"requests": 0, "in_flight": 0, "max_in_flight": 0}

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        stats["requests"] += 1
        stats["in_flight"] += 1
        stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
        try:
            async with lock:
                await asyncio.sleep(service_s)
        finally:
            stats["in_flight"] -= 1
        return web.json_response([{"recipient_id": body.get("sender"), "text": "Antwort der Stand-in-Rasa."}])

    async def root(request: web.Request) -> web.Response:
        return web.json_response(stats)

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/", root)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def _wave(port: int, questions: int, text: str) -> dict[str, Any]:
    """``questions`` citizens connect, then all send at the same moment; latency = send -> chat.reply."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = []
        for _ in range(questions):
            ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws/chat", heartbeat=None)
            await ws.receive(timeout=30)  # chat.session
            sockets.append(ws)
        go = asyncio.Event()

        async def ask(ws: aiohttp.ClientWebSocketResponse) -> tuple[str, float, bool]:
            await go.wait()
            started = time.monotonic()
            await ws.send_str(json.dumps({"type": "chat.send", "text": text}))
            told = False
            while True:
                msg = await ws.receive(timeout=300)
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    return f"closed {ws.close_code}", time.monotonic() - started, told
                frame = json.loads(msg.data)
                if frame["type"] == "chat.waiting":
                    told = True
                elif frame["type"] == "chat.reply":
                    return str(frame["kind"]), time.monotonic() - started, told

        tasks = [asyncio.create_task(ask(ws)) for ws in sockets]
        wall0 = time.monotonic()
        go.set()
        results = await asyncio.gather(*tasks)
        wall = time.monotonic() - wall0
        for ws in sockets:
            await ws.close()
    latencies = [t for _, t, _ in results]
    kinds = [k for k, _, _ in results]
    return {
        "questions": questions,
        "answered": sum(1 for k in kinds if k not in ("unavailable",) and not k.startswith("closed")),
        "unavailable": kinds.count("unavailable"),
        "closed": sum(1 for k in kinds if k.startswith("closed")),
        "told_waiting": sum(1 for _, _, told in results if told),
        "p50_s": round(percentile(latencies, 0.50), 2),
        "p95_s": round(percentile(latencies, 0.95), 2),
        "max_s": round(max(latencies), 2),
        "wall_s": round(wall, 2),
    }


def run_chat_burst_bench(
    *, questions: int, follow_up: int, service_time: float, rasa_url: str | None, concurrency: int | None
) -> dict[str, Any]:
    raise_fd_limit()
    ctx = mp.get_context("spawn")
    stand_in = None
    if rasa_url is None:
        rasa_port = free_port()
        stand_in = ctx.Process(target=_one_at_a_time_rasa, args=(rasa_port, service_time), daemon=True)
        stand_in.start()
        wait_port(rasa_port)
        rasa_url = f"http://127.0.0.1:{rasa_port}"
    env = {"RATHAUS_RASA_URL": rasa_url}
    if concurrency is not None:
        env["RATHAUS_RASA_CONCURRENCY"] = str(concurrency)
    try:
        with tempfile.TemporaryDirectory(prefix="rathaus-bench-") as tmp, _gateways(1, env, Path(tmp)) as gws:
            port = gws[0][0]
            warm = asyncio.run(_wave(port, 1, "Hallo"))
            first = asyncio.run(_wave(port, questions, "Wie beantrage ich einen neuen Personalausweis?"))
            second = asyncio.run(_wave(port, follow_up, "Wann hat das Bürgerbüro geöffnet?")) if follow_up else None
            stats = None
            if stand_in is not None:
                stats = asyncio.run(_get_json(rasa_url + "/"))
    finally:
        if stand_in is not None:
            stand_in.kill()
            stand_in.join(timeout=5)
    return {
        "rasa": rasa_url if stand_in is None else f"stand-in: one request at a time, {service_time * 1000:.0f} ms each",
        "gateway_rasa_concurrency": concurrency if concurrency is not None else "default (RATHAUS_RASA_CONCURRENCY)",
        "warm_up": warm,
        "burst": first,
        "right_after": second,
        "stand_in_stats": stats,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


async def _get_json(url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.json()
