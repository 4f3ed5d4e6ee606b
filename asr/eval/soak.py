"""The long-meeting soak (``rathaus asr soak``): one long session through the live pipeline.

The session (:mod:`asr.eval.session`, 30 minutes by default) runs through the live pipeline
(:class:`~asr.core.pipeline.LiveSubtitler` over :func:`asr.whisper.engine.live_transcriber`, as in the
service) on the evaluation's simulated real-time clock (:func:`asr.eval.evaluate.simulate_live`: each
step advances the clock by its measured compute time). What drifts over a long meeting shows as:

* **latency creep**: commit latency p50/p95 of the words that end in the first ``window_s`` (5 minutes)
  of audio against the last ``window_s``; target: last p95 at most 1.10 x first p95;
* **memory growth**: resident set size (``/proc/self/statm``) after the model is loaded, after the first
  ``warmup_s`` (60 s) of audio (buffers allocated: the start of the soak) and at the end; target: growth
  from that start to the end at most 50 MB;
* **lost cues**: every committed word must be shown, in order, in exactly one cue
  (:func:`account_cues`), and the transcript must equal the concatenated cues;
* words in silence or applause (the sidecar's intervals), hard cue rule violations, guard drops, WER,
  and WER against the anchor (plain faster-whisper over the whole file; target at most 1.25 x).

A benchmark that prints numbers, not a timed test; the exit code says whether every target was met.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from asr.core.cues import CueBuilder, cue_pieces, validate_cues
from asr.core.decoder import Word, join_words
from asr.core.options import CueOptions
from asr.core.pipeline import TranscriberLike
from asr.eval.anchor import OfflineRun
from asr.eval.evaluate import SAMPLE_RATE, EvalClip, simulate_live
from asr.eval.measures import longest_missing_run, percentile, round_or_none, silent_words, wer, words_in_silence
from common.subtitles import Cue

__all__ = ["CueAccount", "LatencyWindow", "SoakResult", "SoakTargets", "account_cues", "rss_bytes", "run_soak"]

MB = 1024 * 1024


def rss_bytes() -> int:
    """Resident set size of this process (Linux ``/proc/self/statm``); 0 where that is not available."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@dataclass(frozen=True, slots=True)
class SoakTargets:
    latency_p95_ratio: float = 1.10  # last window's p95 / first window's p95
    rss_growth_mb: float = 50.0
    wer_ratio: float = 1.25  # live WER / anchor WER


@dataclass(frozen=True, slots=True)
class CueAccount:
    """Committed words against the words the cues show (after :func:`~asr.core.cues.cue_pieces`)."""

    committed_words: int
    cue_pieces: int  # pieces shown in cues (hyphenated words count once per piece)
    lost_words: int  # committed words with a piece missing from the cues
    extra_pieces: int  # pieces in cues that no committed word accounts for (shown twice, or invented)
    transcript_equal: bool  # the committed transcript, as cues show it, equals the concatenated cues

    @property
    def ok(self) -> bool:
        return self.lost_words == 0 and self.extra_pieces == 0 and self.transcript_equal


def account_cues(words: Sequence[Word], cues: Sequence[Cue], options: CueOptions | None = None) -> CueAccount:
    """Check that every committed word appears, in order, in exactly one cue, and nothing else does."""
    options = options or CueOptions()
    expected: list[str] = []
    owner: list[int] = []  # committed word of each expected piece
    for k, word in enumerate(words):
        for piece in cue_pieces(word, options):
            for token in piece.text.split():
                expected.append(token)
                owner.append(k)
    shown = [token for cue in cues for line in cue.lines for token in line.split()]
    matcher = difflib.SequenceMatcher(a=expected, b=shown, autojunk=False)
    matched_expected = [False] * len(expected)
    matched = 0
    for block in matcher.get_matching_blocks():
        for i in range(block.a, block.a + block.size):
            matched_expected[i] = True
        matched += block.size
    lost = {owner[i] for i, ok in enumerate(matched_expected) if not ok}
    return CueAccount(
        committed_words=len(words),
        cue_pieces=len(shown),
        lost_words=len(lost),
        extra_pieces=len(shown) - matched,
        transcript_equal=expected == shown,
    )


