"""espeak-ng test speech (``slow``: it runs espeak-ng and sox) and the WAV helpers (pure Python)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from asr.errors import SynthError
from asr.eval.synth import concat_wavs, mix_noise, read_wav, render_speech, write_wav


@pytest.mark.slow
def test_render_speech_gives_16k_mono_pcm16(tmp_path: Path) -> None:
    path = render_speech("Die Sitzung ist eröffnet.", tmp_path / "a.wav", voice="de+f2", speed=160, pitch=60, gap_ms=20)
    with wave.open(str(path)) as handle:
        assert (handle.getframerate(), handle.getnchannels(), handle.getsampwidth()) == (16_000, 1, 2)
    audio = read_wav(path)
    assert 0.8 < audio.size / 16_000 < 4.0
    assert np.abs(audio).max() > 0.1


@pytest.mark.slow
def test_slower_speech_is_longer(tmp_path: Path) -> None:
    fast = read_wav(render_speech("Der Haushalt wird beraten.", tmp_path / "f.wav", speed=200))
    slow = read_wav(render_speech("Der Haushalt wird beraten.", tmp_path / "s.wav", speed=110))
    assert slow.size > fast.size * 1.4


def test_concat_with_silence_and_noise_mix_are_reproducible(tmp_path: Path) -> None:
    tone = (0.3 * np.sin(np.arange(16_000) / 16_000 * 2 * np.pi * 200)).astype(np.float32)
    write_wav(tone, tmp_path / "t.wav")
    out = concat_wavs([tmp_path / "t.wav", 2.0, tmp_path / "t.wav"], tmp_path / "c.wav")
    audio = read_wav(out)
    assert audio.size == 4 * 16_000
    assert np.abs(audio[16_000:48_000]).max() == 0
    a = read_wav(mix_noise(out, tmp_path / "n1.wav", snr_db=10, seed=3))
    b = read_wav(mix_noise(out, tmp_path / "n2.wav", snr_db=10, seed=3))
    assert np.array_equal(a, b)
    assert np.abs(a[20_000:40_000]).max() > 0  # noise fills the silence


@pytest.mark.slow
def test_unknown_voice_names_espeak_ng(tmp_path: Path) -> None:
    with pytest.raises(SynthError, match="espeak-ng"):
        render_speech("Hallo", tmp_path / "x.wav", voice="no-such-voice")


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(SynthError, match="empty text"):
        render_speech("  ", tmp_path / "x.wav")
    (tmp_path / "bad.wav").write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(SynthError, match="not a readable WAV"):
        read_wav(tmp_path / "bad.wav")
