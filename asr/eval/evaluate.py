"""Measure the live path against an honest reference on (audio, reference) pairs.

For every clip:

* **live path, simulated real-time clock**: audio "arrives" in ``chunk_s`` pieces at real-time speed;
  whenever the pipeline is ready a step runs and the clock advances by its measured compute time
  (audio that arrived meanwhile is pushed afterwards, as in the service). The pipeline is the
  service's own :class:`~asr.core.pipeline.LiveSubtitler` (commit policy, guards, cue builder); only the clock
  is simulated. A committed word's latency is the clock at its commit minus its end in the audio.
* **anchor**: plain faster-whisper over the file (:func:`asr.eval.anchor.anchor_transcribe`: sequential,
  beam 5, language forced, no guards, no VAD filter). All WER ratios are against it.
* **offline**: the project's file path (``rathaus subtitles transcribe``), batched and sequential
  (:func:`asr.eval.anchor.offline_transcribe`); the file path's default is the main row.

Pooled numbers and targets: :mod:`asr.eval.report`. Reported per clip: WER of each path (jiwer over
:func:`asr.core.textnorm.normalize`d text; ``None`` for an empty reference) and the longest run of
consecutive reference words missing from each output (a dropped sentence hides among substitutions in a
WER, not here), commit latency p50/p95, first-partial latency, real-time factor, words emitted in
silence (every word for an empty reference, else committed words whose midpoint lies in a known silent
interval from the clip's sidecar ``<clip>.json``), cue rule violations (hard rules of
:func:`asr.core.cues.validate_cues`) and every guard drop by reason.

The decode loop is blocking and single-threaded on purpose: it measures one stream's compute cost.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from asr.core.cues import CueBuilder, validate_cues
from asr.core.decoder import Word, join_words
from asr.core.options import CueOptions, StreamOptions
from asr.core.pipeline import CueReady, LiveSubtitler, ProvisionalText, TranscriberLike, WordsCommitted, WordsDropped
from asr.errors import AsrError
from asr.eval.anchor import OfflineRun, anchor_transcribe, merge_drops, offline_transcribe
from asr.eval.measures import corpus_wer, longest_missing_run, percentile, round_or_none, wer, words_in_silence
from common.subtitles import Cue

__all__ = [
    "ClipResult",
    "EvalClip",
    "LiveRun",
    "SimulatedClock",
    "clip_result",
    "corpus_wer",
    "load_clip",
    "longest_missing_run",
    "merge_runs",
    "percentile",
    "round_or_none",
    "simulate_live",
    "wer",
    "words_in_silence",
]

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class EvalClip:
    audio: Path
    reference: str
    silence: tuple[tuple[float, float], ...] = ()


@dataclass(slots=True)
class LiveRun:
    """What the simulated live path produced for one clip."""

    words: list[Word] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    first_partial_clock: float | None = None
    partials: list[ProvisionalText] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    compute_s: float = 0.0
    steps: int = 0
    duration_s: float = 0.0
    dropped_words: Counter[str] = field(default_factory=Counter)  # guard drops by reason, in words
    dropped_runs: list[tuple[str, float, str]] = field(default_factory=list)  # (reason, start s, text) each


@dataclass(frozen=True, slots=True)
class ClipResult:
    audio: str
    wer_streaming: float | None
    wer_offline: float | None
    latency_p50_s: float | None
    latency_p95_s: float | None
    first_partial_s: float | None
    rtf: float
    words_in_silence: int
    cue_violations: int
    wer_anchor: float | None = None
    # longest run of consecutive reference words missing (live: the worst run), per path
    missing_run_streaming: int = 0
    missing_run_offline: int = 0
    missing_run_anchor: int = 0
    # guard drops by reason, in words (live: summed over runs)
    dropped_words: tuple[tuple[str, int], ...] = ()
    offline_dropped_words: tuple[tuple[str, int], ...] = ()
    # not part of the per-clip JSON (see to_json); kept for printing and the summary
    reference: str = ""
    streaming_text: str = ""
    offline_text: str = ""
    anchor_text: str = ""
    offline_path: str = ""
    other_offline: OfflineRun | None = None  # the file path with the other batching mode, if measured
    latencies: tuple[float, ...] = ()
    offline_rtf: float = 0.0
    anchor_rtf: float = 0.0
    offline_words_in_silence: int = 0
    cue_warnings: int = 0
    duration_s: float = 0.0
    # one entry per live run (``--repeat``; one for a single run): transcripts and commit latencies
    streaming_texts: tuple[str, ...] = ()
    run_latencies: tuple[tuple[float, ...], ...] = ()

    @property
    def runs(self) -> int:
        return len(self.streaming_texts)

    @property
    def wer_other_offline(self) -> float | None:
        return None if self.other_offline is None else wer(self.reference, self.other_offline.text)

    def to_json(self) -> dict[str, Any]:
        other = self.other_offline
        return {
            "audio": self.audio,
            "wer_streaming": round_or_none(self.wer_streaming),
            "wer_offline": round_or_none(self.wer_offline),
            "wer_anchor": round_or_none(self.wer_anchor),
            "offline_path": self.offline_path,
            "other_offline": None
            if other is None
            else {
                "path": other.path,
                "wer": round_or_none(self.wer_other_offline),
                "missing_run": longest_missing_run(self.reference, other.text),
                "dropped_words": dict(other.dropped_words),
            },
            "missing_run_streaming": self.missing_run_streaming,
            "missing_run_offline": self.missing_run_offline,
            "missing_run_anchor": self.missing_run_anchor,
            "dropped_words": dict(self.dropped_words),
            "offline_dropped_words": dict(self.offline_dropped_words),
            "latency_p50_s": round_or_none(self.latency_p50_s, 3),
            "latency_p95_s": round_or_none(self.latency_p95_s, 3),
            "first_partial_s": round_or_none(self.first_partial_s, 3),
            "rtf": round_or_none(self.rtf),
            "words_in_silence": self.words_in_silence,
            "cue_violations": self.cue_violations,
        }


def load_clip(audio: Path, ref: Path | None) -> EvalClip:
    """A clip and its reference; silent intervals come from ``<audio stem>.json`` when present."""
    if not audio.is_file():
        raise AsrError(f"eval audio {audio} does not exist; generate the clips with data/eval/asr/generate.py")
    reference = ""
    if ref is not None:
        if not ref.is_file():
            raise AsrError(f"eval reference {ref} does not exist; pass the .txt with the spoken words")
        reference = ref.read_text(encoding="utf-8")
    silence: tuple[tuple[float, float], ...] = ()
    sidecar = audio.with_suffix(".json")
    if sidecar.is_file():
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            silence = tuple((float(a), float(b)) for a, b in data.get("silence", ()))
        except (ValueError, TypeError) as exc:
            raise AsrError(f"{sidecar}: 'silence' must be a list of [start, end] seconds ({exc})") from exc
    return EvalClip(audio=audio, reference=reference, silence=silence)


class SimulatedClock:
    """The evaluation's real-time clock: moved forward by arriving audio (:meth:`advance_to`) and by the
    compute time of each decode, measured with ``timer`` between :meth:`start` and :meth:`stop`. Read
    during a step (the pipeline stamps its events), it already includes the step's compute time."""

    def __init__(self, timer: Callable[[], float]) -> None:
        self._timer = timer
        self._base = 0.0
        self._mark: float | None = None

    def __call__(self) -> float:
        if self._mark is None:
            return self._base
        return self._base + (self._timer() - self._mark)

    def advance_to(self, t: float) -> None:
        self._base = max(self._base, t)

    def start(self) -> None:
        self._mark = self._timer()

    def stop(self) -> float:
        """End the timed section; returns its compute time, now added to the clock."""
        assert self._mark is not None, "stop() without start()"
        spent = self._timer() - self._mark
        self._mark = None
        self._base += spent
        return spent


