"""Sans-I/O cue builder: committed words with timestamps in, subtitle cues by German broadcast rules out.

Rules (ARD/ZDF Untertitel-Standards, see :class:`~asr.core.options.CueOptions`): at most 2 lines of at most
37 characters; lines break at natural boundaries (after punctuation, before a conjunction, never after
an article or a preposition that binds the next word); at least 1 s on screen; reading speed aimed at
15 characters per second, display extended where the next cue allows it; no overlaps; a cue ends at a
sentence end where possible. Words longer than a line are hyphenated across pieces.

Live emission: a cue is emitted as soon as it is complete: at a sentence end, when the next word no
longer fits two lines, after a pause (``now`` - last word end >= ``pause_s``), or when it spans
``max_duration_s``. Emitted cues are final; the next cue starts no earlier than the previous one ends.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from asr.core.decoder import Word
from asr.core.options import CueOptions
from common.subtitles import Cue

__all__ = [
    "CueBuilder", "CueOptions", "Violation", "build_cues", "cue_pieces", "layout_lines", "spell_small_number",
    "validate_cues",
]

#: Words that bind to the following noun/phrase: a line or a cue never ends with them if avoidable.
BINDING_WORDS = frozenset(
    """der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner
    mein meine meinen meinem meiner sein seine seinen seinem seiner ihr ihre ihren ihrem ihrer unser
    unsere unseren unserem unserer dieser diese dieses diesen diesem jeder jede jedes jeden jedem
    zu zum zur am im vom beim ins ans aufs in an auf aus bei mit nach von vor für über unter um
    durch gegen ohne seit bis herr frau dr""".split()
)
#: Conjunctions a line or cue may start with (break before them).
CONJUNCTIONS = frozenset(
    "und oder aber dass weil wenn denn sondern doch ob als obwohl damit sowie bzw beziehungsweise "
    "während nachdem bevor sodass falls wobei".split()
)
_CLAUSE_END = (",", ";", ":", "–", "-")
_SENTENCE_END = (".", "?", "!", "…")
_CLOSERS = "\"'»«)”“"


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken rule in a cue list; ``severity`` "error" breaks a hard rule, "warning" a target."""

    index: int
    rule: str
    message: str
    severity: Literal["error", "warning"] = "error"


_SMALL_NUMBERS = {
    "1": "eins", "2": "zwei", "3": "drei", "4": "vier", "5": "fünf", "6": "sechs",
    "7": "sieben", "8": "acht", "9": "neun", "10": "zehn", "11": "elf", "12": "zwölf",
}
# A bare cardinal, optionally followed by clause punctuation; "3." stays (ordinal or sentence end).
_CARDINAL = re.compile(r"^(\d{1,2})([,;:!?…]*)$")


def spell_small_number(text: str) -> str:
    """German subtitle style: the numbers two to twelve as words ("Punkt 3," -> "Punkt drei,").

    "1" is spelled only before punctuation ("Punkt 1," -> "eins,"): before a noun it would need the
    article form ("ein Antrag"), which depends on grammar a word list cannot see.
    """
    match = _CARDINAL.match(text)
    if match is None or match.group(1) not in _SMALL_NUMBERS:
        return text
    digits, tail = match.groups()
    if digits == "1" and not tail:
        return text
    return _SMALL_NUMBERS[digits] + tail


def _bare(text: str) -> str:
    return text.strip(_CLOSERS + ".,;:!?…–-").casefold()


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith(_SENTENCE_END)


