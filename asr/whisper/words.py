"""Words and their times from a CTranslate2 Whisper alignment (the read-out behind ``Whisper.align``).

CTranslate2's ``align`` gives, for a token sequence, the DTW path through the cross-attention (text index,
time index pairs) and each token's probability. :func:`word_timings` cuts that into words at the tokenizer's
word boundaries (as openai-whisper and faster-whisper do); :func:`merge_punctuation` joins punctuation to
its word; :func:`shorten_at_sentences` and :func:`shorten_first_word` are faster-whisper's word-length
heuristics for a window decoded without a prefix; :func:`after_prefix` keeps the words after a forced
prefix. Used by :mod:`asr.whisper.step`; pure apart from the tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from faster_whisper.tokenizer import Tokenizer

__all__ = [
    "Timing",
    "after_prefix",
    "merge_punctuation",
    "shorten_at_sentences",
    "shorten_first_word",
    "word_timings",
]

_TOKENS_PER_SECOND = 50  # encoder frames per second (stride 2)
# faster-whisper's defaults: punctuation merged into the neighbouring word by the alignment
_PREPEND_PUNCTUATION = "\"'“¿([{-"
_APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、"
_SENTENCE_END = ".。!！?？"


@dataclass(slots=True)
class Timing:
    """One aligned word: its text (with its leading space), tokens, times in seconds and mean probability."""

    word: str
    tokens: list[int]
    start: float
    end: float
    probability: float


def word_timings(tokenizer: Tokenizer, tokens: list[int], alignment: Any) -> list[Timing]:
    """Words of ``tokens`` with their times from a CTranslate2 alignment (openai-whisper's DTW read-out)."""
    words, word_tokens = tokenizer.split_to_word_tokens(tokens + [tokenizer.eot])
    if len(word_tokens) <= 1:
        return []
    pairs = np.array(alignment.alignments, dtype=np.int64).reshape(-1, 2)
    text_indices, time_indices = pairs[:, 0], pairs[:, 1]
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    jump_times = time_indices[jumps] / _TOKENS_PER_SECOND
    bounds = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
    probs = np.asarray(alignment.text_token_probs, dtype=np.float64)
    return [
        Timing(word, list(toks), float(jump_times[a]), float(jump_times[b]),
                float(np.mean(probs[a:b])) if b > a else 0.0)
        for word, toks, a, b in zip(words, word_tokens, bounds[:-1], bounds[1:], strict=False)
    ]


def shorten_at_sentences(timings: list[Timing]) -> float | None:
    """faster-whisper's word-timestamp heuristic for a window decoded without prefix: a word at a sentence
    boundary is at most twice the median word duration long. Returns that median (None: no durations)."""
    durations = np.array([t.end - t.start for t in timings])
    durations = durations[durations.nonzero()]
    if not len(durations):
        return None
    median = min(0.7, float(np.median(durations)))
    longest = median * 2
    for i in range(1, len(timings)):
        if timings[i].end - timings[i].start > longest:
            if timings[i].word in _SENTENCE_END:
                timings[i].end = timings[i].start + longest
            elif timings[i - 1].word in _SENTENCE_END:
                timings[i].start = timings[i].end - longest
    return median


def shorten_first_word(timings: list[Timing], median: float) -> None:
    """... and the first word of the window (after leading silence) as well (faster-whisper's rule)."""
    longest = median * 2
    spoken = [t for t in timings if t.word]
    if spoken and spoken[0].end > median * 4 and (
        spoken[0].end - spoken[0].start > longest
        or (len(spoken) > 1 and spoken[1].end - spoken[0].start > longest * 2)
    ):
        if len(spoken) > 1 and spoken[1].end - spoken[1].start > longest:
            boundary = max(spoken[1].end / 2, spoken[1].end - longest)
            spoken[0].end = spoken[1].start = boundary
        spoken[0].start = max(0.0, spoken[0].end - longest)


def merge_punctuation(timings: list[Timing]) -> None:
    """Opening punctuation joins the next word, closing punctuation the previous one (tokens too)."""
    j = len(timings) - 1
    for i in range(len(timings) - 2, -1, -1):
        before, after = timings[i], timings[j]
        if before.word.startswith(" ") and before.word.strip() in _PREPEND_PUNCTUATION:
            after.word, after.tokens = before.word + after.word, before.tokens + after.tokens
            before.word, before.tokens = "", []
        else:
            j = i
    i = 0
    for j in range(1, len(timings)):
        before, after = timings[i], timings[j]
        if not before.word.endswith(" ") and after.word in _APPEND_PUNCTUATION:
            before.word, before.tokens = before.word + after.word, before.tokens + after.tokens
            after.word, after.tokens = "", []
        else:
            i = j


def after_prefix(
    tokenizer: Tokenizer, timings: list[Timing], prefix_len: int, *, rounded: bool
) -> list[tuple[str, float, float, float]]:
    """(text, start, end, probability) of the words after the first ``prefix_len`` tokens; a word that
    straddles the boundary keeps its new part."""
    items: list[tuple[str, float, float, float]] = []
    seen = 0
    for timing in timings:
        before, seen = seen, seen + len(timing.tokens)
        if seen <= prefix_len or not timing.word:
            continue
        text = timing.word
        if before < prefix_len:
            text = tokenizer.decode(timing.tokens[prefix_len - before :])
        start, end = (round(timing.start, 2), round(timing.end, 2)) if rounded else (timing.start, timing.end)
        items.append((text, start, end, timing.probability))
    return items
