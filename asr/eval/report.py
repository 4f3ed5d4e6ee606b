"""The evaluation's pooled report: targets, whether each is met, and the numbers behind them.

All WER ratios are against the anchor (plain faster-whisper, :mod:`asr.eval.anchor`): ``wer_ratio`` is live /
anchor (target 1.15), ``offline_wer_ratio`` is the meeting-video path / anchor (target 1.05). The live /
file-path ratio of the first sessions is kept as ``live_offline_ratio`` for comparison, not as a target.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from asr.core.textnorm import normalize
from asr.eval.anchor import merge_drops
from asr.eval.evaluate import ClipResult, corpus_wer, percentile, round_or_none

__all__ = ["TARGETS", "EvalSummary", "RunSpread", "Targets", "TargetsMet", "summarize"]


@dataclass(frozen=True, slots=True)
class Targets:
    """Targets for the CPU default model. WER ratios are against the anchor (plain faster-whisper)."""

    wer_ratio: float = 1.15  # live / anchor
    offline_wer_ratio: float = 1.05  # the meeting-video path / anchor
    latency_p50_s: float = 3.0
    latency_p95_s: float = 5.0
    words_in_silence: int = 0
    cue_violations: int = 0


TARGETS = Targets()


def _ratio(streaming: float | None, offline: float | None) -> float | None:
    if streaming is None or offline is None:
        return None
    return streaming / offline if offline > 0 else (1.0 if streaming == 0 else math.inf)


@dataclass(frozen=True, slots=True)
class RunSpread:
    """One live run's pooled numbers (``--repeat``: single runs are noisy)."""

    wer_ratio: float | None  # live / anchor
    latency_p50_s: float | None
    latency_p95_s: float | None


@dataclass(frozen=True, slots=True)
class TargetsMet:
    wer_ratio: bool
    offline_wer_ratio: bool
    latency_p50_s: bool
    latency_p95_s: bool
    words_in_silence: bool
    cue_violations: bool

    @property
    def all(self) -> bool:
        return all(getattr(self, f.name) for f in dataclasses.fields(self))


@dataclass(frozen=True, slots=True)
class EvalSummary:
    """Pooled numbers over all clips, the targets and whether each is met, and the options used."""

    clips: int
    runs: int
    audio_s: float
    wer_streaming: float | None
    wer_offline: float | None  # the file path's default (``offline_path``)
    wer_anchor: float | None
    wer_other_offline: float | None  # the file path with the other batching mode
    offline_path: str
    other_offline_path: str | None
    wer_ratio: float | None  # live / anchor
    offline_wer_ratio: float | None  # file path / anchor
    other_offline_wer_ratio: float | None
    live_offline_ratio: float | None  # live / file path (the first sessions' ratio; not a target)
    longest_missing_run_streaming: int
    longest_missing_run_offline: int
    longest_missing_run_anchor: int
    dropped_words: tuple[tuple[str, int], ...]
    offline_dropped_words: tuple[tuple[str, int], ...]
    latency_p50_s: float | None
    latency_p95_s: float | None
    first_partial_p50_s: float | None
    rtf_streaming: float | None
    rtf_offline: float | None
    rtf_anchor: float | None
    words_in_silence: int
    offline_words_in_silence: int
    cue_violations: int
    cue_warnings: int
    targets: Targets
    met: TargetsMet
    per_run: tuple[RunSpread, ...]
    options: dict[str, Any] = field(default_factory=dict)  # the report's options (JSON-ready, edge data)

    @property
    def all_met(self) -> bool:
        return self.met.all

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("dropped_words", "offline_dropped_words"):
                value = dict(value)
            elif f.name in ("targets", "met"):
                value = dataclasses.asdict(value)
            elif f.name == "per_run":
                value = [
                    {
                        "wer_ratio": round_or_none(r.wer_ratio),
                        "latency_p50_s": round_or_none(r.latency_p50_s, 3),
                        "latency_p95_s": round_or_none(r.latency_p95_s, 3),
                    }
                    for r in value
                ]
            elif isinstance(value, float):
                value = round_or_none(value, 3 if f.name.startswith(("latency", "first")) else 4)
            out[f.name] = value
        out["all_met"] = self.all_met
        return out


