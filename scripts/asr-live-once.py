#!/usr/bin/env python3
"""The live path alone on one clip: WER, commit latency p50/p95, RTF and CPU seconds per decode.

For same-machine comparisons between two versions of the ``asr`` package (``rathaus asr eval`` also
runs the anchor and the file paths, which a latency comparison does not need)::

    git archive 1298a01 asr | tar -x -C /tmp/asr-base
    PYTHONPATH=/tmp/asr-base .venv/bin/python scripts/asr-live-once.py out/asr-clips/haushalt_beratung.wav
    .venv/bin/python scripts/asr-live-once.py out/asr-clips/haushalt_beratung.wav

Base model, one CTranslate2 thread, ``--clock cpu`` semantics (process CPU time), default StreamOptions.
The reference is ``<clip>.txt`` next to the WAV.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    import asr
    from asr.core.cues import CueBuilder
    from asr.core.options import ModelOptions, StreamOptions
    from asr.eval.evaluate import percentile, simulate_live, wer
    from asr.live.sources import read_pcm
    from asr.whisper.engine import WhisperDecoder, live_transcriber
    from asr.whisper.model import get_shared_model

    wav = Path(argv[0])
    reference = wav.with_suffix(".txt").read_text(encoding="utf-8")
    samples = read_pcm(wav).astype(np.float32) / 32768.0
    decoder = WhisperDecoder(get_shared_model(ModelOptions(cpu_threads=1)))
    transcriber = live_transcriber(decoder, StreamOptions())
    run = simulate_live(samples, transcriber, CueBuilder(), timer=time.process_time)
    text = " ".join(w.text for w in run.words)
    p50, p95 = percentile(run.latencies, 50) or 0.0, percentile(run.latencies, 95) or 0.0
    print(
        f"asr from {Path(asr.__file__).parent}: {wav.stem} WER {wer(reference, text) or 0.0:.3f} "
        f"p50 {p50:.2f} s p95 {p95:.2f} s RTF {run.compute_s / run.duration_s:.2f} "
        f"CPU-s per decode {run.compute_s / max(1, decoder.calls):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
