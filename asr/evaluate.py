"""Measure the live path against the offline path on (audio, reference) pairs.

For every clip:

* **live path, simulated real-time clock**: audio "arrives" in ``chunk_s`` pieces at real-time speed;
  whenever the transcriber is ready a step runs and the clock advances by its measured compute time
  (audio that arrived meanwhile is pushed afterwards, as in the service). A committed word's latency is
  the clock at its commit minus its end time in the audio. The cue builder runs as in the service.
* **offline path**: the whole file decoded at once like ``rathaus subtitles transcribe``.

Reported per clip: WER of both (jiwer over :func:`asr.textnorm.normalize`d text; ``None`` for an empty
reference), commit latency p50/p95, first-partial latency (first non-empty partial minus the start of
the first word), real-time factor of the live path, words emitted in silence (every word for an empty
reference, else committed words whose midpoint lies in a known silent interval from the clip's sidecar
``<clip>.json``), and cue rule violations (hard rules of :func:`asr.cues.validate_cues`).

The decode loop is blocking and single-threaded on purpose: it measures one stream's compute cost.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jiwer
import numpy as np

from asr.cues import Cue, CueBuilder, validate_cues
from asr.decoder import Word, join_words
from asr.errors import AsrError
from asr.options import CueOptions, StreamOptions
from asr.streaming import Committed, Partial
from asr.textnorm import normalize

__all__ = [
    "TARGETS",
    "ClipResult",
    "EvalClip",
    "LiveRun",
    "Targets",
    "load_clip",
    "merge_runs",
    "percentile",
    "simulate_live",
    "summarize",
    "wer",
    "words_in_silence",
]

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class Targets:
    """Issue 3's targets for the CPU default model."""

    wer_ratio: float = 1.15
    latency_p50_s: float = 3.0
    latency_p95_s: float = 5.0
    words_in_silence: int = 0
    cue_violations: int = 0


