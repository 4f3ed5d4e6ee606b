"""A long council session for the soak run: speech of several voices, long pauses and applause.

One deterministic (seeded) session of ``SessionOptions.minutes`` (30 by default) of audio, written on
demand (never committed): turns of 2-6 sentences by a new speaker each, 0.6 s between turns, and in the
middle part, every 2-3.5 minutes, an event: a long pause (30-120 s of faint room tone), applause-like
noise (4-10 s of synthetic clapping) or applause followed by a pause. The first and the last
``edge_s`` (5 minutes) are speech only, so the soak's first and last windows hold enough commits to
compare. The text comes from sentence templates about council business (numbers, dates, streets) with
seeded slots; a template is not used again until all the others have been (the recited-text guard
drops five words that repeat the last 80 committed ones, so the text must not repeat itself).

Voices: espeak-ng (``de``, ``de+m1``, ``de+m3``, ``de+f2``) and, when installed
(``scripts/setup-eval-voices.sh``), MBROLA ``mb-de6``/``mb-de7`` and SVOX Pico; a speaker never follows
itself. Which voices were used is written into the sidecar.

Output in ``out_dir``: ``<name>.wav`` (16 kHz mono PCM16), ``<name>.txt`` (reference), ``<name>.json``
(sidecar: reference, ``silence`` = pauses and applause less a 0.5 s margin, the format that
:func:`asr.eval.evaluate.load_clip` reads; ``noise`` = the applause alone; turns with voice and times)
and ``manifest.json``. Same seed, same tools: same samples.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from asr.eval.synth import SAMPLE_RATE, natural_voices_installed, read_wav, render_voice, write_wav

__all__ = ["SessionOptions", "generate_session", "session_name"]

ESPEAK_VOICES = ("de", "de+m3", "de+f2", "de+m1")
NATURAL_VOICES = ("mb-de6", "mb-de7", "pico")
TURN_GAP_S = 0.6
LEAD_S = 0.5
SILENCE_MARGIN_S = 0.5
ROOM_TONE = 0.002  # amplitude of the faint noise in long pauses (about -54 dBFS)

STREETS = (
    "Bahnhofstraße", "Lindenallee", "Schulstraße", "Kirchgasse", "Gartenstraße", "Bergstraße",
    "Rosenstraße", "Mühlenstraße", "Friedhofstraße", "Parkstraße", "Wiesenstraße", "Mozartstraße",
)  # fmt: skip
PEOPLE = (
    "Frau Becker", "Herr Wagner", "Frau Schneider", "Herr Krüger", "Frau Hoffmann", "Herr Schulz",
    "Frau Neumann", "Herr Richter",
)  # fmt: skip
MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
    "November", "Dezember",
)  # fmt: skip
TEMPLATES = (
    "Wir kommen zu Punkt {small} der Tagesordnung, dem Antrag zur {street}.",
    "Die Verwaltung schlägt vor, die Sanierung der {street} im {month} zu beginnen.",
    "Die Kosten liegen nach der Schätzung bei {amount} Euro.",
    "{person} hat das Wort, bitte schön.",
    "Vielen Dank, ich möchte zuerst auf die Zahlen aus dem Ausschuss eingehen.",
    "Im letzten Jahr haben wir {count} Anträge auf Wohngeld bearbeitet.",
    "Der Bauausschuss hat am {day}. {month} mit großer Mehrheit zugestimmt.",
    "Meine Fraktion kann diesem Vorschlag so nicht folgen.",
    "Die Anwohner der {street} beklagen sich seit Monaten über den Lärm der Baustelle.",
    "Wer dem Antrag zustimmen möchte, den bitte ich um das Handzeichen.",
    "Das ist die Mehrheit, damit ist der Antrag angenommen.",
    "Für die Grundschule in der {street} brauchen wir {small} zusätzliche Klassenräume.",
    "Die Gebühren für die Müllabfuhr steigen um {percent} Prozent.",
    "Ich frage die Verwaltung, warum der Bericht erst heute vorliegt.",
    "Der Radweg entlang der {street} soll bis zum {day}. {month} fertig sein.",
    "Wir haben im Haushalt dafür {amount} Euro eingeplant.",
    "Die Kita in der {street} hat derzeit {count} Kinder auf der Warteliste.",
    "Das Bürgerbüro ist ab nächster Woche auch am Samstagvormittag geöffnet.",
    "{person} möchte dazu eine kurze Nachfrage stellen.",
    "Die Stadtwerke rechnen mit {count} neuen Anschlüssen an das Fernwärmenetz.",
    "Gibt es weitere Wortmeldungen zu diesem Punkt?",
    "Ich sehe keine weiteren Wortmeldungen und schließe die Aussprache.",
    "Der Spielplatz an der {street} wird im Frühjahr erneuert.",
    "Nach dem Gutachten fehlen in der Innenstadt rund {count} Parkplätze.",
    "Die Feuerwehr braucht ein neues Fahrzeug, das alte ist {small} Jahre überfällig.",
    "Wir beantragen, die Entscheidung in den Finanzausschuss zu verweisen.",
    "Die Beleuchtung in der {street} wird auf sparsame Leuchten umgestellt.",
    "Für den Busverkehr am Abend fehlen dem Landkreis {amount} Euro im Jahr.",
    "Die Bürgerversammlung zum neuen Baugebiet findet am {day}. {month} statt.",
    "Ich bedanke mich bei allen Ehrenamtlichen, die das Stadtfest möglich gemacht haben.",
    "Die Schwimmhalle bleibt wegen der Reparatur bis Ende {month} geschlossen.",
    "Der Zuschuss für die Vereine wird auf {amount} Euro erhöht.",
)


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """What the session looks like; defaults: the 30-minute soak session of issue 9."""

    minutes: float = 30.0
    seed: int = 9
    pause_s: tuple[float, float] = (30.0, 120.0)  # long pauses, uniform in this range
    applause_s: tuple[float, float] = (4.0, 10.0)
    event_every_s: tuple[float, float] = (120.0, 200.0)  # speech between two events
    edge_s: float = 300.0  # speech only at the start and at the end (the soak's compared windows)
    natural_voices: bool | None = None  # None: use MBROLA and Pico when installed

    @classmethod
    def short(cls, seconds: float = 60.0, *, seed: int = 9) -> SessionOptions:
        """A scaled-down session (tests): one event with short pauses in the middle."""
        return cls(
            minutes=seconds / 60,
            seed=seed,
            pause_s=(6.0, 9.0),
            applause_s=(2.0, 3.0),
            event_every_s=(12.0, 16.0),
            edge_s=seconds / 4,
        )


def session_name(options: SessionOptions) -> str:
    return f"soak_{options.minutes:g}min_seed{options.seed}"


class _Text:
    """Sentences from the templates, each template used once per shuffled round."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._deck: list[str] = []

    def sentence(self) -> str:
        if not self._deck:
            self._deck = list(TEMPLATES)
            self._rng.shuffle(self._deck)
        r = self._rng
        return self._deck.pop().format(
            street=r.choice(STREETS),
            person=r.choice(PEOPLE),
            month=r.choice(MONTHS),
            day=r.randint(1, 28),
            small=r.randint(2, 12),
            count=r.randint(13, 980),
            percent=r.randint(2, 9),
            amount=f"{r.randint(12, 950)}.000",
        )


