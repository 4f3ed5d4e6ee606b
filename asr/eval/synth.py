"""German test speech: espeak-ng renders text, sox resamples to 16 kHz mono PCM16 WAV.

Used by the tests and by the evaluation data generator (``data/eval/asr/``). Silence and noise are
made with numpy from a fixed seed, so generated clips are byte-for-byte reproducible.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from asr.errors import SynthError

__all__ = [
    "SAMPLE_RATE",
    "concat_wavs",
    "mix_noise",
    "natural_voices_installed",
    "read_wav",
    "render_speech",
    "render_voice",
    "silence",
    "write_wav",
]

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SynthError(f"{name} is not installed; install the Debian package {package!r} (apt-get install {package})")
    return found


def _run(args: list[str], what: str) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as exc:
        stderr = exc.stderr.decode("utf-8", "replace").strip()
        raise SynthError(f"{what} failed (exit {exc.returncode}): {stderr or 'no output'}; command: {args}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SynthError(f"{what} took longer than 120 s; command: {args}") from exc


@lru_cache(maxsize=1)
def _known_voices(espeak: str) -> frozenset[str]:
    listing = subprocess.run([espeak, "--voices"], capture_output=True, text=True, timeout=30).stdout
    names: set[str] = set()
    for row in listing.splitlines()[1:]:
        cols = row.split()
        if len(cols) >= 5:
            names.update({cols[1].casefold(), cols[3].casefold(), cols[4].rsplit("/", 1)[-1].casefold()})
    return frozenset(names)


def _check_voice(espeak: str, voice: str) -> None:
    # espeak-ng silently falls back to its default voice for unknown names; refuse them instead.
    base = voice.split("+", 1)[0].casefold()
    if base not in _known_voices(espeak):
        raise SynthError(
            f"espeak-ng has no voice {voice!r}; use a language code such as 'de' with an optional variant "
            "('de+m3', 'de+f2'); list them with `espeak-ng --voices`"
        )


def render_speech(
    text: str,
    out_wav: Path | str,
    *,
    voice: str = "de",
    speed: int = 150,
    pitch: int | None = None,
    gap_ms: int | None = None,
) -> Path:
    """Speak ``text`` with espeak-ng into a 16 kHz mono PCM16 WAV at ``out_wav``.

    ``voice`` is an espeak-ng voice (``de``, ``de+m3``, ``de+f2``), ``speed`` words per minute,
    ``pitch`` 0-99, ``gap_ms`` extra pause between words (espeak ``-g``, in 10 ms units rounded).
    """
    if not text.strip():
        raise SynthError("render_speech() got empty text; use silence() for silent clips")
    espeak = _tool("espeak-ng", "espeak-ng")
    sox = _tool("sox", "sox")
    _check_voice(espeak, voice)
    out = Path(out_wav)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rathaus-tts-") as tmp:
        raw = Path(tmp) / "espeak.wav"
        text_file = Path(tmp) / "text.txt"
        text_file.write_text(text, encoding="utf-8")
        args = [espeak, "-v", voice, "-s", str(speed), "-f", str(text_file), "-w", str(raw)]
        if pitch is not None:
            args[1:1] = ["-p", str(pitch)]
        if gap_ms is not None:
            args[1:1] = ["-g", str(max(0, round(gap_ms / 10)))]
        _run(args, f"espeak-ng (voice {voice})")
        staged = Path(tmp) / "out.wav"
        resample = [sox, str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(staged)]
        _run(resample, "sox resample")
        shutil.move(str(staged), out)
    return out


def render_voice(text: str, out_wav: Path | str, *, voice: str, speed: int = 150) -> Path:
    """Speak ``text`` in any voice of the evaluation into a 16 kHz mono PCM16 WAV at ``out_wav``.

    ``pico``: SVOX Pico (``pico2wave -l de-DE``); ``mb-de6``/``mb-de7``: MBROLA diphone voices driven
    by espeak-ng; anything else: an espeak-ng voice (:func:`render_speech`). Pico and MBROLA come from
    Debian contrib/non-free and are evaluation tooling only (``scripts/setup-eval-voices.sh``).
    """
    if voice != "pico" and not voice.startswith("mb-"):
        return render_speech(text, out_wav, voice=voice, speed=speed)
    if not text.strip():
        raise SynthError("render_voice() got empty text; use silence() for silent clips")
    if voice == "pico":
        args = [_tool("pico2wave", "libttspico-utils"), "-l", "de-DE", "-w"]
    else:
        _tool("mbrola", "mbrola")
        args = [_tool("espeak-ng", "espeak-ng"), "-v", voice, "-s", str(speed), "-w"]
    sox = _tool("sox", "sox")
    out = Path(out_wav)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rathaus-tts-") as tmp:
        raw = Path(tmp) / "raw.wav"  # pico2wave wants a name ending in .wav
        _run([*args, str(raw), text], f"{args[0]} (voice {voice})")
        if not raw.is_file() or raw.stat().st_size <= 44:
            raise SynthError(
                f"voice {voice!r} produced no audio; check `espeak-ng --voices=mb` / `pico2wave` "
                "(scripts/setup-eval-voices.sh installs them)"
            )
        staged = Path(tmp) / "out.wav"
        _run([sox, str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(staged)], "sox resample")
        shutil.move(str(staged), out)
    return out


def natural_voices_installed() -> bool:
    """Whether the MBROLA German voices and SVOX Pico can be used (``scripts/setup-eval-voices.sh``)."""
    mbrola = Path("/usr/share/mbrola")
    has_mbrola = shutil.which("mbrola") is not None and all((mbrola / v).exists() for v in ("de6", "de7"))
    return has_mbrola and shutil.which("pico2wave") is not None


def read_wav(path: Path | str) -> np.ndarray:
    """Samples of a 16 kHz mono PCM16 WAV as float32 in [-1, 1]."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as handle:
            if handle.getframerate() != SAMPLE_RATE or handle.getnchannels() != 1 or handle.getsampwidth() != 2:
                raise SynthError(
                    f"{path}: expected 16 kHz mono 16-bit WAV, got {handle.getframerate()} Hz, "
                    f"{handle.getnchannels()} channels, {8 * handle.getsampwidth()} bit; convert with "
                    f"`sox {path.name} -r 16000 -c 1 -b 16 out.wav`"
                )
            frames = handle.readframes(handle.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise SynthError(f"{path}: not a readable WAV file ({exc})") from exc
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def write_wav(samples: np.ndarray, path: Path | str) -> Path:
    """Write float32 samples as a 16 kHz mono PCM16 WAV (clipped to [-1, 1])."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(pcm.tobytes())
    return path


def silence(seconds: float) -> np.ndarray:
    """``seconds`` of digital silence."""
    return np.zeros(int(round(seconds * SAMPLE_RATE)), dtype=np.float32)


def concat_wavs(parts: Sequence[Path | str | float], out_wav: Path | str) -> Path:
    """Concatenate WAV files and silences (a number = that many seconds of silence) into one WAV."""
    chunks = [silence(float(p)) if isinstance(p, int | float) else read_wav(p) for p in parts]
    return write_wav(np.concatenate(chunks) if chunks else silence(0), out_wav)


def mix_noise(
    in_wav: Path | str,
    out_wav: Path | str,
    *,
    snr_db: float = 15.0,
    kind: str = "pink",
    seed: int = 0,
) -> Path:
    """Add white or pink noise at ``snr_db`` (relative to the speech RMS) with a fixed seed."""
    speech = read_wav(in_wav)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(speech.size).astype(np.float64)
    if kind == "pink":
        spectrum = np.fft.rfft(noise)
        freqs = np.fft.rfftfreq(noise.size)
        freqs[0] = freqs[1] if freqs.size > 1 else 1.0
        noise = np.fft.irfft(spectrum / np.sqrt(freqs), n=noise.size)
    elif kind != "white":
        raise SynthError(f"mix_noise(kind={kind!r}): use 'white' or 'pink'")
    speech_rms = float(np.sqrt(np.mean(np.square(speech, dtype=np.float64)))) or 1e-3
    noise_rms = float(np.sqrt(np.mean(np.square(noise)))) or 1.0
    noise *= speech_rms / noise_rms / (10 ** (snr_db / 20))
    return write_wav((speech + noise).astype(np.float32), out_wav)
