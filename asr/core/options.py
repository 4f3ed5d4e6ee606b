"""Options objects of the subtitle components: one frozen dataclass per component, passed whole.

Results record the options that produced them (see :class:`asr.offline.transcribe.TranscriptionResult`), so a
number in a report can always be traced to its configuration. ``to_dict()`` gives a JSON-ready view.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from content.errors import ContentError
from content.root import resolve_content_root
from content.vocabulary import vocabulary

__all__ = [
    "DEFAULT_BLOCKLIST",
    "CueOptions",
    "Device",
    "GuardOptions",
    "ModelOptions",
    "StreamOptions",
    "content_hotwords",
    "format_hotwords",
    "options_to_dict",
]

log = logging.getLogger(__name__)

Device = Literal["cpu", "cuda", "auto"]

#: Phrases Whisper invents on silence, music or noise in German (subtitle credits of public
#: broadcasters learnt from its training data, YouTube outros). Matched after normalisation
#: (case, punctuation, apostrophes), see :func:`asr.core.guards.normalize_text`.
DEFAULT_BLOCKLIST: tuple[str, ...] = (
    "Untertitelung des ZDF",
    "Untertitelung im Auftrag des ZDF",
    "Untertitel im Auftrag des ZDF",
    "Untertitel des ZDF",
    "Untertitel von Stephanie Geiges",
    "Untertitelung aufgrund der Amara.org-Community",
    "Untertitel der Amara.org-Community",
    "Untertitel im Auftrag des SWR",
    "Untertitelung des SWR",
    "Untertitelung SWR",
    "Untertitel SWR",
    "Untertitelung des WDR",
    "Untertitel WDR",
    "Untertitelung des BR",
    "Untertitelung BR",
    "Untertitelung des NDR",
    "Untertitelung des MDR",
    "Untertitelung der ARD",
    "Untertitel der ARD",
    "Untertitel ARD Text",
    "Copyright WDR",
    "Copyright SWR",
    "Copyright ZDF",
    "Vielen Dank fürs Zuschauen",
    "Vielen Dank für das Zuschauen",
    "Danke fürs Zuschauen",
    "Vielen Dank für Ihre Aufmerksamkeit und bis zum nächsten Mal",
    "Bis zum nächsten Mal",
    "Abonniert den Kanal",
    "Das war's für heute",
)


def options_to_dict(options: object) -> dict[str, object]:
    """JSON-ready dict of an options dataclass (tuples become lists), for reports and logs."""
    if not dataclasses.is_dataclass(options) or isinstance(options, type):
        raise TypeError(f"expected an options dataclass instance, got {type(options).__name__}")
    return dataclasses.asdict(options)


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """Which Whisper model to load and where.

    ``model``: ``"base"``/``"default"`` (the assembled CPU model shipped as PyPI packages), a directory
    holding a CTranslate2 model, or a faster-whisper model name the operator has made available
    (``large-v3-turbo``; nothing is ever downloaded unless ``allow_download`` is set).
    ``compute_type``: ``None`` picks int8 on CPU and float16 on CUDA.
    """

    model: str = "base"
    device: Device = "cpu"
    compute_type: str | None = None
    cpu_threads: int = 0
    num_workers: int = 1
    allow_download: bool = False

    def __post_init__(self) -> None:
        if self.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"ModelOptions.device must be cpu, cuda or auto, got {self.device!r}")
        if self.cpu_threads < 0 or self.num_workers < 1:
            raise ValueError("ModelOptions.cpu_threads must be >= 0 and num_workers >= 1")

    @property
    def effective_compute_type(self) -> str:
        """The CTranslate2 compute type actually requested."""
        if self.compute_type:
            return self.compute_type
        return "float16" if self.device == "cuda" else ("int8" if self.device == "cpu" else "default")


@dataclass(frozen=True, slots=True)
class GuardOptions:
    """Thresholds of the hallucination guards (:mod:`asr.core.guards`).

    A segment is dropped as "no speech" when ``no_speech_prob > no_speech_threshold`` and
    ``avg_logprob < logprob_threshold`` (Whisper's own rule), or when its average log probability is
    below ``min_avg_logprob`` whatever no_speech says; as a loop when ``compression_ratio`` exceeds
    ``compression_ratio_threshold``. Blocklisted phrases are cut out; repeated n-grams (``loop_max_ngram``
    words, ``loop_min_repeats`` times in a row) are cut back to one occurrence.
    """

    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    min_avg_logprob: float = -1.6
    compression_ratio_threshold: float = 2.4
    blocklist: tuple[str, ...] = DEFAULT_BLOCKLIST
    loop_max_ngram: int = 8
    loop_min_repeats: int = 3
    loop_min_repeats_single: int = 4


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Options of one live stream: decoding, commit policy, buffer, VAD and guards.

    Commit policy (see :mod:`asr.core.streaming`): LocalAgreement-2 plus a latency bound: a word of the
    current hypothesis that ended more than ``max_commit_delay_s`` before the newest audio and has at
    least ``force_commit_min_probability`` is committed even without a second agreeing hypothesis;
    past ``max_commit_delay_any_s`` it is committed whatever its probability (a hard latency bound).
    """

    language: str | None = "de"
    min_chunk_s: float = 0.8  # tuned on the eval set (docs/benchmarks.md, Live subtitles)
    # decoding
    beam_size: int = 5
    temperatures: tuple[float, ...] = (0.0,)  # fallback costs a re-decode; LA-2 absorbs instability
    without_timestamps: bool = True  # text-only decoding; word times still come from alignment
    max_tokens_per_s: float = 15.0  # caps tokens per decode (loops otherwise run to 448 tokens)
    initial_prompt: str | None = None
    hotwords: str | None = None
    prompt_chars: int = 200
    vad_filter: bool = False  # decoder-side VAD; the transcriber runs its own VAD gate (``vad``)
    encoder_pad_s: float | None = 3.0  # encode buffer + this much padding, not 30 s; None = full window
    encoder_min_window_s: float = 2.0  # ... but at least this long a window
    # One Whisper window per live step: with word timestamps faster-whisper seeks back to the last word
    # end and decodes the rest of the buffer as a second window (a full encode + decode of a fraction of
    # a second of tail audio, where it likes to invent words); the next step decodes that audio anyway.
    single_window: bool = True
    # Committed words still in the buffer are forced as the decoder's prefix (when the decoder supports
    # it): every hypothesis then starts exactly after the committed text, instead of re-decoding the
    # committed words (differently at times) and cutting them off again by time and n-gram overlap.
    prefix_committed: bool = True
    # prompt echo: runs of this many words repeating recent committed text are dropped (0: off), and the
    # prompt restarts after a pause this long (Whisper recites its prompt over new speech after pauses)
    echo_min_words: int = 5
    prompt_reset_pause_s: float = 3.0
    # commit policy
    max_commit_delay_s: float = 1.8
    force_commit_min_probability: float = 0.5
    max_commit_delay_any_s: float = 2.7  # past this age a word is committed whatever its probability
    min_commit_context_s: float = 3.0  # no agreement commits until this much audio since speech began
    # buffer
    trim_after_s: float = 8.0  # buffer context vs decode cost; 8 s measured best (docs/benchmarks.md)
    max_buffer_s: float = 12.0
    # VAD gate before decoding
    vad: bool = True
    vad_threshold: float = 0.5
    silence_keep_s: float = 1.0
    guards: GuardOptions = GuardOptions()

    def __post_init__(self) -> None:
        if self.min_chunk_s <= 0:
            raise ValueError("StreamOptions.min_chunk_s must be > 0")
        if not 0 < self.trim_after_s < self.max_buffer_s <= 30.0:
            raise ValueError("StreamOptions needs 0 < trim_after_s < max_buffer_s <= 30 (Whisper's window)")
        if not self.temperatures:
            raise ValueError("StreamOptions.temperatures needs at least one temperature")


@dataclass(frozen=True, slots=True)
class CueOptions:
    """German broadcast subtitle rules (ARD/ZDF Untertitel-Standards) and live emission timing.

    Hard rules (reported as errors by :func:`asr.core.cues.validate_cues`): at most ``max_lines`` lines of at
    most ``max_line_chars`` characters, at least ``min_duration_s`` on screen, no overlap, increasing
    indices and times, no empty lines. Reading speed above ``target_cps`` is a warning: the builder
    extends display time where the next cue allows it (live: up to ``max_hold_s`` past the last word).
    """

    max_lines: int = 2
    max_line_chars: int = 37
    min_duration_s: float = 1.0
    target_cps: float = 15.0
    max_hold_s: float = 1.5
    min_gap_s: float = 0.0
    max_duration_s: float = 7.0
    pause_s: float = 1.2
    min_sentence_chars: int = 12
    spell_small_numbers: bool = True  # broadcast style: "zwei" to "zwölf" as words, not digits

    def __post_init__(self) -> None:
        if self.max_lines < 1 or self.max_line_chars < 8:
            raise ValueError("CueOptions needs max_lines >= 1 and max_line_chars >= 8")
        if self.min_duration_s <= 0 or self.target_cps <= 0:
            raise ValueError("CueOptions.min_duration_s and target_cps must be > 0")


def content_hotwords(root: Path | None = None, *, max_chars: int = 300) -> str | None:
    """The content's vocabulary (:func:`content.vocabulary`, the one source of local terms) as a hotword string.

    ``root`` defaults to the content folder every service uses (``RATHAUS_CONTENT``, see
    :func:`content.resolve_content_root`; an unusable setting raises there). A broken vocabulary returns
    None (logged): subtitles work without hotwords, just less well on street and office names.
    """
    folder = root or resolve_content_root()
    try:
        terms = vocabulary(folder)
    except (ContentError, OSError) as exc:  # hotwords are optional, never fatal
        log.warning("asr.hotwords.unavailable root=%s reason=%s", folder, exc)
        return None
    return format_hotwords(terms, max_chars=max_chars)


def format_hotwords(terms: Iterable[str], *, max_chars: int = 300) -> str | None:
    """``"Musterstadt, Rathausplatz, ..."``: terms in their order, comma-separated, at most ``max_chars``.

    ``max_chars`` keeps the prompt short (Whisper's prompt is at most 223 tokens and shares room with the
    committed-text prompt); a term that does not fit is skipped, a later shorter one may still fit.
    """
    picked: list[str] = []
    used = 0
    for term in terms:
        term = " ".join(str(term).split())
        if not term or used + len(term) + 2 > max_chars:
            continue
        picked.append(term)
        used += len(term) + 2
    return ", ".join(picked) or None
