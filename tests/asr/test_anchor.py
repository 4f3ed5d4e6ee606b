"""The evaluation's references on the real base model: the anchor (plain faster-whisper) and both
batching modes of the file path agree on a clean clip, and the file path drops no speech there."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.core.options import ModelOptions, StreamOptions
from asr.eval.anchor import anchor_transcribe, offline_transcribe
from asr.eval.evaluate import longest_missing_run, wer
from asr.eval.synth import read_wav
from asr.whisper.model import get_shared_model
from tests.fixtures.asr import SpeechClip

MODEL = ModelOptions(cpu_threads=2)


@pytest.mark.slow
def test_anchor_and_both_file_paths_agree_on_a_clean_clip(
    german_speech_wav: SpeechClip, whisper_model_dir: Path
) -> None:
    model = get_shared_model(MODEL)
    samples = read_wav(german_speech_wav.path)
    reference = german_speech_wav.text
    anchor = anchor_transcribe(model, german_speech_wav.path)
    batched = offline_transcribe(model, samples, StreamOptions(), batch_size=8)
    sequential = offline_transcribe(model, samples, StreamOptions(), batch_size=0)
    assert (anchor.path, batched.path, sequential.path) == ("anchor", "offline-batched", "offline-sequential")
    wers = {run.path: wer(reference, run.text) for run in (anchor, batched, sequential)}
    assert all(w is not None and w < 0.35 for w in wers.values()), wers
    # close to each other: one reference, three ways to run the same model over a clean clip
    assert max(wers.values()) - min(wers.values()) <= 0.1, (wers, anchor.text, batched.text, sequential.text)
    for run in (anchor, batched, sequential):
        assert longest_missing_run(reference, run.text) <= 2, (run.path, run.text)
    # on clean speech the guards of the file path have nothing to drop
    assert batched.dropped_words == () and sequential.dropped_words == ()