def _applause(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Synthetic clapping: many short decaying noise bursts, denser in the middle, high-passed."""
    n = int(seconds * SAMPLE_RATE)
    out = np.zeros(n, dtype=np.float32)
    t = np.arange(n) / SAMPLE_RATE
    envelope = np.minimum(1.0, np.minimum(t / 0.8, (seconds - t) / 1.5)).clip(0.05, 1.0)
    claps = rng.poisson(35 * seconds)
    burst = int(0.03 * SAMPLE_RATE)
    decay = np.exp(-np.arange(burst) / (0.005 * SAMPLE_RATE)).astype(np.float32)
    for at in rng.integers(0, max(1, n - burst), size=claps):
        gain = rng.uniform(0.05, 0.25) * envelope[at]
        out[at : at + burst] += (rng.standard_normal(burst).astype(np.float32) * decay * gain)[: n - at]
    out = np.diff(out, prepend=0.0).astype(np.float32)  # claps are bright: first difference as a high-pass
    peak = float(np.max(np.abs(out))) or 1.0
    return out * (0.5 / peak)


def _voices(options: SessionOptions) -> tuple[str, ...]:
    natural = natural_voices_installed() if options.natural_voices is None else options.natural_voices
    return ESPEAK_VOICES + (NATURAL_VOICES if natural else ())


def generate_session(out_dir: Path, options: SessionOptions | None = None) -> Path:
    """Render the session into ``out_dir``; returns the path of its WAV (sidecar next to it)."""
    options = options or SessionOptions()
    rng = random.Random(options.seed)
    noise_rng = np.random.default_rng(options.seed)
    text = _Text(rng)
    voices = _voices(options)
    total = options.minutes * 60
    # sox dithers with a random seed unless told to be repeatable (reaches every sox call of synth)
    os.environ["SOX_OPTS"] = (os.environ.get("SOX_OPTS", "").replace("-R", "") + " -R").strip()
    parts: list[np.ndarray] = [np.zeros(int(LEAD_S * SAMPLE_RATE), dtype=np.float32)]
    position = LEAD_S
    silence: list[tuple[float, float]] = []
    noise: list[tuple[float, float]] = []
    turns: list[dict[str, object]] = []
    sentences: list[str] = []
    next_event = options.edge_s + rng.uniform(0.0, options.event_every_s[0] / 2)
    voice = ""

    def add(samples: np.ndarray) -> tuple[float, float]:
        nonlocal position
        start = position
        parts.append(samples.astype(np.float32))
        position += samples.size / SAMPLE_RATE
        return start, position

    with tempfile.TemporaryDirectory(prefix="rathaus-soak-") as tmp:
        while position < total:
            if next_event <= position <= total - options.edge_s - options.pause_s[1]:
                kind = rng.choice(("pause", "applause", "applause+pause", "applause+pause"))
                if "applause" in kind:
                    a, b = add(_applause(rng.uniform(*options.applause_s), noise_rng))
                    noise.append((a, b))
                    silence.append((a + SILENCE_MARGIN_S, b - SILENCE_MARGIN_S))
                if "pause" in kind:
                    n = int(rng.uniform(*options.pause_s) * SAMPLE_RATE)
                    a, b = add(noise_rng.standard_normal(n).astype(np.float32) * ROOM_TONE)
                    silence.append((a + SILENCE_MARGIN_S, b - SILENCE_MARGIN_S))
                next_event = position + rng.uniform(*options.event_every_s)
                continue
            voice = rng.choice([v for v in voices if v != voice])
            said = " ".join(text.sentence() for _ in range(rng.randint(2, 6)))
            speed = rng.randint(140, 165)
            wav = render_voice(said, Path(tmp) / f"turn-{len(turns)}.wav", voice=voice, speed=speed)
            start, end = add(read_wav(wav))
            turns.append({"voice": voice, "start": round(start, 3), "end": round(end, 3), "text": said})
            sentences.append(said)
            add(np.zeros(int(TURN_GAP_S * SAMPLE_RATE), dtype=np.float32))
    add(np.zeros(int(LEAD_S * SAMPLE_RATE), dtype=np.float32))
    name = session_name(options)
    out_dir.mkdir(parents=True, exist_ok=True)
    audio = write_wav(np.concatenate(parts), out_dir / f"{name}.wav")
    reference = " ".join(sentences)
    meta = {
        "audio": audio.name,
        "ref": f"{name}.txt",
        "reference": reference,
        "duration_s": round(position, 3),
        "voice": "+".join(sorted({str(t["voice"]) for t in turns})),
        "options": asdict(options),
        "silence": [[round(a, 3), round(b, 3)] for a, b in silence],
        "noise": [[round(a, 3), round(b, 3)] for a, b in noise],
        "turns": turns,
    }
    (out_dir / f"{name}.txt").write_text(reference + "\n", encoding="utf-8")
    (out_dir / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    manifest = {"version": 1, "clips": [{k: v for k, v in meta.items() if k != "turns"}]}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return audio
