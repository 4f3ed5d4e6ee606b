"""Guards against Whisper's known failure modes, as pure functions over decode results.

- silence/noise: a segment with high ``no_speech_prob`` and low ``avg_logprob`` (Whisper's own rule),
  or a very low ``avg_logprob``, is dropped;
- loops: a segment whose ``compression_ratio`` is too high is dropped, and an n-gram repeated
  ``loop_min_repeats`` times in a row is cut back to one occurrence;
- phantom credits: known German hallucination phrases ("Untertitelung des ZDF, 2020", "Vielen Dank
  fürs Zuschauen") are cut out, with a trailing year or broadcaster, after normalising case,
  punctuation and apostrophes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from asr.decoder import DecodedSegment, DecodeResult, Word
from asr.options import GuardOptions

__all__ = [
    "apply_guards",
    "cut_repetition_loop",
    "find_blocklisted",
    "find_repetition_loop",
    "normalize_text",
    "normalize_word",
    "remove_blocklisted",
    "segment_passes",
]

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_BROADCASTERS = frozenset({"zdf", "ard", "swr", "wdr", "ndr", "mdr", "br", "funk", "zdfneo", "arte", "3sat"})


def normalize_text(text: str) -> str:
    """Case-folded text without punctuation or apostrophes, single-spaced (``fürs`` == ``für's``)."""
    text = unicodedata.normalize("NFC", text).replace("'", "").replace("’", "")
    text = _PUNCT.sub(" ", text.casefold())
    return _SPACE.sub(" ", text).strip()


def normalize_word(text: str) -> str:
    """One word compared without case and punctuation (``Haushalt,`` == ``haushalt``)."""
    return normalize_text(text).replace(" ", "")


def segment_passes(segment: DecodedSegment, options: GuardOptions) -> bool:
    """False for segments that look like silence/noise or a decoding loop."""
    if segment.no_speech_prob > options.no_speech_threshold and segment.avg_logprob < options.logprob_threshold:
        return False
    if segment.avg_logprob < options.min_avg_logprob:
        return False
    return segment.compression_ratio <= options.compression_ratio_threshold


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


def find_blocklisted(words: Sequence[Word], blocklist: tuple[str, ...]) -> list[tuple[int, int]]:
    """Word index ranges ``[start, stop)`` covered by blocklisted phrases (plus a trailing year)."""
    tokens, owner = _token_spans(words)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        for phrase in _phrases(blocklist):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                j = i + len(phrase)
                while j < len(tokens):
                    if tokens[j].isdigit() or tokens[j] in _BROADCASTERS:
                        j += 1
                    elif tokens[j] == "für" and j + 1 < len(tokens) and tokens[j + 1] in _BROADCASTERS:
                        j += 2
                    else:
                        break
                spans.append((owner[i], owner[j - 1] + 1))
                i = j
                break
        else:
            i += 1
    return spans


def remove_blocklisted(words: Sequence[Word], blocklist: tuple[str, ...]) -> tuple[Word, ...]:
    """The words without any blocklisted phrase."""
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


def apply_guards(result: DecodeResult, options: GuardOptions) -> tuple[Word, ...]:
    """All guards over one decode result: the words that may be shown."""
    kept = [w for seg in result.segments if segment_passes(seg, options) for w in seg.words]
    if options.blocklist:
        kept = list(remove_blocklisted(kept, options.blocklist))
    return cut_repetition_loop(kept, options)
