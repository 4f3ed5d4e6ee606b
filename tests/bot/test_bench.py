"""Percentiles of the benchmark (pure)."""

from __future__ import annotations

import pytest

from bot.bench import BenchResult, percentile


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 50) == 0.0
    assert percentile([5.0, 1.0], 0) == 1.0


def test_throughput_counts_successes() -> None:
    result = BenchResult(concurrency=1, requests=10, errors=2, seconds=4.0, p50_ms=1, p95_ms=1, p99_ms=1)
    assert result.throughput == 2.0
