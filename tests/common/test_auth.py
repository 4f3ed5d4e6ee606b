"""The shared token helpers: strength at start-up, constant-time compare, the guess throttle (time as data)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.auth import (
    MIN_TOKEN_CHARS,
    GuessThrottle,
    ThrottleOptions,
    Verdict,
    check_token_strength,
    tokens_equal,
)


def test_short_tokens_are_refused_with_the_variable_named() -> None:
    with pytest.raises(ValueError, match=r"RATHAUS_X is 1 characters long; it needs at least 24"):
        check_token_strength("1", variable="RATHAUS_X")
    with pytest.raises(ValueError, match="secrets.token_urlsafe"):
        check_token_strength(" " * 30, variable="RATHAUS_X")
    token = "k" * MIN_TOKEN_CHARS
    assert check_token_strength(token, variable="RATHAUS_X") == token


def test_tokens_equal() -> None:
    assert tokens_equal("a" * 30, "a" * 30)
    assert not tokens_equal("a" * 30, "a" * 29 + "b")
    assert not tokens_equal("", "")
    assert not tokens_equal(None, "x")
    assert tokens_equal("Schlüssel-ä" * 3, "Schlüssel-ä" * 3)


def test_per_address_limit_then_the_window_passes() -> None:
    throttle = GuessThrottle(ThrottleOptions(per_address=3, overall=100, window_s=60))
    for t in (0.0, 1.0, 2.0):
        assert throttle.check("a", now=t) is Verdict.ALLOWED
        throttle.failed("a", now=t)
    assert throttle.check("a", now=3.0) is Verdict.BLOCKED_ADDRESS
    assert throttle.retry_after("a", now=3.0) == pytest.approx(57.0)
    assert throttle.check("b", now=3.0) is Verdict.ALLOWED  # other addresses are not affected
    assert throttle.check("a", now=60.5) is Verdict.ALLOWED  # the first failure has left the window


def test_overall_limit_across_addresses() -> None:
    throttle = GuessThrottle(ThrottleOptions(per_address=5, overall=4, window_s=10))
    for i in range(4):
        throttle.failed(f"10.0.0.{i}", now=float(i))
    assert throttle.check("10.0.0.99", now=4.0) is Verdict.BLOCKED_GLOBAL
    assert throttle.retry_after("10.0.0.99", now=4.0) == pytest.approx(6.0)
    assert throttle.check("10.0.0.99", now=10.5) is Verdict.ALLOWED


def test_remembered_addresses_are_bounded() -> None:
    throttle = GuessThrottle(ThrottleOptions(per_address=1, overall=10_000, max_addresses=3))
    for i in range(10):
        throttle.failed(str(i), now=0.0)
    assert throttle.check("9", now=0.0) is Verdict.BLOCKED_ADDRESS
    assert throttle.check("0", now=0.0) is Verdict.ALLOWED  # forgotten, the oldest first


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.floats(0, 1000)), max_size=200))
def test_never_more_failures_accepted_than_the_limits_allow(attempts: list[tuple[str, float]]) -> None:
    """Whatever the order of attempts, within any window no address gets more than ``per_address`` tries
    and all together no more than ``overall``."""
    options = ThrottleOptions(per_address=3, overall=7, window_s=50)
    throttle = GuessThrottle(options)
    tried: list[tuple[str, float]] = []
    for address, now in sorted(attempts, key=lambda a: a[1]):
        if throttle.check(address, now=now) is Verdict.ALLOWED:
            throttle.failed(address, now=now)
            tried.append((address, now))
    for _, start in tried:
        window = [(a, t) for a, t in tried if start <= t < start + options.window_s]
        assert len(window) <= options.overall
        for address in "abcde":
            assert sum(a == address for a, _ in window) <= options.per_address