def _ends_clause(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith(_CLAUSE_END)


def _break_cost(before: str, after: str) -> float:
    """Cost of ending a line/cue after word ``before`` when word ``after`` follows (lower is better)."""
    if _ends_sentence(before):
        return -30.0
    if _ends_clause(before):
        return -20.0
    if _bare(before) in BINDING_WORDS:
        return 100.0
    if _bare(after) in CONJUNCTIONS:
        return -10.0
    return 0.0


def _joined_len(texts: Sequence[str]) -> int:
    return sum(len(t) for t in texts) + max(0, len(texts) - 1)


def _layout_exact(texts: Sequence[str], lines: int, limit: int) -> tuple[str, ...] | None:
    """Cheapest split of ``texts`` into exactly ``lines`` lines of at most ``limit`` chars, or None."""
    n = len(texts)
    ideal = _joined_len(texts) / lines
    # best[(i, k)]: (cost, break positions) for laying out texts[i:] in exactly k lines
    best: dict[tuple[int, int], tuple[float, tuple[int, ...]] | None] = {}

    def solve(i: int, k: int) -> tuple[float, tuple[int, ...]] | None:
        key = (i, k)
        if key in best:
            return best[key]
        result: tuple[float, tuple[int, ...]] | None = None
        if k == 1:
            length = _joined_len(texts[i:])
            if length <= limit:
                result = (0.02 * (ideal - length) ** 2, ())
        else:
            for j in range(i + 1, n - k + 2):
                length = _joined_len(texts[i:j])
                if length > limit:
                    break
                rest = solve(j, k - 1)
                if rest is None:
                    continue
                cost = 0.02 * (ideal - length) ** 2 + _break_cost(texts[j - 1], texts[j]) + rest[0]
                if result is None or cost < result[0]:
                    result = (cost, (j, *rest[1]))
        best[key] = result
        return result

    solved = solve(0, lines)
    if solved is None:
        return None
    bounds = (0, *solved[1], n)
    return tuple(" ".join(texts[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))


def layout_lines(texts: Sequence[str], options: CueOptions) -> tuple[str, ...] | None:
    """Best split of the words into at most ``max_lines`` lines of at most ``max_line_chars``; None if impossible.

    Uses the fewest lines that can hold the text; among splits, prefers breaks after punctuation and
    before conjunctions, avoids breaks after articles and binding prepositions, and balances lengths.
    """
    if not texts:
        return None
    limit = options.max_line_chars
    if any(len(t) > limit for t in texts):
        return None
    first = max(1, math.ceil(_joined_len(texts) / limit))
    for lines in range(first, min(options.max_lines, len(texts)) + 1):
        laid = _layout_exact(texts, lines, limit)
        if laid is not None:
            return laid
    return None


def _split_long(word: Word, limit: int) -> list[Word]:
    """Hyphenate a word longer than a line into pieces that fit (times shared out by length)."""
    text = word.text
    if len(text) <= limit:
        return [word]
    size = limit - 1
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    if len(pieces[-1]) < 3 and len(pieces) > 1:  # avoid a dangling 1-2 letter tail
        pieces[-2], pieces[-1] = pieces[-2][:-3], pieces[-2][-3:] + pieces[-1]
    texts = [p + "-" if k < len(pieces) - 1 and not p.endswith("-") else p for k, p in enumerate(pieces)]
    span = max(0.0, word.end - word.start)
    out: list[Word] = []
    consumed = 0
    for piece, shown in zip(pieces, texts, strict=True):
        start = word.start + span * consumed / len(text)
        consumed += len(piece)
        out.append(Word(shown, start, word.start + span * consumed / len(text), word.probability))
    return out


def cue_pieces(word: Word, options: CueOptions) -> list[Word]:
    """How one committed word is shown in cues: whitespace folded, two to twelve spelled out, a word
    longer than a line hyphenated into pieces; no pieces for an empty word. The cue builder shows every
    committed word this way, in order, and nothing else (the soak's cue accounting relies on it)."""
    text = " ".join(word.text.split())
    if options.spell_small_numbers:
        text = spell_small_number(text)
    if not text:
        return []
    return _split_long(Word(text, word.start, max(word.end, word.start), word.probability), options.max_line_chars)


class CueBuilder:
    """Turns committed words into cues (see module docstring); no I/O, no clock of its own."""

    def __init__(self, options: CueOptions | None = None, *, first_index: int = 1) -> None:
        self.options = options or CueOptions()
        self._pending: list[Word] = []
        self._next_index = first_index
        self._last_end = -math.inf

    @property
    def pending_text(self) -> str:
        return " ".join(w.text for w in self._pending)

    def add(self, words: Sequence[Word], *, now: float | None = None) -> list[Cue]:
        """Add committed words (in order); ``now`` is the stream time for pause detection (live)."""
        for word in words:
            self._pending.extend(cue_pieces(word, self.options))
        return self._emit(now=now, final=False)

    def flush(self) -> list[Cue]:
        """End of input: every pending word goes into cues."""
        return self._emit(now=None, final=True)

    # --- internals --------------------------------------------------------------------------------

    def _fit_count(self) -> int:
        """How many pending words fit into one cue's lines."""
        texts: list[str] = []
        fit = 0
        for word in self._pending:
            texts.append(word.text)
            if _joined_len(texts) > self.options.max_lines * self.options.max_line_chars:
                break
            if layout_lines(texts, self.options) is None:
                break
            fit = len(texts)
        return fit

    def _choose_cut(self, fit: int) -> int:
        """Where to end a full cue: prefer sentence ends, clause ends, before conjunctions; never after an article."""
        capacity = self.options.max_lines * self.options.max_line_chars
        best_k, best_score = fit, -math.inf
        for k in range(1, fit + 1):
            chars = _joined_len([w.text for w in self._pending[:k]])
            score = 40.0 * chars / capacity - _break_cost(self._pending[k - 1].text, self._pending[k].text)
            if score > best_score:
                best_k, best_score = k, score
        return best_k

    def _ready_count(self, now: float | None, final: bool) -> int:
        """Number of pending words that form a complete cue now (0: wait for more)."""
        pending = self._pending
        opts = self.options
        fit = self._fit_count()
        for k in range(min(fit, len(pending) - 1)):  # a pause inside what fits ends the cue there
            if pending[k + 1].start - pending[k].end >= opts.pause_s:
                return k + 1
        if fit < len(pending):
            return self._choose_cut(fit)
        last_sentence = max((k for k, w in enumerate(pending) if _ends_sentence(w.text)), default=-1)
        if last_sentence >= 0:
            if last_sentence == len(pending) - 1 or final:
                chars = _joined_len([w.text for w in pending[: last_sentence + 1]])
                if chars >= opts.min_sentence_chars or final:
                    return last_sentence + 1
            elif _joined_len([w.text for w in pending[: last_sentence + 1]]) >= opts.min_sentence_chars:
                return last_sentence + 1
        if final:
            return len(pending)
        if now is not None and now - pending[-1].end >= opts.pause_s:
            return len(pending)
        if pending[-1].end - pending[0].start >= opts.max_duration_s:
            return len(pending)
        return 0

    def _emit(self, *, now: float | None, final: bool) -> list[Cue]:
        cues: list[Cue] = []
        while self._pending:
            count = self._ready_count(now, final)
            if count == 0:
                break
            words, self._pending = self._pending[:count], self._pending[count:]
            next_start = self._pending[0].start if self._pending else None
            cues.append(self._make_cue(words, next_start))
        return cues

    def _make_cue(self, words: Sequence[Word], next_start: float | None) -> Cue:
        opts = self.options
        lines = layout_lines([w.text for w in words], opts)
        assert lines is not None, "cue words were chosen to fit"
        start = max(words[0].start, self._last_end + opts.min_gap_s) if self._last_end > -math.inf else words[0].start
        start = max(start, 0.0)
        natural_end = max(words[-1].end, start)
        chars = sum(len(line) for line in lines)
        reading_end = start + chars / opts.target_cps
        limit = next_start - opts.min_gap_s if next_start is not None else natural_end + opts.max_hold_s
        end = max(natural_end, start + opts.min_duration_s, min(reading_end, limit))
        cue = Cue(self._next_index, round(start, 3), round(end, 3), lines)
        # Rounding must not undo the minimum duration.
        if cue.end - cue.start < opts.min_duration_s:
            cue = Cue(cue.index, cue.start, round(cue.start + opts.min_duration_s + 0.0005, 3), lines)
        self._next_index += 1
        self._last_end = cue.end
        return cue


def build_cues(words: Sequence[Word], options: CueOptions | None = None) -> list[Cue]:
    """All cues for a finished word list (file transcription)."""
    builder = CueBuilder(options)
    return builder.add(words) + builder.flush()


def validate_cues(cues: Sequence[Cue], options: CueOptions | None = None) -> list[Violation]:
    """Every broken rule in ``cues``: errors for hard rules, warnings for reading speed and line breaks."""
    opts = options or CueOptions()
    out: list[Violation] = []
    previous: Cue | None = None
    for cue in cues:
        i = cue.index
        if not cue.lines:
            out.append(Violation(i, "empty", "cue has no lines"))
        if len(cue.lines) > opts.max_lines:
            out.append(Violation(i, "max_lines", f"{len(cue.lines)} lines > {opts.max_lines}"))
        for n, line in enumerate(cue.lines, 1):
            if not line.strip():
                out.append(Violation(i, "empty_line", f"line {n} is empty"))
            if len(line) > opts.max_line_chars:
                out.append(
                    Violation(i, "line_length", f"line {n} has {len(line)} chars > {opts.max_line_chars}: {line!r}")
                )
            if n < len(cue.lines) and line.split() and _bare(line.split()[-1]) in BINDING_WORDS:
                out.append(Violation(i, "line_break", f"line {n} ends with {line.split()[-1]!r}", "warning"))
        duration = cue.end - cue.start
        if duration < opts.min_duration_s - 1e-6:
            out.append(Violation(i, "min_duration", f"on screen {duration:.3f} s < {opts.min_duration_s} s"))
        chars = sum(len(line) for line in cue.lines)
        if duration > 0 and chars / duration > opts.target_cps + 1e-6:
            out.append(Violation(i, "reading_speed", f"{chars / duration:.1f} chars/s > {opts.target_cps}", "warning"))
        if previous is not None:
            if cue.index <= previous.index:
                out.append(Violation(i, "order", f"index {cue.index} after {previous.index}"))
            if cue.start < previous.end - 1e-6:
                message = f"starts {cue.start:.3f} before cue {previous.index} ends {previous.end:.3f}"
                out.append(Violation(i, "overlap", message))
        previous = cue
    return out
