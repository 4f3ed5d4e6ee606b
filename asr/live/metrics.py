"""Prometheus metrics of the live subtitle service (one registry per service, so tests stay isolated)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ServiceMetrics"]

_LATENCY_BUCKETS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 20.0, 60.0)
_DECODE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


@dataclass(slots=True)
class ServiceMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    active_streams: Gauge = field(init=False)
    decode_seconds: Histogram = field(init=False)
    commit_latency: Histogram = field(init=False)
    stream_lag: Histogram = field(init=False)
    guard_drops: Counter = field(init=False)
    guard_dropped_words: Counter = field(init=False)
    audio_seconds: Counter = field(init=False)
    cues: Counter = field(init=False)
    publish_errors: Counter = field(init=False)
    ingest_rejected: Counter = field(init=False)

    def __post_init__(self) -> None:
        r = self.registry
        self.active_streams = Gauge("rathaus_asr_active_streams", "Live streams in this process", registry=r)
        self.decode_seconds = Histogram(
            "rathaus_asr_decode_seconds", "Wall time of one decode step", buckets=_DECODE_BUCKETS, registry=r
        )
        self.commit_latency = Histogram(
            "rathaus_asr_commit_latency_seconds",
            "Audio heard -> word committed",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.stream_lag = Histogram(
            "rathaus_asr_stream_lag_seconds",
            "Newest decoded audio heard -> its decode finished",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.guard_drops = Counter(
            "rathaus_asr_guard_drops",
            "Guard drops (runs of words removed from a decode), by reason: no_speech, blocklist, loop, recited",
            ["reason"],
            registry=r,
        )
        self.guard_dropped_words = Counter(
            "rathaus_asr_guard_dropped_words", "Words removed by the guards, by reason", ["reason"], registry=r
        )
        self.audio_seconds = Counter("rathaus_asr_audio_seconds", "Audio received, in seconds", registry=r)
        self.cues = Counter("rathaus_asr_cues", "Subtitle cues published", registry=r)
        self.publish_errors = Counter("rathaus_asr_publish_errors", "Broker publish failures", registry=r)
        self.ingest_rejected = Counter(
            "rathaus_asr_ingest_rejected", "Ingest frames or connections rejected", ["reason"], registry=r
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)