@dataclass(frozen=True, slots=True)
class LatencyWindow:
    """Commit latencies of the words ending in ``[start_s, end_s)`` of the audio."""

    start_s: float
    end_s: float
    words: int
    p50_s: float | None
    p95_s: float | None

    @classmethod
    def of(cls, words: Sequence[Word], latencies: Sequence[float], start_s: float, end_s: float) -> LatencyWindow:
        inside = [lat for w, lat in zip(words, latencies, strict=True) if start_s <= w.end < end_s]
        return cls(start_s, end_s, len(inside), percentile(inside, 50), percentile(inside, 95))

    def to_json(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 1),
            "end_s": round(self.end_s, 1),
            "words": self.words,
            "p50_s": round_or_none(self.p50_s, 3),
            "p95_s": round_or_none(self.p95_s, 3),
        }


@dataclass(frozen=True, slots=True)
class SoakResult:
    duration_s: float
    compute_s: float
    steps: int
    first: LatencyWindow
    last: LatencyWindow
    latency_p50_s: float | None
    latency_p95_s: float | None
    rss_loaded: int  # bytes, before streaming (model loaded)
    rss_start: int  # after the warm-up audio
    rss_end: int
    rss_max: int
    cues: int
    account: CueAccount
    words_in_silence: int
    cue_errors: int
    cue_warnings: int
    wer_live: float | None
    wer_anchor: float | None
    missing_run_live: int
    missing_run_anchor: int | None
    dropped_words: tuple[tuple[str, int], ...]
    targets: SoakTargets = field(default_factory=SoakTargets)
    #: every guard drop: (reason, second of the session, the words), to judge whether it was speech
    dropped_runs: tuple[tuple[str, float, str], ...] = ()
    #: the words committed inside a pause or applause: (second, word)
    silent_words: tuple[tuple[float, str], ...] = ()
    live_text: str = ""
    anchor_text: str = ""
    #: once a minute of audio: (seconds of audio pushed, RSS in MB, 1-minute load average)
    trace: tuple[tuple[float, float, float], ...] = ()

    @property
    def latency_ratio(self) -> float | None:
        if self.first.p95_s is None or self.last.p95_s is None or self.first.p95_s <= 0:
            return None
        return self.last.p95_s / self.first.p95_s

    @property
    def rss_growth_mb(self) -> float:
        return (self.rss_end - self.rss_start) / MB

    @property
    def wer_ratio(self) -> float | None:
        if self.wer_live is None or not self.wer_anchor:
            return None
        return self.wer_live / self.wer_anchor

    def met(self) -> dict[str, bool | None]:
        """Each target: met, missed, or ``None`` when it could not be measured (no anchor, no words)."""
        ratio, wer_ratio = self.latency_ratio, self.wer_ratio
        return {
            "latency_p95_ratio": None if ratio is None else ratio <= self.targets.latency_p95_ratio,
            "rss_growth": self.rss_growth_mb <= self.targets.rss_growth_mb if self.rss_end else None,
            "no_cue_lost": self.account.lost_words == 0 and self.account.extra_pieces == 0,
            "transcript_equals_cues": self.account.transcript_equal,
            "words_in_silence": self.words_in_silence == 0,
            "cue_violations": self.cue_errors == 0,
            "wer_ratio": None if wer_ratio is None else wer_ratio <= self.targets.wer_ratio,
        }

    @property
    def all_met(self) -> bool:
        """Every measured target met (one that could not be measured does not fail the run)."""
        return all(ok is not False for ok in self.met().values())

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_s": round(self.duration_s, 1),
            "compute_s": round(self.compute_s, 1),
            "steps": self.steps,
            "latency_first": self.first.to_json(),
            "latency_last": self.last.to_json(),
            "latency_p95_ratio": round_or_none(self.latency_ratio),
            "latency_p50_s": round_or_none(self.latency_p50_s, 3),
            "latency_p95_s": round_or_none(self.latency_p95_s, 3),
            "rss_mb": {
                "loaded": round(self.rss_loaded / MB, 1),
                "start": round(self.rss_start / MB, 1),
                "end": round(self.rss_end / MB, 1),
                "max": round(self.rss_max / MB, 1),
                "growth": round(self.rss_growth_mb, 1),
            },
            "cues": self.cues,
            "committed_words": self.account.committed_words,
            "lost_words": self.account.lost_words,
            "extra_cue_pieces": self.account.extra_pieces,
            "transcript_equals_cues": self.account.transcript_equal,
            "words_in_silence": self.words_in_silence,
            "cue_errors": self.cue_errors,
            "cue_warnings": self.cue_warnings,
            "wer_live": round_or_none(self.wer_live),
            "wer_anchor": round_or_none(self.wer_anchor),
            "wer_ratio": round_or_none(self.wer_ratio),
            "missing_run_live": self.missing_run_live,
            "missing_run_anchor": self.missing_run_anchor,
            "dropped_words": dict(self.dropped_words),
            "dropped_runs": [{"reason": r, "at_s": at, "text": text} for r, at, text in self.dropped_runs],
            "silent_words": [{"at_s": at, "word": word} for at, word in self.silent_words],
            "targets": dataclasses.asdict(self.targets),
            "met": self.met(),
            "trace": [list(row) for row in self.trace],
        }


