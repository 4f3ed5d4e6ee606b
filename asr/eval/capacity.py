"""How many concurrent real-time streams one service process sustains (``rathaus asr bench``).

For each N, N streams are fed real-time audio (the eval clips, looped, each stream at another offset)
for ``duration_s`` through the real :class:`~asr.live.service.SubtitleService` with one shared model. The
service records, after every decode step, its *decode lag*: wall time from the newest decoded sample
arriving to the decode finishing. A process keeps up while that lag stays bounded; when it is
overloaded, audio queues up and the lag grows without bound. A run is *sustained* when the lag p95 is
at most ``max_lag_s`` and less than 2 s of audio is still queued when feeding stops.

This is a benchmark that prints numbers, not a test; it takes N x duration seconds of wall time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from asr.errors import AsrError

__all__ = ["CapacityConfig", "CapacityRow", "load_bench_audio", "run_capacity"]

SAMPLE_RATE = 16_000
CHUNK_S = 0.1
MAX_BACKLOG_S = 2.0


@dataclass(frozen=True, slots=True)
class CapacityConfig:
    streams: tuple[int, ...] = (1, 2, 3)
    duration_s: float = 60.0
    model: str = "base"
    device: str = "cpu"
    compute_type: str | None = None
    cpu_threads: int = 0
    num_workers: int = 1
    max_lag_s: float = 5.0
    min_chunk_s: float | None = None
    decoder: str = "faster-whisper"  # asr.whisper.engine.DECODERS
    batch_size: int = 1  # streams per batched decode step (ctranslate2 only)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class CapacityRow:
    """One N of the benchmark: decode lag, commit latency, backlog, worker load, and the verdict."""

    streams: int
    lag_p50_s: float | None
    lag_p95_s: float | None
    lag_max_s: float | None
    commit_p50_s: float | None
    commit_p95_s: float | None
    backlog_s: float
    busy: float  # decode seconds / (wall seconds x workers); a batch round counts its wall time once
    sender_lag_max_s: float
    sustained: bool
    mean_round: float | None = None  # streams per batch round (batch mode)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_bench_audio(path: Path) -> np.ndarray:
    """int16 samples of one file, or of every ``*.wav`` in a folder (sorted, concatenated)."""
    from asr.live.sources import read_pcm

    files = sorted(path.glob("*.wav")) if path.is_dir() else [path]
    if not files:
        raise AsrError(f"no .wav files in {path}; run `rathaus asr eval --generate` or pass --audio FILE")
    return np.concatenate([read_pcm(f) for f in files])


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


async def _feed_realtime(handle: Any, audio: np.ndarray, offset: int, duration_s: float) -> float:
    """Send ``duration_s`` of ``audio`` (looped from ``offset``) at real time; returns max sender lag."""
    chunk = int(CHUNK_S * SAMPLE_RATE)
    chunks = int(duration_s / CHUNK_S)
    start = time.monotonic()
    worst = 0.0
    position = offset
    for k in range(chunks):
        due = start + k * CHUNK_S
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        else:
            worst = max(worst, now - due)
        piece = np.take(audio, np.arange(position, position + chunk), mode="wrap")
        position = (position + chunk) % audio.size
        await handle.feed(piece)
    return worst


async def _run_once(n: int, config: CapacityConfig, audio: np.ndarray, decoder: Any) -> CapacityRow:
    from asr.core.cues import CueBuilder
    from asr.core.options import StreamOptions
    from asr.core.sink import CollectingSink
    from asr.live.service import ServiceOptions, SubtitleService
    from asr.whisper.engine import live_transcriber

    stream_options = StreamOptions()
    if config.min_chunk_s:
        stream_options = dataclasses.replace(stream_options, min_chunk_s=config.min_chunk_s)

    def factory(stream: str, language: str) -> Any:
        return live_transcriber(decoder, stream_options), CueBuilder()

    from asr.live.batching import GatheringDecoder

    batcher = decoder if isinstance(decoder, GatheringDecoder) else None
    options = ServiceOptions(
        num_workers=config.num_workers,
        max_streams=n,
        queue_s=config.duration_s + 60,
        feed_timeout_s=3600,
        batch_size=config.batch_size if batcher else 1,
    )
    service = SubtitleService(sink=CollectingSink(), factory=factory, options=options, batcher=batcher)
    async with service:
        handles = [await service.open_stream(f"bench-{i}") for i in range(n)]
        offsets = [int(i * audio.size / n) for i in range(n)]
        started = time.monotonic()
        sender_lag = await asyncio.gather(
            *(_feed_realtime(h, audio, o, config.duration_s) for h, o in zip(handles, offsets, strict=True))
        )
        wall = time.monotonic() - started
        backlog = max(h.queued_s for h in handles)
        lags = [x for h in handles for x in h.stats().lag_s]
        commits = [x for h in handles for x in h.stats().commit_latency_s]
        busy = service.decode_seconds_total / (wall * config.num_workers)
        await asyncio.gather(*(h.end(discard_queued=True) for h in handles))
    lag_p95 = _pct(lags, 95)
    return CapacityRow(
        streams=n,
        lag_p50_s=_pct(lags, 50),
        lag_p95_s=lag_p95,
        lag_max_s=max(lags) if lags else None,
        commit_p50_s=_pct(commits, 50),
        commit_p95_s=_pct(commits, 95),
        backlog_s=backlog,
        busy=busy,
        sender_lag_max_s=max(sender_lag),
        sustained=lag_p95 is not None and lag_p95 <= config.max_lag_s and backlog <= MAX_BACKLOG_S,
        mean_round=float(np.mean(service.rounds)) if service.rounds else None,
    )


async def run_capacity(
    config: CapacityConfig, audio_path: Path, *, progress: Callable[[str], None] = lambda _m: None
) -> list[CapacityRow]:
    """Run each N of ``config.streams`` in ascending order; stop after the first N not sustained."""
    from asr.core.options import ModelOptions
    from asr.live.batching import GatheringDecoder
    from asr.whisper.engine import make_decoder
    from asr.whisper.model import get_shared_model

    audio = load_bench_audio(audio_path).astype(np.float32) / 32768.0
    progress(f"loading model {config.model} on {config.device} ...")
    model = await asyncio.to_thread(
        get_shared_model,
        ModelOptions(
            model=config.model,
            device=config.device,  # type: ignore[arg-type]
            compute_type=config.compute_type,
            cpu_threads=config.cpu_threads,
            num_workers=config.num_workers,
        ),
    )
    engine = make_decoder(model, config.decoder)
    decoder: Any = GatheringDecoder(engine) if config.batch_size > 1 and hasattr(engine, "decode_batch") else engine
    rows: list[CapacityRow] = []
    for n in config.streams:
        progress(f"{n} stream(s) x {config.duration_s:g} s real time ...")
        row = await _run_once(n, config, audio, decoder)
        rows.append(row)
        progress(
            f"  lag p95 {row.lag_p95_s or 0:.2f} s, backlog {row.backlog_s:.1f} s, "
            f"busy {100 * row.busy:.0f}%"
            + (f", {row.mean_round:.2f} streams per round" if row.mean_round else "")
            + f" -> {'sustained' if row.sustained else 'NOT sustained'}"
        )
        if not row.sustained:
            break
    return rows
