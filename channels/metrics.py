"""Prometheus metrics of one gateway app (own registry per app, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["GatewayMetrics"]


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.connections = Gauge("rathaus_gateway_connections", "Open WebSocket connections", ["endpoint"], registry=r)
        self.viewers = Gauge("rathaus_gateway_viewers", "Subtitle viewers per stream", ["stream"], registry=r)
        self.viewers_dropped = Counter(
            "rathaus_gateway_viewers_dropped_total",
            "Viewers closed because their queue overflowed",
            registry=r,
        )
        self.frames_out = Counter(
            "rathaus_gateway_subtitle_frames_total", "Subtitle frames fanned out to viewers", registry=r
        )
        self.chat_messages = Counter(
            "rathaus_gateway_chat_messages_total", "Citizen chat messages", ["route"], registry=r
        )
        self.rasa_latency = Histogram(
            "rathaus_gateway_rasa_seconds",
            "Latency of Rasa webhook calls",
            ["outcome"],
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8),
        )
        self.rasa_waiting = Gauge(
            "rathaus_gateway_rasa_waiting", "Citizen messages queued for a Rasa call slot", registry=r
        )
        self.rasa_queue_wait = Histogram(
            "rathaus_gateway_rasa_queue_seconds",
            "Time a citizen message waited for a Rasa call slot",
            ["outcome"],
            registry=r,
            buckets=(0.1, 0.5, 1, 2, 5, 10, 20, 40, 60),
        )
        self.unavailable = Counter(
            "rathaus_gateway_rasa_unavailable_total", "Replies of kind 'unavailable'", registry=r
        )
        self.feedback = Counter("rathaus_gateway_feedback_total", "Citizen feedback on answers", ["rating"], registry=r)
        self.errors = Counter("rathaus_gateway_error_frames_total", "Error frames sent", ["code"], registry=r)
        self.handoffs = Counter(
            "rathaus_gateway_handoff_events_total", "Hand-off events applied", ["state"], registry=r
        )