def simulate_live(
    samples: np.ndarray,
    transcriber: TranscriberLike,
    cue_builder: CueBuilder,
    *,
    chunk_s: float = 0.1,
    timer: Callable[[], float] = time.perf_counter,
    on_step: Callable[[float], None] | None = None,
) -> LiveRun:
    """Run one clip through the live pipeline (:class:`~asr.core.pipeline.LiveSubtitler` over ``transcriber`` and
    ``cue_builder``) with a simulated real-time clock that counts compute time. ``on_step`` is called
    after every decode step with the seconds of audio pushed so far (the soak samples memory there)."""
    run = LiveRun(duration_s=samples.size / SAMPLE_RATE)
    clock = SimulatedClock(timer)
    live = LiveSubtitler(transcriber, cue_builder, clock=clock)
    chunk = max(1, int(round(chunk_s * SAMPLE_RATE)))
    total = samples.size
    pushed = 0

    def record(events: Sequence[Any]) -> None:
        for event in events:
            if isinstance(event, WordsCommitted):
                run.words.extend(event.words)
                run.latencies.extend(max(0.0, event.at - w.end) for w in event.words)
            elif isinstance(event, ProvisionalText):
                run.partials.append(event)
                if event.text and run.first_partial_clock is None:
                    run.first_partial_clock = event.at
            elif isinstance(event, CueReady):
                run.cues.append(event.cue)
            elif isinstance(event, WordsDropped):
                run.dropped_words[event.reason.value] += len(event.drop.words)
                run.dropped_runs.append((event.reason.value, round(event.drop.words[0].start, 2),
                                         join_words(event.drop.words)))

    while True:
        # audio arrives chunk by chunk; the last, shorter chunk arrives at the end of the clip
        due = int(clock() * SAMPLE_RATE + 1e-6)
        arrived = total if due >= total else due // chunk * chunk
        if arrived > pushed:
            live.push_audio(samples[pushed:arrived])
            pushed = arrived
        if live.ready():
            clock.start()
            events = live.step()
            run.compute_s += clock.stop()
            run.steps += 1
            record(events)
            if on_step is not None:
                on_step(pushed / SAMPLE_RATE)
            continue
        if pushed >= total:
            break
        clock.advance_to(min(total, (pushed // chunk + 1) * chunk) / SAMPLE_RATE)
    clock.start()
    events = live.finish()
    run.compute_s += clock.stop()
    record(events)
    return run


def clip_result(
    clip: EvalClip,
    live: LiveRun,
    *,
    offline: OfflineRun,
    anchor: OfflineRun | None = None,
    other_offline: OfflineRun | None = None,
    cue_options: CueOptions | None = None,
) -> ClipResult:
    violations = validate_cues(live.cues, cue_options)
    errors = sum(1 for v in violations if v.severity == "error")
    first_partial = None
    if live.first_partial_clock is not None:
        onset = live.words[0].start if live.words else next((p.start for p in live.partials if p.text), 0.0)
        first_partial = max(0.0, live.first_partial_clock - onset)
    streaming_text = join_words(live.words)
    duration = max(live.duration_s, 1e-9)
    anchor_text = anchor.text if anchor is not None else ""
    return ClipResult(
        audio=str(clip.audio),
        wer_streaming=wer(clip.reference, streaming_text),
        wer_offline=wer(clip.reference, offline.text),
        latency_p50_s=percentile(live.latencies, 50),
        latency_p95_s=percentile(live.latencies, 95),
        first_partial_s=first_partial,
        rtf=live.compute_s / duration,
        words_in_silence=words_in_silence(live.words, clip.reference, clip.silence),
        cue_violations=errors,
        wer_anchor=wer(clip.reference, anchor_text) if anchor is not None else None,
        missing_run_streaming=longest_missing_run(clip.reference, streaming_text),
        missing_run_offline=longest_missing_run(clip.reference, offline.text),
        missing_run_anchor=longest_missing_run(clip.reference, anchor_text) if anchor is not None else 0,
        dropped_words=tuple(sorted(live.dropped_words.items())),
        offline_dropped_words=offline.dropped_words,
        reference=clip.reference,
        streaming_text=streaming_text,
        offline_text=offline.text,
        anchor_text=anchor_text,
        offline_path=offline.path,
        other_offline=other_offline,
        latencies=tuple(live.latencies),
        streaming_texts=(streaming_text,),
        run_latencies=(tuple(live.latencies),),
        offline_rtf=offline.compute_s / duration,
        anchor_rtf=anchor.compute_s / duration if anchor is not None else 0.0,
        offline_words_in_silence=words_in_silence(offline.words, clip.reference, clip.silence),
        cue_warnings=len(violations) - errors,
        duration_s=live.duration_s,
    )


def merge_runs(runs: Sequence[ClipResult]) -> ClipResult:
    """One clip's results of several live runs (same clip, same offline results) pooled into one: WER
    over all transcripts, latency percentiles over all commits, mean RTF and first-partial latency,
    words in silence, cue errors and guard drops summed, the worst missing run (each run must be clean
    for a target to hold)."""
    if not runs:
        raise ValueError("merge_runs needs at least one run")
    first = runs[0]
    texts = tuple(t for r in runs for t in r.streaming_texts)
    per_run = tuple(lat for r in runs for lat in r.run_latencies)
    latencies = tuple(x for lat in per_run for x in lat)
    firsts = [r.first_partial_s for r in runs if r.first_partial_s is not None]
    return dataclasses.replace(
        first,
        wer_streaming=corpus_wer([(first.reference, t) for t in texts]),
        latency_p50_s=percentile(latencies, 50),
        latency_p95_s=percentile(latencies, 95),
        first_partial_s=sum(firsts) / len(firsts) if firsts else None,
        rtf=sum(r.rtf for r in runs) / len(runs),
        words_in_silence=sum(r.words_in_silence for r in runs),
        cue_violations=sum(r.cue_violations for r in runs),
        cue_warnings=sum(r.cue_warnings for r in runs),
        missing_run_streaming=max(r.missing_run_streaming for r in runs),
        dropped_words=merge_drops([r.dropped_words for r in runs]),
        latencies=latencies,
        streaming_texts=texts,
        run_latencies=per_run,
    )


def stream_options_for_eval(base: StreamOptions | None = None, **changes: Any) -> StreamOptions:
    """``base`` (default options) with the given fields replaced (for ``--min-chunk-s`` etc.)."""
    return dataclasses.replace(base or StreamOptions(), **{k: v for k, v in changes.items() if v is not None})


def run_eval(
    clips: Sequence[EvalClip],
    *,
    model: Any,
    stream_options: StreamOptions,
    cue_options: CueOptions | None = None,
    chunk_s: float = 0.1,
    on_clip: Callable[[ClipResult], None] | None = None,
    clock: str = "cpu",
    repeat: int = 1,
    both_offline: bool = True,
    decoder_kind: str = "faster-whisper",
) -> list[ClipResult]:
    """Evaluate every clip with the (loaded) ``model``; ``on_clip`` sees each result as it is ready.

    ``repeat``: live runs per clip, pooled by :func:`merge_runs` (anchor and offline run once: they do
    not depend on timing). ``both_offline``: also run the file path with the other batching mode.
    ``decoder_kind``: the live decoder (:data:`asr.whisper.engine.DECODERS`).

    ``clock="cpu"`` counts the CPU time of this process as compute time (reproducible on a shared
    machine; with one CTranslate2 thread it equals the wall time of an idle core), ``"wall"`` counts
    elapsed time.
    """
    if clock not in ("cpu", "wall"):
        raise AsrError(f"clock must be 'cpu' or 'wall', got {clock!r}")
    if repeat < 1:
        raise AsrError(f"repeat must be at least 1, got {repeat}")
    timer = time.process_time if clock == "cpu" else time.perf_counter
    from asr.live.sources import read_pcm
    from asr.offline.transcribe import TranscribeOptions
    from asr.whisper.engine import live_transcriber, make_decoder

    default_batch = TranscribeOptions().batch_size
    decoder = make_decoder(model, decoder_kind)
    results: list[ClipResult] = []
    for clip in clips:
        samples = read_pcm(clip.audio).astype(np.float32) / 32768.0
        lives = []
        for _ in range(repeat):
            transcriber = live_transcriber(decoder, stream_options)
            lives.append(simulate_live(samples, transcriber, CueBuilder(cue_options), chunk_s=chunk_s, timer=timer))
        anchor = anchor_transcribe(model, clip.audio, language=stream_options.language or "de", timer=timer)
        offline = offline_transcribe(model, samples, stream_options, timer=timer)
        other = None
        if both_offline:
            other_batch = 0 if default_batch > 0 else 8
            other = offline_transcribe(model, samples, stream_options, batch_size=other_batch, timer=timer)
        result = merge_runs(
            [
                clip_result(clip, live, offline=offline, anchor=anchor, other_offline=other, cue_options=cue_options)
                for live in lives
            ]
        )
        results.append(result)
        if on_clip is not None:
            on_clip(result)
    return results


def apply_overrides(options: StreamOptions, items: Sequence[str]) -> StreamOptions:
    """``["min_chunk_s=1.5", "encoder_pad_s=none"]`` applied to ``options`` (values parsed as JSON-ish:
    numbers, true/false, none/null, comma lists for tuples); unknown fields raise :class:`AsrError`."""
    fields = {f.name for f in dataclasses.fields(options)}
    changes: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in fields:
            raise AsrError(f"--set {item!r}: expected FIELD=VALUE with FIELD one of {sorted(fields)}")
        current = getattr(options, name)
        changes[name] = _parse_value(raw.strip(), current, name)
    try:
        return dataclasses.replace(options, **changes)
    except (TypeError, ValueError) as exc:
        raise AsrError(f"--set: {exc}") from exc


def _parse_value(raw: str, current: Any, name: str) -> Any:
    if raw.lower() in ("none", "null"):
        return None
    if isinstance(current, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(current, tuple):
        return tuple(float(x) for x in raw.split(",") if x.strip())
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(current, float) and isinstance(value, int):
        return float(value)
    if not isinstance(value, str | int | float):
        raise AsrError(f"--set {name}={raw}: unsupported value")
    return value
