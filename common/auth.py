"""Shared secrets of the services: strength at start-up, constant-time comparison, and a throttle on guessing.

Used by the gateway's staff console (``RATHAUS_STAFF_TOKEN``) and the subtitle ingest
(``RATHAUS_ASR_INGEST_TOKEN``). Sans-I/O: :class:`GuessThrottle` is given the time with every call, so it is
tested without sleeps, and a shell decides what a refusal looks like on its protocol (HTTP 429, close 1008).

Guessing is limited twice: per source address (one client trying many tokens) and over all addresses
together (many addresses, each trying a few). Only failed attempts count; while a limit is reached,
attempts are refused before the token is compared, so a guess made then cannot succeed either.
"""

from __future__ import annotations

import enum
import hmac
from collections import OrderedDict, deque
from dataclasses import dataclass, field

__all__ = [
    "MIN_TOKEN_CHARS",
    "GuessThrottle",
    "ThrottleOptions",
    "Verdict",
    "check_token_strength",
    "tokens_equal",
]

MIN_TOKEN_CHARS = 24


def check_token_strength(token: str, *, variable: str) -> str:
    """``token`` if it is long enough to resist guessing; else a ValueError that names ``variable``."""
    if len(token.strip()) < MIN_TOKEN_CHARS:
        raise ValueError(
            f"{variable} is {len(token.strip())} characters long; it needs at least {MIN_TOKEN_CHARS}. "
            "Generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token


def tokens_equal(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; False when either side is missing or empty."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    BLOCKED_ADDRESS = "blocked_address"  # this address failed too often recently
    BLOCKED_GLOBAL = "blocked_global"  # all addresses together failed too often recently


@dataclass(frozen=True, slots=True)
class ThrottleOptions:
    """Failed attempts allowed per ``window_s``, per address and over all addresses."""

    per_address: int = 5
    overall: int = 30
    window_s: float = 60.0
    max_addresses: int = 10_000  # addresses remembered (oldest forgotten first)


@dataclass(slots=True)
class GuessThrottle:
    """Counts failed token checks in a sliding window; :meth:`check` before comparing, :meth:`failed` after."""

    options: ThrottleOptions = field(default_factory=ThrottleOptions)
    _by_address: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _overall: deque[float] = field(default_factory=deque)

    def _prune(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.options.window_s:
            times.popleft()

    def check(self, address: str, *, now: float) -> Verdict:
        """Whether ``address`` may try a token now."""
        times = self._by_address.get(address)
        if times is not None:
            self._prune(times, now)
            if not times:
                del self._by_address[address]
            elif len(times) >= self.options.per_address:
                return Verdict.BLOCKED_ADDRESS
        self._prune(self._overall, now)
        if len(self._overall) >= self.options.overall:
            return Verdict.BLOCKED_GLOBAL
        return Verdict.ALLOWED

    def failed(self, address: str, *, now: float) -> None:
        """Record one wrong token from ``address``."""
        times = self._by_address.get(address)
        if times is None:
            times = self._by_address[address] = deque(maxlen=self.options.per_address)
            if len(self._by_address) > self.options.max_addresses:
                self._by_address.popitem(last=False)
        else:
            self._by_address.move_to_end(address)
        times.append(now)
        self._overall.append(now)
        while len(self._overall) > self.options.overall:
            self._overall.popleft()

    def retry_after(self, address: str, *, now: float) -> float:
        """Seconds until ``address`` may try again (0 when it may now)."""
        verdict = self.check(address, now=now)
        if verdict is Verdict.BLOCKED_ADDRESS:
            return max(0.0, self._by_address[address][0] + self.options.window_s - now)
        if verdict is Verdict.BLOCKED_GLOBAL:
            return max(0.0, self._overall[0] + self.options.window_s - now)
        return 0.0
