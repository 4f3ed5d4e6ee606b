"""The soak's bookkeeping: the generated session, lost cues, transcript against cues, RSS fields.

The session tests are ``slow``: the session is rendered for real (espeak-ng, and MBROLA/Pico where
installed), scaled down to 60 s; the decoder is scripted (:class:`TimelineDecoder` hears the session's
own turns), the VAD is the real Silero, and the pipeline is the service's. The 30-minute run with the
real model is a benchmark (`rathaus asr soak`, docs/benchmarks.md), not a test.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from asr.core.cues import CueBuilder, build_cues
from asr.core.decoder import Word, join_words
from asr.core.options import StreamOptions
from asr.eval.evaluate import load_clip
from asr.eval.session import SessionOptions, generate_session
from asr.eval.soak import account_cues, run_soak, soak_lines
from asr.eval.synth import read_wav
from common.subtitles import Cue
from tests.fixtures.asr import TimelineDecoder


def spoken(text: str, start: float, dur: float = 0.35, gap: float = 0.15) -> list[Word]:
    return [Word(t, start + k * (dur + gap), start + k * (dur + gap) + dur, 0.9) for k, t in enumerate(text.split())]


# --------------------------------------------------------------------------------- cue accounting
WORDS = spoken(
    "Wir kommen zu Punkt 3 der Tagesordnung. Die Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung "
    "gilt ab dem 14. März, sagt Frau Becker. Gibt es Wortmeldungen? Das ist nicht der Fall.",
    0.5,
)


def test_every_committed_word_is_in_exactly_one_cue() -> None:
    cues = build_cues(WORDS)
    account = account_cues(WORDS, cues)
    assert len(cues) >= 3
    assert account.ok
    assert account.committed_words == len(WORDS)
    # the 3 is shown as "drei", the long word in hyphenated pieces: more pieces than words
    assert account.cue_pieces > len(WORDS)


def test_a_lost_cue_and_a_repeated_cue_are_counted() -> None:
    cues = build_cues(WORDS)
    lost = account_cues(WORDS, cues[:1] + cues[2:])
    assert 0 < lost.lost_words <= len(" ".join(cues[1].lines).split())
    assert not lost.transcript_equal and not lost.ok
    repeated = account_cues(WORDS, [*cues, cues[-1]])
    assert repeated.lost_words == 0 and repeated.extra_pieces == len(" ".join(cues[-1].lines).split())
    invented = [*cues, Cue(len(cues) + 1, 99.0, 100.0, ("Vielen Dank fürs Zuschauen",))]
    assert account_cues(WORDS, invented).extra_pieces == 4


def test_words_out_of_order_break_the_transcript_equality() -> None:
    swapped = [WORDS[1], WORDS[0], *WORDS[2:]]
    cues = build_cues(WORDS)
    account = account_cues(swapped, cues)
    assert not account.transcript_equal and account.lost_words == 1


# ------------------------------------------------------------------------------------- the session
@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_session(tmp_path_factory.mktemp("soak"), SessionOptions.short(60))


@pytest.mark.slow
def test_the_session_is_deterministic_with_pauses_and_applause(session: Path, tmp_path: Path) -> None:
    meta = json.loads(session.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["duration_s"] >= 60
    assert len({t["voice"] for t in meta["turns"]}) >= 2
    assert meta["noise"] or len(meta["silence"]) >= 1
    assert " ".join(t["text"] for t in meta["turns"]) == meta["reference"]
    samples = read_wav(session)
    for a, b in meta["silence"]:  # pauses are quiet, applause is loud
        quiet = np.abs(samples[int(a * 16_000) : int(b * 16_000)]).max()
        in_applause = any(na <= a and b <= nb for na, nb in meta["noise"])
        assert (quiet > 0.05) == in_applause
    again = generate_session(tmp_path, SessionOptions.short(60))
    assert again.read_bytes() == session.read_bytes()


@pytest.mark.slow
def test_soak_bookkeeping_on_a_60_second_session(session: Path) -> None:
    from asr.whisper.engine import live_transcriber

    meta = json.loads(session.with_suffix(".json").read_text(encoding="utf-8"))
    timeline: list[Word] = []
    for turn in meta["turns"]:  # the turn's words spread over its audio, as a perfect model would hear them
        tokens = str(turn["text"]).split()
        start, step = float(turn["start"]) + 0.2, (float(turn["end"]) - float(turn["start"]) - 0.4) / len(tokens)
        timeline += [Word(t, start + k * step, start + (k + 0.8) * step, 0.9) for k, t in enumerate(tokens)]
    decoder = TimelineDecoder(timeline)
    options = dataclasses.replace(StreamOptions(), min_chunk_s=1.0)
    transcriber = live_transcriber(decoder, options)
    decoder.clock = lambda: transcriber.buffer_start
    clip = load_clip(session, session.with_suffix(".txt"))
    rss_values = iter(range(100 * 2**20, 10_000 * 2**20, 2**20))  # +1 MB per reading
    samples = read_wav(session)
    result = run_soak(
        clip, samples, transcriber, window_s=15.0, warmup_s=10.0, timer=lambda: 0.0, rss=lambda: next(rss_values)
    )

    assert result.account.committed_words == len(timeline)
    assert result.account.ok and result.account.lost_words == 0
    assert result.live_text == join_words(timeline)
    assert result.wer_live == 0.0 and result.missing_run_live == 0
    assert result.words_in_silence == 0 and result.cue_errors == 0
    assert result.first.words > 0 and result.last.words > 0 and result.latency_ratio is not None
    # RSS: loaded is the first reading, start the one after 10 s of audio, end the last one
    assert result.rss_loaded == 100 * 2**20
    assert result.rss_loaded < result.rss_start < result.rss_end == result.rss_max
    assert result.rss_growth_mb == (result.rss_end - result.rss_start) / 2**20 < result.steps
    assert result.wer_anchor is None and result.met()["wer_ratio"] is None  # no anchor: not measured
    lines = "\n".join(soak_lines(result))
    assert f"committed words {len(timeline)}, lost 0, extra cue pieces 0" in lines
    assert "transcript equals the concatenated cues: True" in lines
    assert result.to_json()["rss_mb"]["loaded"] == 100.0


def test_a_real_rss_reading_is_positive() -> None:
    from asr.eval.soak import rss_bytes

    before = rss_bytes()
    block = np.ones(64 * 2**20, dtype=np.uint8)  # touch 64 MB
    assert before > 0 and rss_bytes() >= before + 32 * 2**20
    del block


def test_cue_builder_and_account_agree_on_small_numbers() -> None:
    words = spoken("Punkt 3, Punkt 13 und Punkt 1.", 0.0)
    builder = CueBuilder()
    cues = builder.add(words, now=10.0) + builder.flush()
    assert "drei," in " ".join(line for cue in cues for line in cue.lines)
    assert account_cues(words, cues).ok


def test_the_report_lists_each_guard_drop_with_its_words(session: Path) -> None:
    """A speaker who repeats five words of what was just said loses the repetition to the recited-text guard;
    the soak report shows where and what, so that a reader can tell recitation from speech."""
    from asr.whisper.engine import live_transcriber

    meta = json.loads(session.with_suffix(".json").read_text(encoding="utf-8"))
    timeline: list[Word] = []
    turns = [t for t in meta["turns"] if len(str(t["text"]).split()) >= 6]
    first_words = str(turns[0]["text"]).split()[:6]
    for turn in meta["turns"]:
        tokens = str(turn["text"]).split()
        if turn is turns[1]:
            tokens = first_words + tokens[6:]  # the second long turn starts with the first one's words
        start, step = float(turn["start"]) + 0.2, (float(turn["end"]) - float(turn["start"]) - 0.4) / len(tokens)
        timeline += [Word(t, start + k * step, start + (k + 0.8) * step, 0.9) for k, t in enumerate(tokens)]
    decoder = TimelineDecoder(timeline)
    transcriber = live_transcriber(decoder, dataclasses.replace(StreamOptions(), min_chunk_s=1.0))
    decoder.clock = lambda: transcriber.buffer_start
    clip = load_clip(session, session.with_suffix(".txt"))
    result = run_soak(clip, read_wav(session), transcriber, window_s=15.0, warmup_s=10.0, timer=lambda: 0.0)

    recited = [run for run in result.dropped_runs if run[0] == "recited"]
    assert recited and " ".join(first_words[:5]) in " ".join(text for _, _, text in recited)
    assert dict(result.dropped_words)["recited"] == sum(len(text.split()) for _, _, text in recited)
    lines = "\n".join(soak_lines(result))
    assert "dropped (recited) at 0:" in lines or "dropped (recited) at 1:" in lines
    assert result.to_json()["dropped_runs"][0]["reason"] == "recited"
