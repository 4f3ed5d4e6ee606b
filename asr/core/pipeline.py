"""One live subtitle pipeline, sans-I/O: audio in, typed events out.

:class:`LiveSubtitler` binds a streaming transcriber (commit policy, :mod:`asr.core.streaming`), a cue
builder (:mod:`asr.core.cues`) and a clock. Both the live service (:mod:`asr.live.service`) and the evaluation
(:mod:`asr.eval.evaluate`) run exactly this object, so a fix to the pipeline is a fix to both; the service
adds only scheduling, back-pressure and publishing, the evaluation a simulated real-time clock.

Events, in the order they happen within a step:

* :class:`WordsDropped`: words a guard removed from this decode, with the reason (logged here, counted
  by the shells: ``rathaus_asr_guard_drops_total{reason}`` and the eval report);
* :class:`WordsCommitted`: final words (never taken back);
* :class:`ProvisionalText`: the tentative tail after the committed words, only when it changed (empty
  text clears it);
* :class:`CueReady`: a complete subtitle cue.

Each event carries ``at``, the clock's reading when the step's decode had finished (the service:
``time.monotonic``; the evaluation: its simulated real-time clock). The clock is read, never waited on.
``step()``/``finish()`` block for one decode: the service calls them in a worker thread.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from asr.core.decoder import Word
from asr.core.guards import DropReason, GuardDrop
from asr.core.streaming import Committed, Partial
from common.subtitles import Cue

__all__ = [
    "CueBuilderLike",
    "CueReady",
    "LiveEvent",
    "LiveSubtitler",
    "ProvisionalText",
    "TranscriberLike",
    "WordsCommitted",
    "WordsDropped",
]

log = logging.getLogger(__name__)


class TranscriberLike(Protocol):
    """What the pipeline needs from a streaming transcriber (:class:`asr.core.streaming.StreamingTranscriber`)."""

    def push_audio(self, samples: np.ndarray) -> None: ...
    def ready(self) -> bool: ...
    def step(self) -> Sequence[object]: ...
    def finish(self) -> Sequence[object]: ...
    @property
    def speech_horizon(self) -> float: ...


class CueBuilderLike(Protocol):
    """What the pipeline needs from a cue builder (:class:`asr.core.cues.CueBuilder`)."""

    def add(self, words: Sequence[Word], *, now: float) -> Sequence[Cue]: ...
    def flush(self) -> Sequence[Cue]: ...


@dataclass(frozen=True, slots=True)
class WordsCommitted:
    """Final words, stream times; ``at`` is the clock when they were committed."""

    words: tuple[Word, ...]
    at: float


@dataclass(frozen=True, slots=True)
class ProvisionalText:
    """The tentative tail (replaced by the next one; empty text clears it), stream times."""

    text: str
    start: float
    end: float
    at: float


@dataclass(frozen=True, slots=True)
class CueReady:
    """A complete cue, ready to publish."""

    cue: Cue
    at: float


@dataclass(frozen=True, slots=True)
class WordsDropped:
    """Words a guard removed from one decode's hypothesis, with the reason (stream times)."""

    drop: GuardDrop
    at: float

    @property
    def reason(self) -> DropReason:
        return self.drop.reason


LiveEvent = WordsDropped | WordsCommitted | ProvisionalText | CueReady


class LiveSubtitler:
    """One live stream: transcriber + cue builder + clock in, :data:`LiveEvent` out (see the module).

    Usage: ``push_audio()`` as audio arrives; whenever ``ready()``, ``step()`` (blocking, one decode);
    at the end ``finish()`` once, which also flushes the last cue. ``flush()`` alone ends the cues
    without decoding (a stream that failed).
    """

    def __init__(self, transcriber: TranscriberLike, cues: CueBuilderLike, *, clock: Callable[[], float]) -> None:
        self.transcriber = transcriber
        self._cues = cues
        self._clock = clock
        self._last_partial = ""
        self._flushed = False
        self.steps = 0
        #: guard drops of this stream so far, by reason: (drops, words)
        self.drops: Counter[DropReason] = Counter()
        self.dropped_words: Counter[DropReason] = Counter()

    def push_audio(self, samples: np.ndarray) -> None:
        self.transcriber.push_audio(samples)

    def ready(self) -> bool:
        return self.transcriber.ready()

    @property
    def speech_horizon(self) -> float:
        return self.transcriber.speech_horizon

    def step(self) -> list[LiveEvent]:
        """One decode step (blocking) and the events it produced."""
        return self._events(self.transcriber.step(), final=False)

    def finish(self) -> list[LiveEvent]:
        """End of stream: the last decode, everything committed, the last cue flushed."""
        return self._events(self.transcriber.finish(), final=True)

    def flush(self) -> list[LiveEvent]:
        """The last cue of what was committed so far, without decoding (the stream failed or stops)."""
        if self._flushed:
            return []
        self._flushed = True
        at = self._clock()
        return [CueReady(cue, at) for cue in self._cues.flush()]

    def _events(self, raw: Sequence[object], *, final: bool) -> list[LiveEvent]:
        self.steps += 1
        at = self._clock()
        out: list[LiveEvent] = []
        committed: list[Word] = []
        for event in raw:
            if isinstance(event, GuardDrop):
                out.append(self._dropped(event, at))
            elif isinstance(event, Committed):
                committed.extend(event.words)
                out.append(WordsCommitted(event.words, at))
            elif isinstance(event, Partial) and event.text != self._last_partial:
                self._last_partial = event.text
                out.append(ProvisionalText(event.text, event.start, event.end, at))
        # After every step, also without new words: a pause (audio decoded, nothing heard after the
        # committed words) ends a cue.
        out.extend(CueReady(cue, at) for cue in self._cues.add(tuple(committed), now=self.transcriber.speech_horizon))
        if final:
            out.extend(self.flush())
        return out

    def _dropped(self, drop: GuardDrop, at: float) -> WordsDropped:
        self.drops[drop.reason] += 1
        self.dropped_words[drop.reason] += len(drop.words)
        log.info(
            "asr.guard.dropped reason=%s words=%d start=%.2f end=%.2f text=%r",
            drop.reason.value,
            len(drop.words),
            drop.start,
            drop.end,
            drop.text,
        )
        return WordsDropped(drop, at)
