from __future__ import annotations

from channels.security import (
    RateLimiter,
    TokenBucket,
    content_security_policy,
    origin_allowed,
    tokens_equal,
)


def test_token_bucket_refills_at_rate_up_to_burst() -> None:
    bucket = TokenBucket.full(rate=1.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.5)
    assert bucket.take(1.6)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]


def test_rate_limiter_per_key_and_bounded() -> None:
    limiter = RateLimiter(rate=1.0, burst=2, max_keys=3)
    assert limiter.allow("a", now=0.0) and limiter.allow("a", now=0.0)
    assert not limiter.allow("a", now=0.0)
    assert limiter.allow("b", now=0.0)  # other key unaffected
    for key in "cdef":
        limiter.allow(key, now=0.0)
    assert len(limiter) == 3


def test_origin_allow_list() -> None:
    allowed = ("https://www.musterstadt.example",)
    kwargs = {"host": "chat.musterstadt.example", "scheme": "https", "allowed": allowed}
    assert origin_allowed("https://www.musterstadt.example", **kwargs)  # type: ignore[arg-type]
    assert origin_allowed("https://www.musterstadt.example/", **kwargs)  # type: ignore[arg-type]
    assert origin_allowed("https://chat.musterstadt.example", **kwargs)  # type: ignore[arg-type] # same origin
    assert not origin_allowed("https://evil.example", **kwargs)  # type: ignore[arg-type]
    assert not origin_allowed("null", **kwargs)  # type: ignore[arg-type]
    assert origin_allowed(None, **kwargs)  # type: ignore[arg-type] # non-browser client
    assert origin_allowed("https://x.example", host="h", scheme="http", allowed=("*",))


def test_tokens_equal() -> None:
    assert tokens_equal("abc", "abc")
    assert not tokens_equal("abd", "abc")
    assert not tokens_equal(None, "abc") and not tokens_equal("", "") and not tokens_equal("a", None)


def test_csp_is_strict_and_allows_configured_hls_origin() -> None:
    csp = content_security_policy(frame_ancestors="'none'", hls_url="https://video.musterstadt.example/live/rat.m3u8")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "media-src 'self' blob: https://video.musterstadt.example" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
