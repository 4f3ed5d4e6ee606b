"""asr/whisper/engine.py checks at import time that faster-whisper still has the internals it uses."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from faster_whisper import WhisperModel

from asr.errors import ModelError
from asr.whisper import engine as whisper


def test_the_installed_release_is_the_tested_minor_version_and_has_every_internal() -> None:
    assert version("faster-whisper").split(".")[:2] == whisper.TESTED_VERSION.split(".")[:2]
    assert whisper.missing_internals() == []
    whisper.check_internals()


def test_a_missing_internal_stops_with_its_name_and_the_tested_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(WhisperModel, "find_alignment")
    monkeypatch.delattr(whisper._fw_transcribe, "merge_punctuations")
    assert whisper.missing_internals() == [
        "faster_whisper.WhisperModel.find_alignment",
        "faster_whisper.transcribe.merge_punctuations",
    ]
    with pytest.raises(ModelError, match=r"lacks .*find_alignment.*merge_punctuations.*tested with 1\.2\.1"):
        whisper.check_internals()


def test_the_short_window_takes_few_lengths_and_never_cuts_audio() -> None:
    # CTranslate2 keeps memory per input length: a long meeting must not see hundreds of them
    lengths = set()
    for content in range(0, 2_700):
        keep = whisper.encoder_frames(3_000, content, pad_frames=300, min_frames=200)
        assert keep >= min(3_000, content + 300) and keep % 2 == 0 and keep <= 3_000
        lengths.add(keep)
    assert len(lengths) <= 30


def test_an_unknown_decoder_is_refused_with_the_choices() -> None:
    with pytest.raises(ModelError, match="ctranslate2, faster-whisper"):
        whisper.make_decoder(object(), "whisper.cpp")  # type: ignore[arg-type]
