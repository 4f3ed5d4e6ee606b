"""Render the German evaluation clips for the live subtitle service.

The reference texts live next to this script in ``refs/<clip>.txt`` (committed); the audio is rendered
with espeak-ng (through :func:`asr.eval.synth.render_speech`) in several voices and speeds, so nothing is
downloaded. Deterministic: the same texts, voices and sox/espeak-ng versions give the same samples.

Clips:

* six speech clips of 20-60 s on council-meeting and citizen-service topics,
* ``abfall_sperrmuell_pause``: 8 s of digital silence between its two paragraphs,
* ``bauausschuss_laerm``: pink noise mixed under the speech (sox ``synth pinknoise``, about 15 dB SNR),
* ``stille_rauschen``: noise and silence only, with an EMPTY reference (every word emitted is wrong).

A second set, ``--set debate``, holds multi-speaker council debates in more natural voices: MBROLA
diphone voices through espeak-ng (``mb-de6`` male, ``mb-de7`` female) and SVOX Pico (``pico``, female),
a new speaker every paragraph of the reference, 0.6 s between turns. Those voices come from Debian
contrib/non-free and are evaluation tooling only: ``scripts/setup-eval-voices.sh`` installs them.

A third, ``--set soak``, is one long council session for the soak run (``rathaus asr soak``): 30 minutes
of turns in every installed voice, long pauses (30-120 s) and applause-like noise, from seeded templates
(:mod:`asr.eval.session`; ``--minutes``, ``--seed``). Never committed: render it into out/ or the cache.

For each clip the output folder gets ``<clip>.wav`` (16 kHz mono PCM16) and ``<clip>.json`` with the
reference text and the intervals known to be silent; ``manifest.json`` lists them all.

Usage::

    .venv/bin/python data/eval/asr/generate.py --out data/eval/asr/clips
    rathaus asr eval --manifest data/eval/asr/clips/manifest.json
    scripts/setup-eval-voices.sh && .venv/bin/python data/eval/asr/generate.py --set debate --out out/asr-debate
    .venv/bin/python data/eval/asr/generate.py --set soak --out out/asr-soak    # or just `rathaus asr soak`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REFS = HERE / "refs"
SAMPLE_RATE = 16_000
LEAD_S = 0.5  # silence before and after each clip, like a microphone that opens before speech
PAUSE_S = 8.0  # the silent gap in the middle of the pause clip
SILENCE_MARGIN_S = 0.5  # words ending/starting this close to speech are not "in silence"


@dataclass(frozen=True, slots=True)
class ClipSpec:
    name: str
    voice: str
    speed: int
    noise: float = 0.0  # pink noise amplitude (sox vol), 0 = none
    noise_only_s: float = 0.0  # > 0: no speech, this many seconds of noise and silence
    speakers: tuple[str, ...] = ()  # debate clips: one voice per turn (paragraph), cycling


CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec("ratssitzung_eroeffnung", voice="de", speed=150),
    ClipSpec("buergerbuero_personalausweis", voice="de+m1", speed=140),
    ClipSpec("haushalt_beratung", voice="de+m3", speed=165),
    ClipSpec("abfall_sperrmuell_pause", voice="de+m3", speed=145),
    ClipSpec("bauausschuss_laerm", voice="de+m2", speed=150, noise=0.06),
    ClipSpec("kita_wohngeld", voice="de", speed=170),
    ClipSpec("stille_rauschen", voice="de", speed=150, noise=0.02, noise_only_s=16.0),
)

TURN_GAP_S = 0.6  # between two speakers of a debate clip (too short to count as silence)

#: ``--set debate``: multi-speaker council debates in MBROLA and Pico voices (scripts/setup-eval-voices.sh)
DEBATE_CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec("debatte_radweg", voice="mb-de6", speed=150, speakers=("mb-de6", "mb-de7", "pico", "mb-de7", "mb-de6")),
    ClipSpec(
        "debatte_haushalt", voice="mb-de7", speed=155, noise=0.02, speakers=("mb-de7", "mb-de6", "pico", "mb-de7")
    ),
)

SETS = {"espeak": CLIPS, "debate": DEBATE_CLIPS}


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        if wav.getframerate() != SAMPLE_RATE or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise SystemExit(f"{path}: expected 16 kHz mono PCM16 from render_speech")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").copy()


def _write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.astype("<i2").tobytes())


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)


def _pink_noise(seconds: float, amplitude: float, workdir: Path) -> np.ndarray:
    """Pink noise from sox's synth in repeatable mode (-R), so every run gives the same samples."""
    sox = shutil.which("sox")
    if sox is None:
        raise SystemExit("sox is not installed: apt-get install sox (needed for the noise clips)")
    out = workdir / "noise.wav"
    subprocess.run(
        [
            sox,
            "-R",
            "-n",
            "-r",
            str(SAMPLE_RATE),
            "-c",
            "1",
            "-b",
            "16",
            str(out),
            "synth",
            f"{seconds:.3f}",
            "pinknoise",
            "vol",
            f"{amplitude}",
        ],
        check=True,
        capture_output=True,
    )
    return _read_wav(out)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def render_clip(spec: ClipSpec, out_dir: Path, workdir: Path) -> dict[str, object]:
    from asr.eval.synth import render_speech, render_voice

    reference = (REFS / f"{spec.name}.txt").read_text(encoding="utf-8")
    parts: list[np.ndarray] = [_silence(LEAD_S)]
    silence: list[tuple[float, float]] = []
    position = LEAD_S
    if spec.noise_only_s > 0:
        if reference.strip():
            raise SystemExit(f"refs/{spec.name}.txt must be empty for a noise-only clip")
        # nothing said: digital silence with pink noise mixed over it below
        parts = [_silence(LEAD_S), _silence(spec.noise_only_s)]
        position = LEAD_S + spec.noise_only_s
    elif spec.speakers:
        for i, paragraph in enumerate(_paragraphs(reference)):
            if i > 0:
                parts.append(_silence(TURN_GAP_S))
                position += TURN_GAP_S
            voice = spec.speakers[i % len(spec.speakers)]
            wav = render_voice(paragraph, workdir / f"{spec.name}-{i}.wav", voice=voice, speed=spec.speed)
            speech = _read_wav(wav)
            parts.append(speech)
            position += len(speech) / SAMPLE_RATE
    else:
        for i, paragraph in enumerate(_paragraphs(reference)):
            if i > 0:
                silence.append((position + SILENCE_MARGIN_S, position + PAUSE_S - SILENCE_MARGIN_S))
                parts.append(_silence(PAUSE_S))
                position += PAUSE_S
            wav = render_speech(paragraph, workdir / f"{spec.name}-{i}.wav", voice=spec.voice, speed=spec.speed)
            speech = _read_wav(Path(wav))
            parts.append(speech)
            position += len(speech) / SAMPLE_RATE
    parts.append(_silence(LEAD_S))
    samples = np.concatenate(parts)
    if spec.noise > 0:
        noise = _pink_noise(len(samples) / SAMPLE_RATE, spec.noise, workdir)[: len(samples)]
        noise = np.pad(noise, (0, len(samples) - len(noise)))
        samples = np.clip(samples.astype(np.int32) + noise.astype(np.int32), -32768, 32767).astype(np.int16)
    duration = len(samples) / SAMPLE_RATE
    if not reference.strip():
        silence = [(0.0, duration)]
    audio = out_dir / f"{spec.name}.wav"
    _write_wav(audio, samples)
    meta = {
        "audio": audio.name,
        "ref": f"{spec.name}.txt",
        "reference": " ".join(reference.split()),
        "duration_s": round(duration, 3),
        "voice": "+".join(dict.fromkeys(spec.speakers)) if spec.speakers else spec.voice,
        "speed": spec.speed,
        "noise": spec.noise,
        "silence": [[round(a, 3), round(b, 3)] for a, b in silence],
    }
    (out_dir / f"{spec.name}.txt").write_text(meta["reference"] + ("\n" if reference.strip() else ""), encoding="utf-8")
    (out_dir / f"{spec.name}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return meta


def generate(out_dir: Path, *, only: list[str] | None = None, clip_set: str = "espeak") -> list[dict[str, object]]:
    """Render every clip of ``clip_set`` (or the named ones) into ``out_dir``; returns the manifest entries."""
    clips = SETS[clip_set]
    # sox dithers with a random seed unless told to be repeatable; SOX_OPTS reaches the sox calls
    # inside asr.eval.synth too, so the same inputs give byte-identical clips.
    os.environ["SOX_OPTS"] = (os.environ.get("SOX_OPTS", "") + " -R").strip()
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = [c for c in clips if not only or c.name in only]
    unknown = set(only or ()) - {c.name for c in clips}
    if unknown:
        raise SystemExit(f"unknown clip(s) {sorted(unknown)}; known: {[c.name for c in clips]}")
    with tempfile.TemporaryDirectory(prefix="rathaus-eval-") as tmp:
        entries = [render_clip(spec, out_dir, Path(tmp)) for spec in specs]
    (out_dir / "manifest.json").write_text(
        json.dumps({"version": 1, "clips": entries}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "clips", help="output folder (default: clips/)")
    parser.add_argument("--clip", action="append", dest="only", help="render only this clip (repeatable)")
    parser.add_argument(
        "--set",
        choices=[*sorted(SETS), "soak"],
        default="espeak",
        dest="clip_set",
        help="espeak: the espeak-ng set (default); debate: multi-speaker debates, MBROLA + Pico voices; "
        "soak: one long session with pauses and applause",
    )
    parser.add_argument("--minutes", type=float, default=30.0, help="--set soak: length of the session")
    parser.add_argument("--seed", type=int, default=9, help="--set soak: seed of the session")
    args = parser.parse_args(argv)
    if args.clip_set == "soak":
        from asr.eval.session import SessionOptions, generate_session

        audio = generate_session(args.out, SessionOptions(minutes=args.minutes, seed=args.seed))
        print(f"{audio.name}  (reference {audio.with_suffix('.txt').name}, sidecar {audio.with_suffix('.json').name})")
        return 0
    for entry in generate(args.out, only=args.only, clip_set=args.clip_set):
        print(f"{entry['audio']:<36} {entry['duration_s']:6.1f} s  voice={entry['voice']} speed={entry['speed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