TARGETS = Targets()


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
    partials: list[tuple[float, Partial]] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    compute_s: float = 0.0
    steps: int = 0
    duration_s: float = 0.0


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
    # not part of the per-clip JSON (see to_json); kept for printing and the summary
    reference: str = ""
    streaming_text: str = ""
    offline_text: str = ""
    latencies: tuple[float, ...] = ()
    offline_rtf: float = 0.0
    offline_words_in_silence: int = 0
    cue_warnings: int = 0
    duration_s: float = 0.0
    # one entry per live run (``--repeat``; one for a single run): transcripts and commit latencies
    streaming_texts: tuple[str, ...] = ()
    run_latencies: tuple[tuple[float, ...], ...] = ()

    @property
    def runs(self) -> int:
        return len(self.streaming_texts)

    def to_json(self) -> dict[str, Any]:
        def r(x: float | None, n: int = 4) -> float | None:
            return None if x is None else round(x, n)

        return {
            "audio": self.audio,
            "wer_streaming": r(self.wer_streaming),
            "wer_offline": r(self.wer_offline),
            "latency_p50_s": r(self.latency_p50_s, 3),
            "latency_p95_s": r(self.latency_p95_s, 3),
            "first_partial_s": r(self.first_partial_s, 3),
            "rtf": r(self.rtf),
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


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile ``q`` (0-100); ``None`` for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def wer(reference: str, hypothesis: str) -> float | None:
    """Word error rate after German normalisation; ``None`` when the reference is empty."""
    ref = normalize(reference)
    if not ref:
        return None
    return float(jiwer.wer(ref, normalize(hypothesis)))


def words_in_silence(words: Sequence[Word], reference: str, silence: Sequence[tuple[float, float]]) -> int:
    """Every word for an empty reference, else the words centred inside a silent interval."""
    if not normalize(reference):
        return len(words)
    count = 0
    for word in words:
        middle = (word.start + word.end) / 2
        if any(a <= middle <= b for a, b in silence):
            count += 1
    return count


def simulate_live(
    samples: np.ndarray,
    transcriber: Any,
    cue_builder: CueBuilder,
    *,
    chunk_s: float = 0.1,
    timer: Callable[[], float] = time.perf_counter,
) -> LiveRun:
    """Run one clip through ``transcriber`` with a simulated real-time clock that counts compute time."""
    run = LiveRun(duration_s=samples.size / SAMPLE_RATE)
    chunk = max(1, int(round(chunk_s * SAMPLE_RATE)))
    total = samples.size
    clock = 0.0
    pushed = 0

    def record(events: Sequence[Any], at: float) -> None:
        committed: list[Word] = []
        for event in events:
            if isinstance(event, Committed):
                committed.extend(event.words)
                run.latencies.extend(max(0.0, at - w.end) for w in event.words)
            elif isinstance(event, Partial):
                run.partials.append((at, event))
                if event.text and run.first_partial_clock is None:
                    run.first_partial_clock = at
        run.words.extend(committed)
        run.cues.extend(cue_builder.add(committed, now=transcriber.speech_horizon))

    while True:
        # audio arrives chunk by chunk; the last, shorter chunk arrives at the end of the clip
        due = int(clock * SAMPLE_RATE + 1e-6)
        arrived = total if due >= total else due // chunk * chunk
        if arrived > pushed:
            transcriber.push_audio(samples[pushed:arrived])
            pushed = arrived
        if transcriber.ready():
            started = timer()
            events = transcriber.step()
            spent = timer() - started
            run.compute_s += spent
            run.steps += 1
            clock += spent
            record(events, clock)
            continue
        if pushed >= total:
            break
        clock = max(clock, min(total, (pushed // chunk + 1) * chunk) / SAMPLE_RATE)
    started = timer()
    events = transcriber.finish()
    spent = timer() - started
    run.compute_s += spent
    clock += spent
    record(events, clock)
    run.cues.extend(cue_builder.flush())
    return run


def clip_result(
    clip: EvalClip,
    live: LiveRun,
    *,
    offline_words: Sequence[Word],
    offline_compute_s: float,
    cue_options: CueOptions | None = None,
) -> ClipResult:
    violations = validate_cues(live.cues, cue_options)
    errors = sum(1 for v in violations if v.severity == "error")
    first_partial = None
    if live.first_partial_clock is not None:
        onset = live.words[0].start if live.words else next((p.start for _, p in live.partials if p.text), 0.0)
        first_partial = max(0.0, live.first_partial_clock - onset)
    streaming_text = join_words(live.words)
    offline_text = join_words(offline_words)
    duration = max(live.duration_s, 1e-9)
    return ClipResult(
        audio=str(clip.audio),
        wer_streaming=wer(clip.reference, streaming_text),
        wer_offline=wer(clip.reference, offline_text),
        latency_p50_s=percentile(live.latencies, 50),
        latency_p95_s=percentile(live.latencies, 95),
        first_partial_s=first_partial,
        rtf=live.compute_s / duration,
        words_in_silence=words_in_silence(live.words, clip.reference, clip.silence),
        cue_violations=errors,
        reference=clip.reference,
        streaming_text=streaming_text,
        offline_text=offline_text,
        latencies=tuple(live.latencies),
        streaming_texts=(streaming_text,),
        run_latencies=(tuple(live.latencies),),
        offline_rtf=offline_compute_s / duration,
        offline_words_in_silence=words_in_silence(offline_words, clip.reference, clip.silence),
        cue_warnings=len(violations) - errors,
        duration_s=live.duration_s,
    )


def merge_runs(runs: Sequence[ClipResult]) -> ClipResult:
    """One clip's results of several live runs (same clip, same offline result) pooled into one: WER over
    all transcripts, latency percentiles over all commits, mean RTF and first-partial latency, and words
    in silence and cue errors summed (each run must be clean for the target to hold)."""
    if not runs:
        raise ValueError("merge_runs needs at least one run")
    first = runs[0]
    texts = tuple(t for r in runs for t in r.streaming_texts)
    per_run = tuple(lat for r in runs for lat in r.run_latencies)
    latencies = tuple(x for lat in per_run for x in lat)
    firsts = [r.first_partial_s for r in runs if r.first_partial_s is not None]
    return dataclasses.replace(
        first,
        wer_streaming=_corpus_wer([(first.reference, t) for t in texts]),
        latency_p50_s=percentile(latencies, 50),
        latency_p95_s=percentile(latencies, 95),
        first_partial_s=sum(firsts) / len(firsts) if firsts else None,
        rtf=sum(r.rtf for r in runs) / len(runs),
        words_in_silence=sum(r.words_in_silence for r in runs),
        cue_violations=sum(r.cue_violations for r in runs),
        cue_warnings=sum(r.cue_warnings for r in runs),
        latencies=latencies,
        streaming_texts=texts,
        run_latencies=per_run,
    )


def _ratio(streaming: float | None, offline: float | None) -> float | None:
    if streaming is None or offline is None:
        return None
    return streaming / offline if offline > 0 else (1.0 if streaming == 0 else math.inf)


def _corpus_wer(pairs: Sequence[tuple[str, str]]) -> float | None:
    refs = [normalize(r) for r, _ in pairs]
    hyps = [normalize(h) for _, h in pairs]
    keep = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
    if not keep:
        return None
    return float(jiwer.wer([r for r, _ in keep], [h for _, h in keep]))


def summarize(
    results: Sequence[ClipResult], *, targets: Targets = TARGETS, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Pooled numbers over all clips and whether each target is met."""
    wer_s = _corpus_wer([(r.reference, t) for r in results for t in r.streaming_texts])
    wer_o = _corpus_wer([(r.reference, r.offline_text) for r in results])
    latencies = [x for r in results for x in r.latencies]
    runs = min((r.runs for r in results), default=1)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    firsts = [r.first_partial_s for r in results if r.first_partial_s is not None]
    audio_s = sum(r.duration_s for r in results)
    silence_words = sum(r.words_in_silence for r in results)
    violations = sum(r.cue_violations for r in results)
    ratio = _ratio(wer_s, wer_o)
    per_run = []
    for k in range(runs):  # the spread between runs: a single run's numbers are noisy (docs/benchmarks.md)
        run_lat = [x for r in results for x in r.run_latencies[k]]
        run_wer = _corpus_wer([(r.reference, r.streaming_texts[k]) for r in results])
        per_run.append((_ratio(run_wer, wer_o), percentile(run_lat, 50), percentile(run_lat, 95)))
    met = {
        "wer_ratio": ratio is not None and ratio <= targets.wer_ratio,
        "latency_p50_s": p50 is not None and p50 <= targets.latency_p50_s,
        "latency_p95_s": p95 is not None and p95 <= targets.latency_p95_s,
        "words_in_silence": silence_words <= targets.words_in_silence,
        "cue_violations": violations <= targets.cue_violations,
    }

    def r(x: float | None, n: int = 4) -> float | None:
        return None if x is None or math.isinf(x) else round(x, n)

    return {
        "clips": len(results),
        "runs": runs,
        "audio_s": round(audio_s, 2),
        "wer_streaming": r(wer_s),
        "wer_offline": r(wer_o),
        "wer_ratio": r(ratio),
        "latency_p50_s": r(p50, 3),
        "latency_p95_s": r(p95, 3),
        "first_partial_p50_s": r(percentile(firsts, 50), 3),
        "rtf_streaming": r(sum(x.rtf * x.duration_s for x in results) / audio_s if audio_s else None),
        "rtf_offline": r(sum(x.offline_rtf * x.duration_s for x in results) / audio_s if audio_s else None),
        "words_in_silence": silence_words,
        "offline_words_in_silence": sum(x.offline_words_in_silence for x in results),
        "cue_violations": violations,
        "cue_warnings": sum(x.cue_warnings for x in results),
        "targets": {
            "wer_ratio_max": targets.wer_ratio,
            "latency_p50_s_max": targets.latency_p50_s,
            "latency_p95_s_max": targets.latency_p95_s,
            "words_in_silence_max": targets.words_in_silence,
            "cue_violations_max": targets.cue_violations,
        },
        "per_run": [{"wer_ratio": r(q), "latency_p50_s": r(a, 3), "latency_p95_s": r(b, 3)} for q, a, b in per_run],
        "met": met,
        "all_met": all(met.values()),
        "options": options or {},
    }


def stream_options_for_eval(base: StreamOptions | None = None, **changes: Any) -> StreamOptions:
    """``base`` (default options) with the given fields replaced (for ``--min-chunk-s`` etc.)."""
    return dataclasses.replace(base or StreamOptions(), **{k: v for k, v in changes.items() if v is not None})


def offline_words(model: Any, samples: np.ndarray, options: StreamOptions) -> list[Word]:
    """The offline path: the whole clip through :func:`asr.transcribe.transcribe_audio` (as
    ``rathaus subtitles transcribe`` does), with the live stream's language and hotwords."""
    from asr.transcribe import TranscribeOptions, transcribe_audio

    offline = TranscribeOptions(
        language=options.language,
        hotwords=options.hotwords,
        initial_prompt=options.initial_prompt,
        guards=options.guards,
    )
    return list(transcribe_audio(samples, model, offline, source="eval").words)


def run_eval(
    clips: Sequence[EvalClip],
    *,
    model: Any,
    stream_options: StreamOptions,
    cue_options: CueOptions | None = None,
    chunk_s: float = 0.1,
    offline: Callable[[Any, np.ndarray, StreamOptions], Sequence[Word]] | None = None,
    on_clip: Callable[[ClipResult], None] | None = None,
    clock: str = "cpu",
    repeat: int = 1,
) -> list[ClipResult]:
    """Evaluate every clip with the (loaded) ``model``; ``on_clip`` sees each result as it is ready.

    ``repeat``: live runs per clip, pooled by :func:`merge_runs` (the offline path runs once: it is
    deterministic, while the live path depends on how long each step took).

    ``clock="cpu"`` counts the CPU time of this process as compute time (reproducible on a shared
    machine; with one CTranslate2 thread it equals the wall time of an idle core), ``"wall"`` counts
    elapsed time.
    """
    if clock not in ("cpu", "wall"):
        raise AsrError(f"clock must be 'cpu' or 'wall', got {clock!r}")
    if repeat < 1:
        raise AsrError(f"repeat must be at least 1, got {repeat}")
    timer = time.process_time if clock == "cpu" else time.perf_counter
    from asr.decoder import WhisperDecoder
    from asr.sources import read_pcm
    from asr.streaming import StreamingTranscriber

    decoder = WhisperDecoder(model)
    results: list[ClipResult] = []
    for clip in clips:
        samples = read_pcm(clip.audio).astype(np.float32) / 32768.0
        lives = []
        for _ in range(repeat):
            transcriber = StreamingTranscriber(decoder, options=stream_options)
            lives.append(simulate_live(samples, transcriber, CueBuilder(cue_options), chunk_s=chunk_s, timer=timer))
        started = timer()
        words = (offline or offline_words)(model, samples, stream_options)
        offline_s = timer() - started
        result = merge_runs(
            [
                clip_result(clip, live, offline_words=words, offline_compute_s=offline_s, cue_options=cue_options)
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
