"""The numbers of the subtitle evaluation, as pure functions over texts and words.

WER (jiwer over :func:`asr.core.textnorm.normalize`d text), the longest run of reference words missing
from an output, words emitted in silence, percentiles. Used by :mod:`asr.eval.evaluate` per clip and by
the pooled report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jiwer
import numpy as np

from asr.core.decoder import Word
from asr.core.textnorm import normalize

__all__ = [
    "corpus_wer", "longest_missing_run", "percentile", "round_or_none", "silent_words", "wer", "words_in_silence",
]


def round_or_none(x: float | None, n: int = 4) -> float | None:
    """``x`` rounded for a report; ``None`` for no value, infinity or NaN."""
    return None if x is None or math.isinf(x) or math.isnan(x) else round(x, n)


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
    return len(silent_words(words, reference, silence))


def silent_words(words: Sequence[Word], reference: str, silence: Sequence[tuple[float, float]]) -> list[Word]:
    """The words :func:`words_in_silence` counts, to show them."""
    if not normalize(reference):
        return list(words)
    return [w for w in words if any(a <= (w.start + w.end) / 2 <= b for a, b in silence)]


def longest_missing_run(reference: str, hypothesis: str) -> int:
    """The longest run of consecutive reference words missing from ``hypothesis`` (jiwer's alignment,
    German normalisation): deletions count, a matched or substituted word ends the run, inserted words
    do not. A dropped sentence shows here even when the WER looks moderate."""
    ref = normalize(reference)
    if not ref:
        return 0
    hyp = normalize(hypothesis)
    if not hyp:
        return len(ref.split())
    out = jiwer.process_words(ref, hyp)
    longest = run = 0
    for chunk in out.alignments[0]:
        if chunk.type == "delete":
            run += chunk.ref_end_idx - chunk.ref_start_idx
            longest = max(longest, run)
        elif chunk.type in ("equal", "substitute"):
            run = 0
    return longest

def corpus_wer(pairs: Sequence[tuple[str, str]]) -> float | None:
    """WER pooled over (reference, hypothesis) pairs; pairs with an empty reference are left out."""
    refs = [normalize(r) for r, _ in pairs]
    hyps = [normalize(h) for _, h in pairs]
    keep = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
    if not keep:
        return None
    return float(jiwer.wer([r for r, _ in keep], [h for _, h in keep]))
