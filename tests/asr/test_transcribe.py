"""File path (``rathaus subtitles transcribe``) and the streaming core on the real Whisper base model.

The real-model tests are ``slow``: they load the assembled base model once (shared) and decode
espeak-ng speech rendered once per session.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import jiwer
import numpy as np
import pytest
from typer.testing import CliRunner

from asr.core.cues import validate_cues
from asr.core.options import ModelOptions, StreamOptions
from asr.core.streaming import Committed, Partial
from asr.core.textnorm import normalize
from asr.errors import AudioError
from asr.eval.synth import read_wav, silence
from asr.offline.cli import app
from asr.offline.transcribe import load_audio
from asr.whisper.engine import WhisperDecoder, live_transcriber
from asr.whisper.model import get_shared_model
from common.subtitles import read_subtitles
from tests.fixtures.asr import SpeechClip

MODEL = ModelOptions(cpu_threads=2)
runner = CliRunner()


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalize(reference), normalize(hypothesis) or "<leer>"))


def test_corrupt_media_file_fails_with_exit_1_and_a_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / "sitzung.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    result = runner.invoke(app, ["transcribe", str(broken), "-o", str(tmp_path / "out.vtt")])
    assert result.exit_code == 1
    assert "cannot decode audio" in result.output
    assert not (tmp_path / "out.vtt").exists()
    with pytest.raises(AudioError, match="no such file"):
        load_audio(tmp_path / "missing.mp4")


def test_unknown_output_format_is_refused_before_any_work(tmp_path: Path) -> None:
    result = runner.invoke(app, ["transcribe", str(tmp_path / "x.mp4"), "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 1
    assert ".vtt or .srt" in result.output


@pytest.fixture(scope="module")
def speech_mp4(german_speech_wav: SpeechClip, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("asr-video") / "sitzung.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=160x120:r=5",
            "-i",
            str(german_speech_wav.path),
            "-shortest",
            "-c:v",
            "libx264",
            "-c:a",
            "aac",
            str(out),
        ],
        check=True,
        timeout=120,
    )
    return out


@pytest.mark.slow
def test_file_path_writes_valid_vtt_and_srt(
    speech_mp4: Path, german_speech_wav: SpeechClip, tmp_path: Path, whisper_model_dir: Path
) -> None:
    vtt, srt = tmp_path / "sitzung.vtt", tmp_path / "sitzung.srt"
    result = runner.invoke(app, ["transcribe", str(speech_mp4), "-o", str(vtt), "-o", str(srt), "--cpu-threads", "2"])
    assert result.exit_code == 0, result.output
    cues = read_subtitles(vtt)
    assert read_subtitles(srt) == cues
    assert cues and validate_cues(cues) == [v for v in validate_cues(cues) if v.severity == "warning"]
    text = " ".join(c.text for c in cues)
    assert wer(german_speech_wav.text, text) < 0.35, text
    assert cues[-1].end <= german_speech_wav.seconds + 2.0


@pytest.mark.slow
def test_streaming_on_the_real_model_never_retracts_and_matches_the_text(
    german_speech_wav: SpeechClip, whisper_model_dir: Path
) -> None:
    audio = read_wav(german_speech_wav.path)
    transcriber = live_transcriber(WhisperDecoder(get_shared_model(MODEL)), StreamOptions())
    committed: list = []
    partials: list[Partial] = []
    events = []
    for i in range(0, audio.size, 16_000):
        transcriber.push_audio(audio[i : i + 16_000])
        if transcriber.ready():
            events += transcriber.step()
    events += transcriber.finish()
    for event in events:
        if isinstance(event, Committed):
            assert all(w.start >= (committed[-1].end if committed else 0.0) - 1e-6 for w in event.words)
            committed.extend(event.words)
        elif isinstance(event, Partial):
            partials.append(event)
    text = " ".join(w.text for w in committed)
    assert wer(german_speech_wav.text, text) < 0.4, text
    assert partials and partials[-1].text == ""
    assert committed[-1].end <= german_speech_wav.seconds + 0.5


@pytest.mark.slow
def test_silence_and_faint_noise_emit_nothing_on_the_real_model(whisper_model_dir: Path) -> None:
    rng = np.random.default_rng(7)
    audio = np.concatenate([silence(5.0), (rng.standard_normal(5 * 16_000) * 0.002).astype(np.float32)])
    decoder = WhisperDecoder(get_shared_model(MODEL))
    transcriber = live_transcriber(decoder, StreamOptions())
    events = []
    for i in range(0, audio.size, 16_000):
        transcriber.push_audio(audio[i : i + 16_000])
        events += transcriber.step()
    events += transcriber.finish()
    assert [e for e in events if isinstance(e, Committed)] == []
    assert decoder.calls == 0  # the VAD gate kept Whisper from ever seeing the silence


@pytest.mark.slow
def test_prefix_decode_returns_only_the_words_after_the_committed_text(
    german_speech_wav: SpeechClip, whisper_model_dir: Path
) -> None:
    audio = read_wav(german_speech_wav.path)[: 8 * 16_000]
    decoder = WhisperDecoder(get_shared_model(MODEL))
    options = StreamOptions()
    plain = decoder.decode(audio, prompt="", options=options).words
    assert len(plain) >= 8
    head = plain[:4]
    after = decoder.decode(audio, prompt="", options=options, prefix=" ".join(w.text for w in head)).words
    # the forced prefix is not returned, the continuation is (aligned together with the prefix, so the
    # new words sit after it in the buffer instead of being spread from its start)
    assert after and normalize(after[0].text) != normalize(head[0].text)
    assert normalize(" ".join(w.text for w in after)) in normalize(" ".join(w.text for w in plain[3:])) or (
        wer(" ".join(w.text for w in plain[4:]), " ".join(w.text for w in after)) < 0.5
    )
    assert after[0].start >= head[-1].end - 0.3
    assert all(b.start >= a.start for a, b in zip(after, after[1:], strict=False))


@pytest.mark.slow
def test_live_steps_decode_one_window_and_the_final_decode_all(
    german_speech_wav: SpeechClip, whisper_model_dir: Path
) -> None:
    # speech, then a second and a half of silence after the last word
    audio = np.concatenate([read_wav(german_speech_wav.path)[: 6 * 16_000], silence(1.5)])
    decoder = WhisperDecoder(get_shared_model(MODEL))
    options = StreamOptions(prefix_committed=False)
    # faster-whisper seeks back to the last word end and decodes the tail again as a second window;
    # a live step stops after the first, the last decode of a stream takes all of them
    one = decoder.decode(audio, prompt="", options=options)
    assert decoder.windows_cut == 1 and len(one.words) >= 5
    every = decoder.decode(audio, prompt="", options=dataclasses.replace(options, single_window=False))
    assert decoder.windows_cut == 1 and len(every.words) >= len(one.words)
