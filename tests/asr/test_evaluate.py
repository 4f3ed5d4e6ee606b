"""The evaluation: simulated real-time clock, WER, silence counting, report shape, and the CLI."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from asr.core.cues import CueBuilder
from asr.core.decoder import Word, join_words
from asr.core.options import StreamOptions
from asr.core.streaming import StreamingTranscriber
from asr.eval.anchor import OfflineRun
from asr.eval.evaluate import (
    EvalClip,
    LiveRun,
    clip_result,
    load_clip,
    longest_missing_run,
    merge_runs,
    percentile,
    simulate_live,
    wer,
    words_in_silence,
)
from asr.eval.report import summarize
from tests.asr.fakes import CodedDecoder, coded_audio, word_text

CLIP_KEYS = {
    "audio",
    "wer_streaming",
    "wer_offline",
    "latency_p50_s",
    "latency_p95_s",
    "first_partial_s",
    "rtf",
    "words_in_silence",
    "cue_violations",
    "wer_anchor",
    "offline_path",
    "other_offline",
    "missing_run_streaming",
    "missing_run_offline",
    "missing_run_anchor",
    "dropped_words",
    "offline_dropped_words",
}


def offline_run(words, compute_s: float = 1.0, path: str = "offline-batched") -> OfflineRun:  # type: ignore[no-untyped-def]
    return OfflineRun(path, join_words(words), compute_s, tuple(words))


def anchor_run(text: str) -> OfflineRun:
    return OfflineRun("anchor", text, 1.0)


class TimedDecoder(CodedDecoder):
    """Each decode "takes" ``cost`` seconds on a fake timer."""

    def __init__(self, cost: float) -> None:
        super().__init__()
        self.cost = cost
        self.now = 0.0
        self.buffer_sizes: list[int] = []

    def decode(self, audio, *, prompt, options):  # type: ignore[no-untyped-def]
        self.now += self.cost
        self.buffer_sizes.append(audio.size)
        return super().decode(audio, prompt=prompt, options=options)


def _run(cost: float, words: int = 20):  # type: ignore[no-untyped-def]
    decoder = TimedDecoder(cost)
    # trim_after_s/max_buffer_s pinned: buffer growth between steps measures arriving audio, not trimming
    options = dataclasses.replace(StreamOptions(), vad=False, min_chunk_s=1.0, trim_after_s=10.0, max_buffer_s=18.0)
    samples = coded_audio(1, words)
    run = simulate_live(samples, StreamingTranscriber(decoder, options), CueBuilder(), timer=lambda: decoder.now)
    return decoder, run, samples


def test_simulated_clock_counts_compute_time() -> None:
    decoder, run, samples = _run(cost=0.4)
    assert [w.text for w in run.words] == [word_text(k) for k in range(1, 21)]
    assert run.compute_s == pytest.approx(0.4 * decoder.calls)
    assert run.duration_s == pytest.approx(samples.size / 16_000)
    assert len(run.latencies) == 20
    # a word is committed only after at least one decode that saw it ended
    assert min(run.latencies) >= 0.4 - 1e-9
    # LocalAgreement-2 with 1 s chunks and 0.4 s decodes: about two chunks plus compute
    assert percentile(run.latencies, 50) < 3.0
    assert run.first_partial_clock is not None and run.cues


def test_slow_decoder_sees_the_audio_that_arrived_while_it_worked() -> None:
    decoder, run, samples = _run(cost=2.5)
    # every step after the first got >= 2.5 s of new audio, not 1 s: the clock ran during the decode
    growth = np.diff(decoder.buffer_sizes[:4])
    assert (growth >= int(2.4 * 16_000)).all(), decoder.buffer_sizes
    assert [w.text for w in run.words] == [word_text(k) for k in range(1, 21)]
    assert max(run.latencies) > 2.5
    assert run.compute_s / run.duration_s == pytest.approx(2.5 * decoder.calls / run.duration_s)


def test_wer_uses_german_normalisation_and_is_none_for_empty_reference() -> None:
    assert wer("Die Gebühr beträgt 37 Euro.", "die Gebühr beträgt siebenunddreißig Euro") == 0.0
    assert wer("eins zwei drei vier", "eins zwei vier") == pytest.approx(0.25)
    assert wer("eins zwei", "") == 1.0
    assert wer("", "irgendwas") is None
    assert wer("  \n", "") is None


def test_words_in_silence() -> None:
    words = [Word("a", 0.0, 0.4), Word("b", 5.0, 5.4), Word("c", 9.9, 10.3)]
    assert words_in_silence(words, "", ()) == 3  # empty reference: every word counts
    assert words_in_silence(words, "a c", [(4.0, 6.0)]) == 1
    assert words_in_silence(words, "a b c", [(10.0, 12.0)]) == 1  # midpoint 10.1 inside
    assert words_in_silence(words, "a b c", []) == 0


def test_report_shape_and_targets(tmp_path: Path) -> None:
    decoder, run, samples = _run(cost=0.3, words=12)
    speech = EvalClip(tmp_path / "a.wav", " ".join(word_text(k) for k in range(1, 13)))
    silent = EvalClip(tmp_path / "s.wav", "")
    r1 = clip_result(speech, run, offline=offline_run(run.words), anchor=anchor_run(speech.reference))
    empty_run = LiveRun(compute_s=0.2, steps=3, duration_s=10.0)  # nothing said, nothing emitted
    r2 = clip_result(silent, empty_run, offline=offline_run([], 0.1), anchor=anchor_run(""))
    assert set(r1.to_json()) == CLIP_KEYS == set(r2.to_json())
    assert r1.wer_streaming == 0.0 and r1.wer_offline == 0.0 and r1.wer_anchor == 0.0
    assert r2.wer_streaming is None and r2.wer_offline is None and r2.words_in_silence == 0
    summary = summarize([r1, r2])
    assert summary.met.words_in_silence and summary.met.cue_violations
    assert summary.wer_ratio == 1.0 and summary.met.wer_ratio and summary.met.offline_wer_ratio
    assert set(summary.to_json()) >= {"wer_ratio", "offline_wer_ratio", "wer_anchor", "met", "all_met"}
    # a clip that talks during silence fails the silence target
    r3 = clip_result(silent, run, offline=offline_run([], 0.1), anchor=anchor_run(""))
    assert r3.words_in_silence == 12
    assert not summarize([r1, r3]).met.words_in_silence


def test_repeated_live_runs_are_pooled_and_each_run_is_reported(tmp_path: Path) -> None:
    reference = "eins zwei drei vier"
    clip = EvalClip(tmp_path / "a.wav", reference)
    offline = [Word(t, i, i + 0.5) for i, t in enumerate(["eins", "zwei", "drei", "fier"])]  # 1 error of 4

    def one_run(text: str, latency: float, in_silence: int = 0) -> LiveRun:
        words = [Word(t, i, i + 0.5) for i, t in enumerate(text.split())]
        return LiveRun(words=words, latencies=[latency] * len(words), compute_s=2.0, steps=4, duration_s=4.0)

    anchor = anchor_run("eins zwei drei fier")  # 1 error of 4, as the file path
    good = clip_result(clip, one_run("eins zwei drei vier", 2.0), offline=offline_run(offline), anchor=anchor)
    bad = clip_result(clip, one_run("eins zwo drei fier", 4.0), offline=offline_run(offline), anchor=anchor)
    merged = merge_runs([good, bad])
    assert merged.runs == 2 and merged.streaming_texts == ("eins zwei drei vier", "eins zwo drei fier")
    assert merged.wer_streaming == pytest.approx(2 / 8)  # pooled over both transcripts
    assert merged.wer_offline == pytest.approx(0.25)
    assert merged.latency_p50_s == pytest.approx(3.0) and merged.latency_p95_s == pytest.approx(4.0)
    assert set(merged.to_json()) == CLIP_KEYS  # still one entry per clip
    summary = summarize([merged])
    assert summary.runs == 2 and summary.wer_ratio == pytest.approx(1.0)
    assert [run.wer_ratio for run in summary.per_run] == [0.0, 2.0]
    assert [run.latency_p50_s for run in summary.per_run] == [2.0, 4.0]
    # words in silence add up over the runs: one noisy run fails the target
    silent = EvalClip(tmp_path / "s.wav", "")
    quiet = clip_result(silent, LiveRun(duration_s=4.0), offline=offline_run([]), anchor=anchor_run(""))
    noisy = clip_result(silent, one_run("ja", 1.0), offline=offline_run([]), anchor=anchor_run(""))
    assert merge_runs([quiet, noisy]).words_in_silence == 1
    assert not summarize([merged, merge_runs([quiet, noisy])]).met.words_in_silence


def test_load_clip_reads_sidecar_silence(tmp_path: Path) -> None:
    audio = tmp_path / "clip.wav"
    audio.write_bytes(b"RIFF")
    ref = tmp_path / "clip.txt"
    ref.write_text("Hallo Rat", encoding="utf-8")
    (tmp_path / "clip.json").write_text(json.dumps({"silence": [[1.0, 2.5]]}), encoding="utf-8")
    clip = load_clip(audio, ref)
    assert clip.reference == "Hallo Rat" and clip.silence == ((1.0, 2.5),)
    with pytest.raises(Exception, match="does not exist"):
        load_clip(tmp_path / "missing.wav", ref)


@pytest.mark.slow
def test_eval_cli_on_speech_and_silence(tmp_path: Path) -> None:
    """The real base model, live and offline, on one generated German clip and the silence clip."""
    generator = Path(__file__).resolve().parents[2] / "data" / "eval" / "asr" / "generate.py"
    clips = tmp_path / "clips"
    subprocess.run(
        [
            sys.executable,
            str(generator),
            "--out",
            str(clips),
            "--clip",
            "kita_wohngeld",
            "--clip",
            "stille_rauschen",
        ],
        check=True,
        capture_output=True,
    )
    report = tmp_path / "report.json"
    rathaus = shutil.which("rathaus") or str(Path(sys.executable).parent / "rathaus")
    result = subprocess.run(
        [
            rathaus,
            "asr",
            "eval",
            "--audio",
            str(clips / "kita_wohngeld.wav"),
            "--ref",
            str(clips / "kita_wohngeld.txt"),
            "--audio",
            str(clips / "stille_rauschen.wav"),
            "--ref",
            str(clips / "stille_rauschen.txt"),
            "--report",
            str(report),
            "--repeat",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "latency p50" in result.stdout and "target" in result.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert set(data) == {"summary", "clips"}
    assert [Path(c["audio"]).name for c in data["clips"]] == ["kita_wohngeld.wav", "stille_rauschen.wav"]
    speech, silence = data["clips"]
    assert set(speech) == CLIP_KEYS == set(silence)
    assert 0.0 <= speech["wer_streaming"] < 1.0 and 0.0 <= speech["wer_offline"] < 1.0
    assert speech["latency_p50_s"] is not None and speech["rtf"] > 0
    assert silence["wer_streaming"] is None and silence["wer_offline"] is None
    assert silence["words_in_silence"] == 0  # nothing is subtitled when nobody speaks
    assert data["summary"]["clips"] == 2 and "met" in data["summary"]
    assert data["summary"]["runs"] == 2 and len(data["summary"]["per_run"]) == 2  # --repeat 2, pooled
    assert "each run alone" in result.stdout


def test_set_overrides_any_stream_option() -> None:
    from asr.errors import AsrError
    from asr.eval.evaluate import apply_overrides

    changed = apply_overrides(StreamOptions(), ["min_chunk_s=2", "temperatures=0.0", "vad=false", "hotwords=Rathaus"])
    assert changed.min_chunk_s == 2.0 and changed.temperatures == (0.0,) and changed.vad is False
    assert changed.hotwords == "Rathaus"
    with pytest.raises(AsrError, match="FIELD=VALUE"):
        apply_overrides(StreamOptions(), ["no_such_field=1"])
    with pytest.raises(AsrError):
        apply_overrides(StreamOptions(), ["min_chunk_s=0"])  # the options object rejects it


def test_clip_length_not_a_multiple_of_the_chunk_ends() -> None:
    decoder = TimedDecoder(cost=0.0)  # a free decoder: the clock only moves with the audio
    options = dataclasses.replace(StreamOptions(), vad=False, min_chunk_s=1.5)
    samples = np.concatenate([coded_audio(1, 7), np.zeros(777, dtype=np.float32)])
    run = simulate_live(samples, StreamingTranscriber(decoder, options), CueBuilder(), timer=lambda: decoder.now)
    assert [w.text for w in run.words] == [word_text(k) for k in range(1, 8)]
    assert decoder.buffer_sizes and run.duration_s == pytest.approx(samples.size / 16_000)


def test_longest_missing_run_counts_consecutive_deleted_reference_words() -> None:
    reference = "eins zwei drei vier fünf sechs sieben acht"
    assert longest_missing_run(reference, reference) == 0
    assert longest_missing_run(reference, "eins zwei sieben acht") == 4  # a dropped stretch
    assert longest_missing_run(reference, "eins zwo drei vier fünf sechs sieben") == 1  # errors are not gaps
    assert longest_missing_run(reference, "eins zwei acht sieben") >= 3
    assert longest_missing_run(reference, "") == 8
    assert longest_missing_run("", "irgendwas") == 0
    # numbers are normalised first: "37" is "siebenunddreißig", not a gap
    assert longest_missing_run("Die Gebühr beträgt 37 Euro.", "die Gebühr beträgt siebenunddreißig Euro") == 0
