"""WebVTT/SRT output through webvtt-py and srt, and reading it back."""

from __future__ import annotations

from pathlib import Path

import pytest
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from common.subtitles import (
    Cue,
    SubtitleFileError,
    parse_srt,
    parse_webvtt,
    read_subtitles,
    to_srt,
    to_webvtt,
    write_subtitles,
)

CUES = [
    Cue(1, 0.0, 2.5, ("Guten Abend, meine Damen und Herren.",)),
    Cue(2, 2.5, 6.04, ("Wir beraten den Haushalt", "für 2027 & die <Straßen>.")),
    Cue(3, 3725.125, 3727.0, ("Nach einer Stunde: Ende.",)),
]


def test_webvtt_document_is_valid_and_escaped() -> None:
    text = to_webvtt(CUES)
    assert text.startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.500\n")
    assert "01:02:05.125 --> 01:02:07.000" in text
    assert "&amp; die &lt;Straßen&gt;." in text
    assert len(webvtt.from_string(text).captions) == 3


def test_srt_document() -> None:
    text = to_srt(CUES)
    assert text.startswith("1\n00:00:00,000 --> 00:00:02,500\nGuten Abend, meine Damen und Herren.\n\n2\n")
    assert "01:02:05,125 --> 01:02:07,000" in text


@pytest.mark.parametrize("suffix", [".vtt", ".srt"])
def test_write_and_read_back(tmp_path: Path, suffix: str) -> None:
    path = write_subtitles(CUES, tmp_path / f"sitzung{suffix}")
    assert read_subtitles(path) == CUES
    assert [p.name for p in tmp_path.iterdir()] == [f"sitzung{suffix}"]  # no temp files left


def test_unknown_suffix_and_broken_files_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SubtitleFileError, match=r"\.vtt or \.srt"):
        write_subtitles(CUES, tmp_path / "x.txt")
    broken = tmp_path / "broken.vtt"
    broken.write_text("not a subtitle file", encoding="utf-8")
    with pytest.raises(SubtitleFileError, match="WEBVTT"):
        read_subtitles(broken)
    with pytest.raises(SubtitleFileError, match="cannot read"):
        read_subtitles(tmp_path / "missing.srt")


LINE = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßABC0123456789 ,.?!&<>-:", min_size=1, max_size=37)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: bool(s) and "-->" not in s)
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000_000), st.integers(1, 20_000), st.lists(LINE, min_size=1, max_size=2)),
        min_size=1,
        max_size=8,
    )
)
def test_round_trip_property(items) -> None:  # type: ignore[no-untyped-def]
    cues = []
    t = 0
    for index, (gap, dur, lines) in enumerate(items, 1):
        start = t + gap
        cues.append(Cue(index, start / 1000, (start + dur) / 1000, tuple(lines)))
        t = start + dur
    assert parse_webvtt(to_webvtt(cues)) == cues
    assert parse_srt(to_srt(cues)) == cues


def test_light_modules_do_not_load_the_speech_engine() -> None:
    """The asr package root, its cores and the subtitle files must not pull in faster-whisper or CTranslate2."""
    import subprocess
    import sys

    code = (
        "import sys, asr, common.subtitles, asr.core.cues, asr.core.options, asr.core.decoder, "
        "asr.core.streaming, asr.core.guards, asr.whisper.model; "
        "heavy = [m for m in ('faster_whisper', 'ctranslate2', 'onnxruntime') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