def run_soak(
    clip: EvalClip,
    samples: np.ndarray,
    transcriber: TranscriberLike,
    *,
    cue_options: CueOptions | None = None,
    anchor: Callable[[], OfflineRun] | None = None,
    window_s: float = 300.0,
    warmup_s: float = 60.0,
    chunk_s: float = 0.1,
    timer: Callable[[], float] = time.process_time,
    rss: Callable[[], int] = rss_bytes,
    progress: Callable[[str], None] | None = None,
) -> SoakResult:
    """Stream ``samples`` (float32, 16 kHz) of ``clip`` through the live pipeline over ``transcriber``
    (:func:`asr.whisper.engine.live_transcriber`, as in the service) on the simulated clock, then run
    ``anchor`` (if given) for the WER reference; see the module."""

    cue_options = cue_options or CueOptions()
    duration = samples.size / SAMPLE_RATE
    rss_loaded = rss()
    marks: dict[str, int] = {"max": rss_loaded}
    next_report = [0.0]
    trace: list[tuple[float, float, float]] = []

    def on_step(pushed_s: float) -> None:
        now = rss()
        marks["max"] = max(marks["max"], now)
        if "start" not in marks and pushed_s >= warmup_s:
            marks["start"] = now
        if pushed_s >= next_report[0]:
            next_report[0] += 60.0
            trace.append((round(pushed_s, 1), round(now / MB, 1), round(os.getloadavg()[0], 2)))
            if progress is not None:
                minute, total = pushed_s / 60, duration / 60
                progress(f"  {minute:5.1f} min of {total:.1f}  RSS {now / MB:.0f} MB  load {trace[-1][2]}")

    live = simulate_live(samples, transcriber, CueBuilder(cue_options), chunk_s=chunk_s, timer=timer, on_step=on_step)
    rss_end = rss()
    text = join_words(live.words)
    if progress is not None and anchor is not None:  # the anchor takes a while: say what is known
        progress(
            f"  live part done: {len(live.words)} words, {len(live.cues)} cues, WER {wer(clip.reference, text)}, "
            f"RSS {rss_end / MB:.0f} MB; running the anchor (plain faster-whisper over the whole file) ..."
        )
    ref_run = anchor() if anchor is not None else None
    violations = validate_cues(live.cues, cue_options)
    errors = sum(1 for v in violations if v.severity == "error")
    return SoakResult(
        duration_s=duration,
        compute_s=live.compute_s,
        steps=live.steps,
        first=LatencyWindow.of(live.words, live.latencies, 0.0, window_s),
        last=LatencyWindow.of(live.words, live.latencies, duration - window_s, duration + 1.0),
        latency_p50_s=percentile(live.latencies, 50),
        latency_p95_s=percentile(live.latencies, 95),
        rss_loaded=rss_loaded,
        rss_start=marks.get("start", rss_end),
        rss_end=rss_end,
        rss_max=max(marks["max"], rss_end),
        cues=len(live.cues),
        account=account_cues(live.words, live.cues, cue_options),
        words_in_silence=words_in_silence(live.words, clip.reference, clip.silence),
        cue_errors=errors,
        cue_warnings=len(violations) - errors,
        wer_live=wer(clip.reference, text),
        wer_anchor=wer(clip.reference, ref_run.text) if ref_run is not None else None,
        missing_run_live=longest_missing_run(clip.reference, text),
        missing_run_anchor=longest_missing_run(clip.reference, ref_run.text) if ref_run is not None else None,
        dropped_words=tuple(sorted(live.dropped_words.items())),
        dropped_runs=tuple(live.dropped_runs),
        silent_words=tuple((round(w.start, 2), w.text) for w in silent_words(live.words, clip.reference, clip.silence)),
        live_text=text,
        anchor_text=ref_run.text if ref_run is not None else "",
        trace=tuple(trace),
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _mark(ok: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[ok]


def soak_lines(result: SoakResult) -> list[str]:
    """The soak's numbers as printed by ``rathaus asr soak`` (plain text, one measure a line)."""
    met, t, a = result.met(), result.targets, result.account
    first, last = result.first, result.last
    ratio = result.latency_ratio
    wer_ratio = result.wer_ratio
    pct = lambda x: "-" if x is None else f"{100 * x:.1f} %"  # noqa: E731
    return [
        f"session {result.duration_s / 60:.1f} min, {result.steps} decode steps, compute {result.compute_s:.0f} s "
        f"(RTF {result.compute_s / max(result.duration_s, 1e-9):.2f})",
        f"commit latency, first {first.end_s - first.start_s:.0f} s: p50 {_s(first.p50_s)} p95 {_s(first.p95_s)} "
        f"({first.words} words); last: p50 {_s(last.p50_s)} p95 {_s(last.p95_s)} ({last.words} words)",
        f"last p95 / first p95 = {'-' if ratio is None else f'{ratio:.3f}'} (target <= {t.latency_p95_ratio}): "
        f"{_mark(met['latency_p95_ratio'])}",
        f"commit latency, whole session: p50 {_s(result.latency_p50_s)} p95 {_s(result.latency_p95_s)}",
        f"RSS loaded {result.rss_loaded / MB:.0f} MB, start {result.rss_start / MB:.0f} MB, end "
        f"{result.rss_end / MB:.0f} MB, max {result.rss_max / MB:.0f} MB; growth {result.rss_growth_mb:+.1f} MB "
        f"(target <= {t.rss_growth_mb:g} MB): {_mark(met['rss_growth'])}",
        f"cues {result.cues}, committed words {a.committed_words}, lost {a.lost_words}, extra cue pieces "
        f"{a.extra_pieces} (target 0): {_mark(met['no_cue_lost'])}",
        f"transcript equals the concatenated cues: {a.transcript_equal}: {_mark(met['transcript_equals_cues'])}",
        f"words in silence or applause {result.words_in_silence} (target 0): {_mark(met['words_in_silence'])}",
        f"cue rule violations {result.cue_errors} ({result.cue_warnings} warnings) (target 0): "
        f"{_mark(met['cue_violations'])}",
        f"WER live {pct(result.wer_live)}, anchor {pct(result.wer_anchor)}, ratio "
        f"{'-' if wer_ratio is None else f'{wer_ratio:.3f}'} (target <= {t.wer_ratio}): {_mark(met['wer_ratio'])}",
        f"longest run of missing reference words: live {result.missing_run_live}, anchor "
        f"{'-' if result.missing_run_anchor is None else result.missing_run_anchor}; guard drops (words): "
        + (", ".join(f"{r} {n}" for r, n in result.dropped_words) or "none"),
        *(f"  in a pause at {_clock(at)}: {word!r}" for at, word in result.silent_words[:_SHOWN]),
        *(f"  dropped ({reason}) at {_clock(at)}: {text!r}" for reason, at, text in result.dropped_runs[:_SHOWN]),
        *([f"  ... {len(result.dropped_runs) - _SHOWN} more drops in the JSON report (--report)"]
          if len(result.dropped_runs) > _SHOWN else []),
        "all targets met" if result.all_met else "some targets NOT met",
    ]


_SHOWN = 20  # drops and words in pauses printed; the JSON report has them all


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"