def summarize(
    results: Sequence[ClipResult], *, targets: Targets = TARGETS, options: dict[str, Any] | None = None
) -> EvalSummary:
    """Pooled numbers over all clips and whether each target is met (ratios against the anchor)."""
    wer_s = corpus_wer([(r.reference, t) for r in results for t in r.streaming_texts])
    wer_o = corpus_wer([(r.reference, r.offline_text) for r in results])
    has_anchor = bool(results) and all(r.wer_anchor is not None or not normalize(r.reference) for r in results)
    wer_a = corpus_wer([(r.reference, r.anchor_text) for r in results]) if has_anchor else None
    others = [r.other_offline for r in results]
    has_other = bool(results) and all(o is not None for o in others)
    wer_x = (
        corpus_wer([(r.reference, r.other_offline.text) for r in results if r.other_offline is not None])
        if has_other
        else None
    )
    latencies = [x for r in results for x in r.latencies]
    runs = min((r.runs for r in results), default=1)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    firsts = [r.first_partial_s for r in results if r.first_partial_s is not None]
    audio_s = sum(r.duration_s for r in results)
    silence_words = sum(r.words_in_silence for r in results)
    violations = sum(r.cue_violations for r in results)
    ratio = _ratio(wer_s, wer_a)
    offline_ratio = _ratio(wer_o, wer_a)
    per_run = []
    for k in range(runs):  # the spread between runs: a single run's numbers are noisy (docs/benchmarks.md)
        run_lat = [x for r in results for x in r.run_latencies[k]]
        run_wer = corpus_wer([(r.reference, r.streaming_texts[k]) for r in results])
        per_run.append(RunSpread(_ratio(run_wer, wer_a), percentile(run_lat, 50), percentile(run_lat, 95)))
    met = TargetsMet(
        wer_ratio=ratio is not None and ratio <= targets.wer_ratio,
        offline_wer_ratio=offline_ratio is not None and offline_ratio <= targets.offline_wer_ratio,
        latency_p50_s=p50 is not None and p50 <= targets.latency_p50_s,
        latency_p95_s=p95 is not None and p95 <= targets.latency_p95_s,
        words_in_silence=silence_words <= targets.words_in_silence,
        cue_violations=violations <= targets.cue_violations,
    )

    def weighted(values: Sequence[float]) -> float | None:
        if not audio_s:
            return None
        return sum(v * r.duration_s for v, r in zip(values, results, strict=True)) / audio_s

    first_other = next((o for o in others if o is not None), None)
    return EvalSummary(
        clips=len(results),
        runs=runs,
        audio_s=round(audio_s, 2),
        wer_streaming=wer_s,
        wer_offline=wer_o,
        wer_anchor=wer_a,
        wer_other_offline=wer_x,
        offline_path=results[0].offline_path if results else "",
        other_offline_path=first_other.path if first_other is not None else None,
        wer_ratio=ratio,
        offline_wer_ratio=offline_ratio,
        other_offline_wer_ratio=_ratio(wer_x, wer_a),
        live_offline_ratio=_ratio(wer_s, wer_o),
        longest_missing_run_streaming=max((r.missing_run_streaming for r in results), default=0),
        longest_missing_run_offline=max((r.missing_run_offline for r in results), default=0),
        longest_missing_run_anchor=max((r.missing_run_anchor for r in results), default=0),
        dropped_words=merge_drops([r.dropped_words for r in results]),
        offline_dropped_words=merge_drops([r.offline_dropped_words for r in results]),
        latency_p50_s=p50,
        latency_p95_s=p95,
        first_partial_p50_s=percentile(firsts, 50),
        rtf_streaming=weighted([r.rtf for r in results]),
        rtf_offline=weighted([r.offline_rtf for r in results]),
        rtf_anchor=weighted([r.anchor_rtf for r in results]),
        words_in_silence=silence_words,
        offline_words_in_silence=sum(x.offline_words_in_silence for x in results),
        cue_violations=violations,
        cue_warnings=sum(x.cue_warnings for x in results),
        targets=targets,
        met=met,
        per_run=tuple(per_run),
        options=dict(options or {}),
    )
