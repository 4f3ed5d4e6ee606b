"""Latency and throughput of the running assistant over its REST webhook (a benchmark, not a test).

For each concurrency level, ``concurrency`` workers send questions as fast as the assistant answers,
each worker in its own conversation (Rasa serialises messages per conversation), for ``requests``
round trips in total. Percentiles are computed here (pure function), the I/O is aiohttp.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bot.client import RestClient, new_sender, timed_send

__all__ = ["BenchResult", "SAMPLE_QUESTIONS", "percentile", "run_bench", "run_level"]

SAMPLE_QUESTIONS: tuple[str, ...] = (
    "Wie beantrage ich einen neuen Personalausweis?",
    "Was kostet ein Reisepass?",
    "Ich bin umgezogen, wo melde ich mich an?",
    "Wann wird der Sperrmüll abgeholt?",
    "Hat das Bürgerbüro heute auf?",
    "Wie hoch ist die Hundesteuer?",
    "Wie bekomme ich einen Kita-Platz?",
    "Wie wird das Wetter morgen?",
    "Bist du ein Mensch?",
    "Wo beantrage ich Wohngeld?",
)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation between closest ranks; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class BenchResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


async def run_level(base_url: str, *, concurrency: int, requests: int,
                    questions: Sequence[str] = SAMPLE_QUESTIONS, warmup: int = 2) -> BenchResult:
    """``requests`` round trips with ``concurrency`` workers, after ``warmup`` untimed ones."""
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    connector = aiohttp.TCPConnector(limit=max(concurrency, 10))
    async with aiohttp.ClientSession(connector=connector) as session:
        client = RestClient(base_url, session, timeout_s=120.0)
        for index in range(warmup):
            await client.send(new_sender("warmup"), questions[index % len(questions)])

        async def worker() -> None:
            nonlocal errors
            sender = new_sender("bench")
            while (n := next(counter)) < requests:
                try:
                    latencies.append(await timed_send(client, sender, questions[n % len(questions)]))
                except Exception:  # noqa: BLE001 - counted and reported, the benchmark goes on
                    errors += 1

        started = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())
        seconds = time.perf_counter() - started
    return BenchResult(
        concurrency=concurrency, requests=requests, errors=errors, seconds=seconds,
        p50_ms=percentile(latencies, 50) * 1000, p95_ms=percentile(latencies, 95) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
    )


async def run_bench(base_url: str, *, levels: Sequence[int] = (1, 10, 50),
                    requests: int = 200) -> list[BenchResult]:
    return [await run_level(base_url, concurrency=level, requests=max(requests, level)) for level in levels]
