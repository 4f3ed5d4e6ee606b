"""Security helpers: origin allow-list, token comparison, rate limiting, security headers.

:class:`TokenBucket` and :class:`RateLimiter` are sans-I/O (the caller passes the clock); the aiohttp
middleware at the bottom only adds headers.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from common.auth import tokens_equal  # re-exported: one comparison for every token

__all__ = [
    "RateLimiter",
    "TokenBucket",
    "client_ip",
    "content_security_policy",
    "forwarded_client",
    "origin_allowed",
    "security_headers_middleware",
    "tokens_equal",
]


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def origin_allowed(origin: str | None, *, host: str | None, scheme: str, allowed: tuple[str, ...]) -> bool:
    """Whether a WebSocket ``Origin`` may connect: same origin as the request, or on the allow-list.

    A missing Origin (non-browser clients such as the benchmark or curl) is allowed: the check protects
    browsers against cross-site WebSocket hijacking, and non-browsers can forge any header anyway.
    ``"*"`` in the allow-list allows everything (development only).
    """
    if not origin:
        return True
    origin = origin.rstrip("/").lower()
    if "*" in allowed or origin in {o.lower() for o in allowed}:
        return True
    if host is None:
        return False
    same = {f"http://{host}".lower(), f"https://{host}".lower(), f"{scheme}://{host}".lower()}
    return origin in same


def forwarded_client(forwarded_for: list[str], *, trusted_proxies: int) -> str | None:
    """The client address from ``X-Forwarded-For`` values, given how many proxies of ours are in front.

    Every proxy appends the address it received the request from, so only the right-most
    ``trusted_proxies`` entries were written by us; anything to their left came from the client and can
    be forged. With one proxy the client is the right-most entry; with N, the N-th from the right. None
    when the header holds fewer entries than there are proxies (it did not pass through all of them).
    """
    entries = [part.strip() for value in forwarded_for for part in value.split(",")]
    entries = [entry for entry in entries if entry]
    if trusted_proxies < 1 or len(entries) < trusted_proxies:
        return None
    return entries[-trusted_proxies]


def client_ip(request: web.Request, *, trust_forwarded: bool, trusted_proxies: int = 1) -> str:
    """The client's IP: behind ``trusted_proxies`` proxies of ours, from X-Forwarded-For (see
    :func:`forwarded_client`); otherwise, or when the header is missing or too short, the peer address."""
    if trust_forwarded:
        client = forwarded_client(request.headers.getall("X-Forwarded-For", []), trusted_proxies=trusted_proxies)
        if client:
            return client
    return request.remote or "unknown"


@dataclass(slots=True)
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; :meth:`take` spends one if available."""

    rate: float
    burst: int
    tokens: float
    updated: float

    @classmethod
    def full(cls, *, rate: float, burst: int, now: float) -> TokenBucket:
        return cls(rate=rate, burst=burst, tokens=float(burst), updated=now)

    def take(self, now: float, cost: float = 1.0) -> bool:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class RateLimiter:
    """One token bucket per key (session id, IP), with a bounded number of keys (LRU eviction)."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self._rate = rate
        self._burst = burst
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def allow(self, key: str, *, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket.full(rate=self._rate, burst=self._burst, now=now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(now)

    def __len__(self) -> int:
        return len(self._buckets)


def content_security_policy(*, frame_ancestors: str, hls_url: str | None) -> str:
    """The strict CSP of every page: only our own origin, plus the configured HLS origin for media."""
    media = ["'self'", "blob:"]
    connect = ["'self'"]
    if hls_url:
        hls_origin = _origin_of(hls_url)
        if hls_origin:
            media.append(hls_origin)
            connect.append(hls_origin)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {' '.join(connect)}",
            f"media-src {' '.join(media)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def security_headers_middleware(csp: str) -> Middleware:
    """Middleware adding CSP and the usual hardening headers to every HTTP response."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _harden(exc, csp)
            raise
        if not response.prepared:
            _harden(response, csp)
        return response

    return middleware


def _harden(response: web.StreamResponse, csp: str) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
