"""Guards against Whisper's known failure modes, as pure functions over decode results.

A guard may drop only what it can show is not speech, and says so: every drop is a :class:`GuardDrop`
with its :class:`DropReason` and the words it removed, so callers log and count it (the live service as
``rathaus_asr_guard_drops_total{reason=...}``, the evaluation per clip). Nothing disappears silently.

- ``no_speech``: a *suspicious* segment (Whisper's own no-speech rule, a very low ``avg_logprob`` or a
  high ``compression_ratio``) is dropped only when the caller's speech check (Silero VAD over the
  segment's audio) finds no speech there. Low confidence alone is not proof: synthetic, accented or
  noisy speech decodes with low log probabilities, and a legit "Ja, ja, ja" compresses well. Without a
  speech check a suspicious segment is kept.
- ``blocklist``: a whole sentence that *is* a known German hallucination phrase ("Untertitelung des
  ZDF, 2020", "Vielen Dank fürs Zuschauen"), with an optional trailing year or broadcaster, compared
  after normalising case, punctuation and apostrophes. A sentence that merely contains such a phrase
  ("Ich sage vielen Dank fürs Zuschauen an alle am Livestream") is speech and stays.
- ``loop``: an n-gram repeated ``loop_min_repeats`` times in a row (single words
  ``loop_min_repeats_single`` times) is cut back to its first occurrence.

The fourth reason, ``recited`` (a hypothesis reciting recent committed text), belongs to the streaming
core, which knows the committed text (:mod:`asr.core.streaming`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from asr.core.decoder import DecodedSegment, DecodeResult, Word
from asr.core.options import GuardOptions

__all__ = [
    "DropReason",
    "GuardDrop",
    "GuardResult",
    "SpeechCheck",
    "apply_guards",
    "cut_repetition_loop",
    "find_blocklisted",
    "find_repetition_loop",
    "normalize_text",
    "normalize_word",
    "remove_blocklisted",
    "segment_is_suspicious",
]

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_BROADCASTERS = frozenset({"zdf", "ard", "swr", "wdr", "ndr", "mdr", "br", "funk", "zdfneo", "arte", "3sat"})
_SENTENCE_END = (".", "?", "!", "…")
_SPEECH_PAD_S = 0.2  # the speech check looks this far around a segment (word times are approximate)

SpeechCheck = Callable[[float, float], bool]
"""``check(start, end)``: True when the audio between these times (the decode result's time base) holds
speech. The live core and the file path bind Silero VAD over their audio."""


class DropReason(StrEnum):
    """Why words were dropped; the only reasons a guard may drop words for."""

    NO_SPEECH = "no_speech"  # the VAD finds no speech where the words were placed
    BLOCKLIST = "blocklist"  # a whole sentence equal to a known hallucination phrase
    LOOP = "loop"  # the repetitions of a looping n-gram
    RECITED = "recited"  # a run repeating recent committed text (streaming core)


@dataclass(frozen=True, slots=True)
class GuardDrop:
    """Words a guard removed, and why (times in the time base of the words)."""

    reason: DropReason
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def start(self) -> float:
        return self.words[0].start if self.words else 0.0

    @property
    def end(self) -> float:
        return self.words[-1].end if self.words else 0.0

    def shifted(self, offset: float) -> GuardDrop:
        return GuardDrop(self.reason, tuple(w.shifted(offset) for w in self.words))


@dataclass(frozen=True, slots=True)
class GuardResult:
    """The words that may be shown, and every drop with its reason."""

    words: tuple[Word, ...]
    drops: tuple[GuardDrop, ...] = ()


def normalize_text(text: str) -> str:
    """Case-folded text without punctuation or apostrophes, single-spaced (``fürs`` == ``für's``)."""
    text = unicodedata.normalize("NFC", text).replace("'", "").replace("’", "")
    text = _PUNCT.sub(" ", text.casefold())
    return _SPACE.sub(" ", text).strip()


def normalize_word(text: str) -> str:
    """One word compared without case and punctuation (``Haushalt,`` == ``haushalt``)."""
    return normalize_text(text).replace(" ", "")


def segment_is_suspicious(segment: DecodedSegment, options: GuardOptions) -> bool:
    """True for segments that *may* be silence, noise or a loop: Whisper's no-speech rule, a very low
    ``avg_logprob`` or a high ``compression_ratio``. Suspicion alone drops nothing (see the module)."""
    if segment.no_speech_prob > options.no_speech_threshold and segment.avg_logprob < options.logprob_threshold:
        return True
    if segment.avg_logprob < options.min_avg_logprob:
        return True
    return segment.compression_ratio > options.compression_ratio_threshold


@lru_cache(maxsize=32)
def _phrases(blocklist: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    phrases = {tuple(normalize_text(p).split()) for p in blocklist}
    # Longest first, so "untertitel im auftrag des zdf" wins over a shorter contained phrase.
    return tuple(sorted((p for p in phrases if p), key=len, reverse=True))


def _token_spans(words: Sequence[Word]) -> tuple[list[str], list[int]]:
    """Normalised tokens of the words and, per token, the index of the word it came from."""
    tokens: list[str] = []
    owner: list[int] = []
    for index, word in enumerate(words):
        for token in normalize_text(word.text).split():
            tokens.append(token)
            owner.append(index)
    return tokens, owner


def _is_sentence_end(word: Word) -> bool:
    return word.text.rstrip("\"'»«)”“").endswith(_SENTENCE_END)


def _is_credit_tail(tokens: Sequence[str]) -> bool:
    """A year or broadcaster after a credit phrase ("2020", "ZDF", "für funk")."""
    j = 0
    while j < len(tokens):
        if tokens[j].isdigit() or tokens[j] in _BROADCASTERS:
            j += 1
        elif tokens[j] == "für" and j + 1 < len(tokens) and tokens[j + 1] in _BROADCASTERS:
            j += 2
        else:
            return False
    return True


def find_blocklisted(words: Sequence[Word], blocklist: tuple[str, ...]) -> list[tuple[int, int]]:
    """Word index ranges ``[start, stop)`` of whole sentences that are a blocklisted phrase (plus a
    trailing year or broadcaster). Sentences end at ``.?!…`` and at the end of ``words``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for index, word in enumerate(words):
        if not (_is_sentence_end(word) or index == len(words) - 1):
            continue
        tokens, _owner = _token_spans(words[start : index + 1])
        for phrase in _phrases(blocklist):
            if tuple(tokens[: len(phrase)]) == phrase and _is_credit_tail(tokens[len(phrase) :]):
                spans.append((start, index + 1))
                break
        start = index + 1
    return spans


def remove_blocklisted(words: Sequence[Word], blocklist: tuple[str, ...]) -> tuple[Word, ...]:
    """The words without any sentence that is a blocklisted phrase."""
    spans = find_blocklisted(words, blocklist)
    if not spans:
        return tuple(words)
    drop = {k for start, stop in spans for k in range(start, stop)}
    return tuple(w for k, w in enumerate(words) if k not in drop)


def find_repetition_loop(
    words: Sequence[Word],
    *,
    max_ngram: int = 8,
    min_repeats: int = 3,
    min_repeats_single: int = 4,
) -> tuple[int, int] | None:
    """The first loop as ``(start, ngram)``: ``words[start:start+ngram]`` repeats right after itself.

    A loop is the same n-gram (compared normalised) at least ``min_repeats`` times in a row
    (``min_repeats_single`` for single words, as "sehr, sehr" or "nein, nein, nein" are real speech).
    """
    norm = [normalize_word(w.text) for w in words]
    n_words = len(norm)
    for start in range(n_words):
        for size in range(1, max_ngram + 1):
            needed = min_repeats_single if size == 1 else min_repeats
            if start + size * needed > n_words:
                break
            gram = norm[start : start + size]
            if not any(gram):
                continue
            repeats = 1
            pos = start + size
            while pos + size <= n_words and norm[pos : pos + size] == gram:
                repeats += 1
                pos += size
            if repeats >= needed:
                return start, size
    return None


def cut_repetition_loop(words: Sequence[Word], options: GuardOptions) -> tuple[Word, ...]:
    """Keep the first occurrence of a looping n-gram and drop its repetitions (repeatedly)."""
    out = list(words)
    while True:
        found = find_repetition_loop(
            out,
            max_ngram=options.loop_max_ngram,
            min_repeats=options.loop_min_repeats,
            min_repeats_single=options.loop_min_repeats_single,
        )
        if found is None:
            return tuple(out)
        start, size = found
        gram = [normalize_word(w.text) for w in out[start : start + size]]
        stop = start + size
        while stop + size <= len(out) and [normalize_word(w.text) for w in out[stop : stop + size]] == gram:
            stop += size
        del out[start + size : stop]


def _cut_loops(words: Sequence[Word], options: GuardOptions) -> tuple[tuple[Word, ...], list[GuardDrop]]:
    kept = cut_repetition_loop(words, options)
    if len(kept) == len(words):
        return tuple(words), []
    ids = {id(w) for w in kept}
    drops: list[GuardDrop] = []
    run: list[Word] = []
    for word in words:
        if id(word) in ids:
            if run:
                drops.append(GuardDrop(DropReason.LOOP, tuple(run)))
                run = []
        else:
            run.append(word)
    if run:
        drops.append(GuardDrop(DropReason.LOOP, tuple(run)))
    return kept, drops


def apply_guards(
    result: DecodeResult, options: GuardOptions, *, has_speech: SpeechCheck | None = None
) -> GuardResult:
    """All guards over one decode result: the words that may be shown and each drop with its reason.

    ``has_speech`` (see :data:`SpeechCheck`) is asked about suspicious segments only; without it they
    are kept, since nothing shows that they are not speech.
    """
    kept: list[Word] = []
    drops: list[GuardDrop] = []
    for segment in result.segments:
        words = list(segment.words)
        if not words:
            continue
        if (
            has_speech is not None
            and segment_is_suspicious(segment, options)
            and not has_speech(max(0.0, segment.start - _SPEECH_PAD_S), segment.end + _SPEECH_PAD_S)
        ):
            drops.append(GuardDrop(DropReason.NO_SPEECH, tuple(words)))
            continue
        if options.blocklist:
            spans = find_blocklisted(words, options.blocklist)
            for start, stop in spans:
                drops.append(GuardDrop(DropReason.BLOCKLIST, tuple(words[start:stop])))
            if spans:
                dropped = {k for start, stop in spans for k in range(start, stop)}
                words = [w for k, w in enumerate(words) if k not in dropped]
        kept.extend(words)
    final, loop_drops = _cut_loops(kept, options)
    drops.extend(loop_drops)
    return GuardResult(final, tuple(drops))
