"""Our own Whisper decode step on CTranslate2, for one stream or a batch of streams.

:class:`BatchDecoder` decodes a live buffer the way :class:`~asr.whisper.engine.WhisperDecoder` does through
faster-whisper's ``transcribe()``, but calls CTranslate2's Whisper API directly
(``ctranslate2.models.Whisper.encode`` / ``generate`` / ``align`` / ``detect_language``), so nothing of
faster-whisper is patched and several streams' buffers can go through one encoder call and one decoder call
(:meth:`BatchDecoder.decode_batch`):

1. *Features*: faster-whisper's ``FeatureExtractor`` (log-Mel, 10 ms frames), the last frame dropped as
   faster-whisper does, zero-padded to the short encoder window (:func:`encoder_frames`:
   buffer + ``encoder_pad_s``, at least ``encoder_min_window_s``, rounded up to whole seconds).
2. *Prompt*: ``<|startofprev|>`` + hotwords (without a prefix) + initial prompt + committed-text prompt, then
   ``<|startoftranscript|><|de|><|transcribe|>``, ``<|notimestamps|>``, then the forced prefix (the committed
   words still in the buffer), as faster-whisper's ``get_prompt`` builds it for our options.
3. *Generate*: beam search at the first temperature, then temperature fallback while the compression ratio
   or the average log probability miss the guard thresholds (faster-whisper's rule, no "no speech" skip: the
   guards decide); ``max_tokens_per_s`` caps the new tokens.
4. *Align*: prefix and new tokens are aligned together (cross-attention + DTW in CTranslate2), the words are
   cut at token boundaries, punctuation is merged into its word, and only the words after the prefix are
   kept (:mod:`asr.whisper.words`).

**Batching.** All requests of a batch are encoded in one call, padded with zeros to the longest window of the
batch (a stream's encoder then sees more padding than alone; ``docs/asr.md`` says what that changes), and
generated in one call. CTranslate2 needs ``<|startoftranscript|>`` at the same position in every prompt of a
call, so the previous-text part of the prompts is cut, oldest tokens first, to the shortest in the call;
requests that would lose more than :data:`MAX_PROMPT_TRIM` tokens, or whose window is more than
:data:`MAX_WINDOW_SPREAD` frames longer than the shortest of the call, go to another call. One ``max_length``
serves the call; each result is then cut to its own request's cap. A failing call is retried request by
request, so one stream's bad input fails only that stream.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from asr.core.decoder import (
    SAMPLE_RATE,
    DecodedSegment,
    DecodeRequest,
    DecodeResult,
    check_audio,
    join_word_pieces,
)
from asr.core.options import StreamOptions
from asr.whisper.words import after_prefix, merge_punctuation, shorten_at_sentences, shorten_first_word, word_timings

__all__ = [
    "MAX_PROMPT_TRIM",
    "MAX_WINDOW_SPREAD",
    "WINDOW_STEP_FRAMES",
    "BatchDecoder",
    "DecodeRequest",
    "compression_ratio",
    "encoder_frames",
]

log = logging.getLogger(__name__)

#: previous-text tokens a request may lose so that it can share a generate call (see the module docstring)
MAX_PROMPT_TRIM = 16
#: encoder frames (10 ms) by which the windows of one call may differ: padding a short window to a much
#: longer one costs more than the batch saves (docs/benchmarks.md, "Batched decode step")
MAX_WINDOW_SPREAD = 200
_WINDOW_FRAMES = 3000  # Whisper's 30 s window in 10 ms frames
_MAX_INITIAL_TIMESTAMP_INDEX = 50  # faster-whisper's default (1.0 s / 0.02 s)


def compression_ratio(text: str) -> float:
    """Bytes of ``text`` over bytes of its zlib compression (Whisper's loop measure)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


@dataclass(slots=True)
class _Plan:
    """What one request needs for the CTranslate2 calls (built by :meth:`BatchDecoder._plan`)."""

    index: int
    options: StreamOptions
    language: str
    tokenizer: Tokenizer
    features: np.ndarray  # [n_mels, window frames]
    previous: list[int]  # <|startofprev|> + previous-text tokens, or empty
    start: list[int]  # sot sequence + <|notimestamps|>
    prefix_tokens: list[int]
    max_new: int
    align_frames: int  # content frames the alignment sees
    samples: int

    @property
    def key(self) -> tuple[object, ...]:
        """Requests with the same key can share a generate call (same start sequence and search)."""
        o = self.options
        return (tuple(self.tokenizer.sot_sequence), o.beam_size, o.temperatures)

    def prompt(self, keep_previous: int) -> list[int]:
        previous = self.previous[len(self.previous) - keep_previous :] if keep_previous else []
        if previous:
            previous[0] = self.tokenizer.sot_prev
        return previous + self.start + self.prefix_tokens

    @property
    def cap(self) -> int:
        """Tokens CTranslate2 returns at most for this request alone (the prefix included)."""
        return len(self.prefix_tokens) + self.max_new - 1


class BatchDecoder:
    """:class:`~asr.core.decoder.Decoder` on CTranslate2's Whisper API, with :meth:`decode_batch` for many streams.

    Shares the ``WhisperModel``'s CTranslate2 model, feature extractor and tokenizer (nothing is loaded
    twice). Thread-safe; CTranslate2 releases the GIL while it computes.
    """

    accepts_prefix = True

    def __init__(self, model: WhisperModel) -> None:
        self._model = model
        self._ct2: ctranslate2.models.Whisper = model.model
        self._features = model.feature_extractor
        self._max_length = int(getattr(model, "max_length", 448))
        self._lock = threading.Lock()
        self._tokenizers: dict[str, Tokenizer] = {}
        self._suppress: dict[str, list[int]] = {}
        self.calls = 0
        self.batches = 0
        self.audio_seconds = 0.0

    @property
    def model(self) -> WhisperModel:
        return self._model

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions, prefix: str = "") -> DecodeResult:
        """Decode one buffer (a batch of one); raises what decoding it raised."""
        result = self.decode_batch([DecodeRequest(audio, prompt, options, prefix)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult | Exception]:
        """Decode several streams' buffers together; one result (or the exception it raised) per request."""
        results: list[DecodeResult | Exception] = [DecodeResult()] * len(requests)
        plans: list[_Plan] = []
        for index, request in enumerate(requests):
            try:
                plan = self._plan(index, request)
            except Exception as exc:  # noqa: BLE001 - reported to that request's stream only
                results[index] = exc
                continue
            if plan is not None:
                plans.append(plan)
        for group in _groups(plans):
            try:
                for plan, result in zip(group, self._run(group), strict=True):
                    results[plan.index] = result
            except Exception as exc:  # noqa: BLE001 - retried alone so that one bad request fails alone
                if len(group) == 1:
                    results[group[0].index] = exc
                    continue
                log.warning("asr.decode.batch_failed size=%d error=%s; decoding one by one", len(group), exc)
                for plan in group:
                    try:
                        results[plan.index] = self._run([plan])[0]
                    except Exception as single:  # noqa: BLE001
                        results[plan.index] = single
        with self._lock:
            self.calls += len(requests)
            self.batches += 1
            self.audio_seconds += sum(r.audio.size for r in requests) / SAMPLE_RATE
        return self._continued(requests, results)

    def _continued(
        self, requests: Sequence[DecodeRequest], results: list[DecodeResult | Exception]
    ) -> list[DecodeResult | Exception]:
        """A stream's last decode (``single_window`` off) goes on after the last word, as faster-whisper's
        window loop does: when Whisper ends the text before the audio ends, the features from the last
        word's frame on are decoded as a new window (no prompt, no prefix, the same token cap) and its
        words are appended."""
        for index, (request, result) in enumerate(zip(requests, results, strict=True)):
            if request.options.single_window or not isinstance(result, DecodeResult) or result.prefixed:
                continue
            try:
                results[index] = self._windows_after(index, request, result)
            except Exception as exc:  # noqa: BLE001 - that stream's decode failed
                results[index] = exc
        return results

    def _windows_after(self, index: int, request: DecodeRequest, result: DecodeResult) -> DecodeResult:
        audio = check_audio(request.audio, where="BatchDecoder.decode")
        mel = self._features(audio)[:, :-1]
        options = dataclasses.replace(request.options, initial_prompt=None)
        max_new = max(24, int(options.max_tokens_per_s * audio.size / SAMPLE_RATE))
        segments = list(result.segments)
        seek = 0
        while True:
            words = [w for seg in segments for w in seg.words]
            new_seek = int(round(words[-1].end * 100)) if words else 0
            if new_seek <= seek or new_seek >= mel.shape[-1]:
                return DecodeResult(tuple(segments))
            seek = new_seek
            rest = DecodeRequest(audio[seek * 160 :], "", options)
            plan = self._plan(index, rest, mel=mel[:, seek : seek + _WINDOW_FRAMES], max_new=max_new)
            extra = self._run([plan])[0] if plan is not None else DecodeResult()
            if not extra.segments:
                return DecodeResult(tuple(segments))
            offset = seek / 100
            segments.extend(
                dataclasses.replace(seg, words=tuple(w.shifted(offset) for w in seg.words)) for seg in extra.segments
            )

    # ------------------------------------------------------------------ planning
    def _tokenizer(self, language: str) -> Tokenizer:
        with self._lock:
            tokenizer = self._tokenizers.get(language)
            if tokenizer is None:
                tokenizer = Tokenizer(self._model.hf_tokenizer, self._ct2.is_multilingual, "transcribe", language)
                self._tokenizers[language] = tokenizer
                self._suppress[language] = sorted(
                    set(tokenizer.non_speech_tokens)
                    | {tokenizer.transcribe, tokenizer.translate, tokenizer.sot, tokenizer.sot_prev,
                       tokenizer.sot_lm, tokenizer.no_speech}
                )
        return tokenizer

    def _plan(
        self, index: int, request: DecodeRequest, *, mel: np.ndarray | None = None, max_new: int | None = None
    ) -> _Plan | None:
        """What ``request`` needs for the CTranslate2 calls; ``mel``/``max_new``: a later window's features
        and the token cap of the first window (:meth:`_windows_after`)."""
        audio = check_audio(request.audio, where="BatchDecoder.decode")
        if audio.size == 0:
            return None
        options = request.options
        if mel is None:
            mel = self._features(audio)[:, :-1]  # faster-whisper drops the last frame too
        if mel.shape[-1] > _WINDOW_FRAMES:
            seconds = audio.size / SAMPLE_RATE
            log.warning("asr.decode.long_buffer seconds=%.1f; only the first 30 s are decoded", seconds)
            mel = mel[:, :_WINDOW_FRAMES]
        content = mel.shape[-1]
        language = options.language or self._detect_language(mel)
        tokenizer = self._tokenizer(language)
        half = self._max_length // 2
        prefix = " ".join(request.prefix.split())
        prefix_tokens = tokenizer.encode(" " + prefix) if prefix else []
        if len(prefix_tokens) >= half:  # too long to force: decode plainly (as WhisperDecoder)
            prefix, prefix_tokens = "", []
        # With a prefix faster-whisper would drop the hotwords, so they lead the prompt instead (as before).
        parts = (options.hotwords if prefix else None, options.initial_prompt, request.prompt)
        text = " ".join(p for p in parts if p)
        previous = tokenizer.encode(" " + text.strip())[-(half - 1) :] if text else []
        if options.hotwords and not prefix:
            hot = tokenizer.encode(" " + options.hotwords.strip())[: half - 1]
            previous = hot + previous
        start = list(tokenizer.sot_sequence)
        if options.without_timestamps or prefix:
            start.append(tokenizer.no_timestamps)
        if max_new is None:
            max_new = max(24, int(options.max_tokens_per_s * audio.size / SAMPLE_RATE))
        if prefix:
            room = self._max_length - (min(len(previous), half - 1) + 1 + len(start) + len(prefix_tokens)) - 1
            max_new = max(1, min(max_new, room))
        pad = _WINDOW_FRAMES if options.encoder_pad_s is None else int(round(options.encoder_pad_s * 100))
        keep = _window_frames(content, pad, int(round(options.encoder_min_window_s * 100)))
        features = np.zeros((mel.shape[0], keep), dtype=np.float32)
        features[:, : min(content, keep)] = mel[:, :keep]
        return _Plan(
            index=index,
            options=options,
            language=language,
            tokenizer=tokenizer,
            features=features,
            previous=[tokenizer.sot_prev, *previous] if previous else [],
            start=start,
            prefix_tokens=prefix_tokens,
            max_new=max_new,
            # the alignment's content frames, as faster-whisper and WhisperDecoder count them
            align_frames=min(audio.size // 160, _WINDOW_FRAMES) if prefix else min(content, _WINDOW_FRAMES),
            samples=audio.size,
        )

    def _detect_language(self, mel: np.ndarray) -> str:
        window = np.zeros((1, mel.shape[0], _WINDOW_FRAMES), dtype=np.float32)
        window[0, :, : mel.shape[-1]] = mel
        encoded = self._ct2.encode(ctranslate2.StorageView.from_array(window))
        token, _probability = self._ct2.detect_language(encoded)[0][0]
        return str(token[2:-2])

    # ------------------------------------------------------------------ one CTranslate2 call per group
    def _run(self, group: Sequence[_Plan]) -> list[DecodeResult]:
        frames = max(p.features.shape[-1] for p in group)
        batch = np.zeros((len(group), group[0].features.shape[0], frames), dtype=np.float32)
        for row, plan in enumerate(group):
            batch[row, :, : plan.features.shape[-1]] = plan.features
        encoded = self._ct2.encode(ctranslate2.StorageView.from_array(batch))
        keep_previous = min(len(p.previous) for p in group)
        prompts = [p.prompt(keep_previous) for p in group]
        chosen = self._generate_with_fallback(group, encoded, batch, prompts)
        return self._results(group, encoded, chosen)

    def _generate_with_fallback(
        self, group: Sequence[_Plan], encoded: Any, batch: np.ndarray, prompts: list[list[int]]
    ) -> list[tuple[list[int], float, float, float, float]]:
        """Per plan: (tokens, avg logprob, temperature, compression ratio, no-speech probability)."""
        options = group[0].options
        guards = options.guards
        tokenizer = group[0].tokenizer
        suppress = self._suppress[group[0].language]
        tried: list[list[tuple[list[int], float, float, float, float]]] = [[] for _ in group]
        pending = list(range(len(group)))
        for temperature in options.temperatures:
            if temperature > 0:
                search: dict[str, Any] = {"beam_size": 1, "num_hypotheses": max(1, options.beam_size),
                                          "sampling_topk": 0, "sampling_temperature": temperature}
            else:
                search = {"beam_size": options.beam_size, "patience": 1.0}
            features = encoded if len(pending) == len(group) else ctranslate2.StorageView.from_array(
                np.ascontiguousarray(batch[pending])
            )
            lengths = [len(prompts[i]) + group[i].max_new for i in pending]
            outputs = self._ct2.generate(
                features,
                [prompts[i] for i in pending],
                length_penalty=1.0,
                repetition_penalty=1.0,
                no_repeat_ngram_size=0,
                max_length=min(max(lengths), self._max_length),
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=suppress,
                max_initial_timestamp_index=_MAX_INITIAL_TIMESTAMP_INDEX,
                **search,
            )
            still: list[int] = []
            for i, output in zip(pending, outputs, strict=True):
                tokens = list(output.sequences_ids[0])
                avg_logprob = output.scores[0] * len(tokens) / (len(tokens) + 1)
                tokens = tokens[: group[i].cap]  # its own cap (the call's max_length served the longest)
                ratio = compression_ratio(tokenizer.decode(tokens).strip())
                tried[i].append((tokens, avg_logprob, temperature, ratio, float(output.no_speech_prob)))
                loop_limit, logprob_limit = guards.compression_ratio_threshold, guards.logprob_threshold
                too_repetitive = loop_limit is not None and ratio > loop_limit
                too_unsure = logprob_limit is not None and avg_logprob < logprob_limit
                if too_repetitive or too_unsure:
                    still.append(i)
            pending = still
            if not pending:
                break
        chosen = [attempts[-1] for attempts in tried]
        for i in pending:  # every temperature failed: the most probable result, preferring no loop
            threshold = guards.compression_ratio_threshold
            fine = [a for a in tried[i] if threshold is None or a[3] <= threshold] or tried[i]
            best = max(fine, key=lambda a: a[1])
            chosen[i] = (best[0], best[1], tried[i][-1][2], best[3], best[4])
        return chosen

    def _results(
        self, group: Sequence[_Plan], encoded: Any, chosen: list[tuple[list[int], float, float, float, float]]
    ) -> list[DecodeResult]:
        texts: list[list[int]] = []
        for plan, (tokens, *_rest) in zip(group, chosen, strict=True):
            eot = plan.tokenizer.eot
            tokens = [t for t in tokens if t < eot]
            if plan.prefix_tokens and tokens[: len(plan.prefix_tokens)] != plan.prefix_tokens:
                tokens = plan.prefix_tokens + tokens  # CTranslate2 returns the prefix; keep it if it did not
            texts.append(tokens)
        needs = [len(t) > len(p.prefix_tokens) for t, p in zip(texts, group, strict=True)]
        alignments: list[Any] = [None] * len(group)
        if any(needs):
            aligned = self._ct2.align(
                encoded,
                list(group[0].tokenizer.sot_sequence),
                [t if need else [] for t, need in zip(texts, needs, strict=True)],
                [p.align_frames for p in group],
                median_filter_width=7,
            )
            alignments = list(aligned)
        results: list[DecodeResult] = []
        for plan, tokens, alignment, need, choice in zip(group, texts, alignments, needs, chosen, strict=True):
            prefixed = bool(plan.prefix_tokens)
            if not need:
                results.append(DecodeResult(prefixed=prefixed))
                continue
            timings = word_timings(plan.tokenizer, tokens, alignment)
            median = shorten_at_sentences(timings) if not prefixed else None
            merge_punctuation(timings)
            if median is not None:
                shorten_first_word(timings, median)
            items = after_prefix(plan.tokenizer, timings, len(plan.prefix_tokens), rounded=not prefixed)
            _tokens, avg_logprob, temperature, ratio, no_speech = choice
            words = join_word_pieces(items)
            if not prefixed and (not words or words[0].start == words[-1].end):
                results.append(DecodeResult())  # faster-whisper drops a segment that starts where it ends
                continue
            segment = DecodedSegment(words, no_speech_prob=no_speech, avg_logprob=avg_logprob,
                                     compression_ratio=ratio, temperature=temperature)
            results.append(DecodeResult((segment,), prefixed=prefixed))
        return results


#: The short window's length is rounded up to whole seconds (100 feature frames of 10 ms). CTranslate2
#: keeps memory per distinct input length: at 10 ms steps a 30-minute meeting decoded hundreds of lengths
#: and the process grew by 489 MB (`rathaus asr soak`, docs/benchmarks.md); whole seconds give at most 30.
WINDOW_STEP_FRAMES = 100


def encoder_frames(frames: int, content: int, *, pad_frames: int, min_frames: int,
                   step_frames: int = WINDOW_STEP_FRAMES) -> int:
    """How many of ``frames`` feature frames the short window keeps for ``content`` frames of audio: the
    audio plus ``pad_frames``, at least ``min_frames``, rounded up to ``step_frames`` (even: the encoder's
    stride is 2 frames), never more than ``frames``."""
    keep = max(min_frames, content + pad_frames)
    keep = -(-keep // step_frames) * step_frames
    keep += keep % 2
    return min(keep, frames)


def _window_frames(content: int, pad: int, minimum: int) -> int:
    return encoder_frames(_WINDOW_FRAMES, content, pad_frames=pad, min_frames=minimum)


def _groups(plans: Sequence[_Plan]) -> list[list[_Plan]]:
    """Plans that share a CTranslate2 call: the same key, windows at most MAX_WINDOW_SPREAD apart (padding to
    the longest costs compute and changes results) and previous-text lengths at most MAX_PROMPT_TRIM apart."""
    by_key: dict[tuple[object, ...], list[_Plan]] = {}
    for plan in plans:
        by_key.setdefault(plan.key, []).append(plan)
    groups: list[list[_Plan]] = []
    for members in by_key.values():
        open_groups: list[list[_Plan]] = []
        for plan in sorted(members, key=lambda p: p.features.shape[-1]):
            for group in open_groups:
                window_ok = plan.features.shape[-1] - group[0].features.shape[-1] <= MAX_WINDOW_SPREAD
                previous = [len(p.previous) for p in group] + [len(plan.previous)]
                if window_ok and max(previous) - min(previous) <= MAX_PROMPT_TRIM:
                    group.append(plan)
                    break
            else:
                open_groups.append([plan])
        groups.extend(open_groups)
    return groups
