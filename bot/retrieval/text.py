"""Text helpers of the retrieval: terms for BM25, a check for messages with no content, the asker's language.

Plain Python (3.10+), no I/O: runs in the Rasa engine's environment and in the services' one.

``terms``
    lower case, umlauts folded, punctuation removed, German and English stop words dropped, Snowball's
    German stemmer. Compounds ("Personalausweis" for "Ausweis") are left to the semantic side.
``assess``
    whether a message carries anything to answer: ``no_content`` (no letters: emoji, digits,
    punctuation), ``repetitive`` (one character or one word repeated), ``mashed`` (keyboard mashing:
    long words without vowels or with long consonant runs) or ``ok``.
``detect_language``
    which of the languages citizens write in most (German, English, Turkish, Ukrainian, Arabic,
    Russian) a message is in, from its script and a few function words; enough to add a one-line
    note in the asker's language, never used to route.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "STOPWORDS",
    "Assessment",
    "Quality",
    "assess",
    "detect_language",
    "fold",
    "terms",
]

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Function words and fillers that do not tell topics apart (folded spelling). Verb particles (an, ab,
# um, aus, ...) stay: "Auto anmelden" and "Auto abmelden" differ.
STOPWORDS: frozenset[str] = frozenset(
    """
    a aber alle allem allen aller alles als also am an auch auf bei beim bin bis bitte bzw da dafuer damit
    danke dann darf das dass davon dazu dem den denn der des dich die dies diese diesem diesen dieser dir
    doch dort du eben eigentlich ein eine einem einen einer eines einfach er es etwa etwas euch fuer gerade
    gern gerne genau gibt gibts hab habe haben hallo halt hat hast heute hier ich ihm ihn ihr ihre im in
    irgendwie ist ja jemand jetzt kann kannst koennen koennte man mal mein meine meinem meinen meiner
    meines mich mir moechte muss muessen nicht noch nochmal nun nur ob oder ok okay schon sein seine sich
    sie sind so soll sollte sowie uns unser unsere und von vom wann war warum was weiss welche welchem
    welchen welcher welches wenn wer werden wie wieso will wir wird wo woher wohin wohl wuerde zu zum zur
    the and or to of is are do does i my me you can how what where when which who for on with it this
    that be have has in at an
    """.split()
)

def fold(text: str) -> str:
    """NFKC, lower case, German umlauts and ß folded."""
    return unicodedata.normalize("NFKC", text).lower().translate(_FOLD)


@functools.lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer  # PyStemmer: Snowball's German stemmer (C); 82 -> 85 % BM25 top-1 on the dev set

    return Stemmer.Stemmer("german")


def terms(text: str) -> list[str]:
    """BM25 terms of ``text``: folded, stop words dropped, Snowball-stemmed; repetitions kept."""
    words = [word for word in _WORD.findall(fold(text)) if word not in STOPWORDS and len(word) > 1]
    return list(_stemmer().stemWords(words)) if words else []


Quality = Literal["ok", "no_content", "repetitive", "mashed"]


@dataclass(frozen=True, slots=True)
class Assessment:
    """Whether a message carries something to answer, and why not."""

    quality: Quality
    words: int

    @property
    def answerable(self) -> bool:
        return self.quality == "ok"


_VOWELS = set("aeiouy")  # only ASCII words are checked for mashing (see _mashed)
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{6,}")


def _mashed(word: str) -> bool:
    """A 5+ letter word without vowels, or with six consonants in a row once "sch" and "ch" count as one
    ("angstschweiss" has "ngstschw": five after folding "sch"; "sdfghjkl" has eight)."""
    if len(word) < 5 or not word.isascii():
        return False
    if not any(ch in _VOWELS for ch in word):
        return True
    return bool(_CONSONANT_RUN.search(word.replace("sch", "S").replace("ch", "C")))


def assess(text: str) -> Assessment:
    """Classify ``text``: ``ok``, or why there is nothing to answer (see the module docstring)."""
    folded = fold(text)
    words = _WORD.findall(folded)
    letters = [ch for ch in folded if ch.isalpha()]
    if not words or len(letters) < 2:
        return Assessment("no_content", len(words))
    distinct_letters = set(letters)
    if len(letters) >= 8 and len(distinct_letters) <= 2:
        return Assessment("repetitive", len(words))
    counts = Counter(words)
    if len(words) >= 4 and counts.most_common(1)[0][1] / len(words) >= 0.6:
        return Assessment("repetitive", len(words))
    # One "word" that is a syllable repeated ("lollollol", "hahahahaha").
    longest = max(words, key=len)
    if len(longest) >= 8 and re.fullmatch(r"(.{1,3})\1{3,}", longest):
        return Assessment("repetitive", len(words))
    latin = [w for w in words if w.isascii()]
    if latin and len(latin) == len(words) and sum(_mashed(w) for w in latin) * 2 > len(latin):
        return Assessment("mashed", len(words))
    return Assessment("ok", len(words))


Language = Literal["de", "en", "tr", "uk", "ru", "ar", "pl"]

_ENGLISH = frozenset(
    "the a an is are do does did how what where when which who can could i my me you your to of for in on "
    "with need get have has it this please there should would want".split()
)
_GERMAN = frozenset(
    "der die das ein eine ist sind wie was wo wann ich mein meine mich mir sie und oder kann muss wer "
    "bitte für fuer mit auf beim zum zur brauche nicht noch".split()
)
_TURKISH = frozenset(
    "ve bir bu ne nasıl nerede nereden ne zaman mı mi mu mü için ile benim ben var yok kaç hangi "
    "lazım gerekiyor istiyorum yapabilirim alabilirim".split()
)
_TURKISH_LETTERS = set("ğışİı")
# Polish letters that German, English and Turkish never use (ó is left out: it is Spanish too)
_POLISH_LETTERS = set("ąćęłńśźżĄĆĘŁŃŚŹŻ")
_POLISH = frozenset(
    "jak gdzie kiedy czy co ile mogę muszę potrzebuję chcę jest są się nie w na do dla od z mój moja mojego "
    "proszę urząd dowód osobisty paszport".split()
)
_UKRAINIAN_LETTERS = set("іїєґ")


def detect_language(text: str) -> Language:
    """The asker's language among de, en, tr, uk, ru, ar and pl (German when unsure)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "de"
    arabic = sum("\u0600" <= ch <= "\u06ff" for ch in letters)
    cyrillic = [ch for ch in letters if "\u0400" <= ch <= "\u04ff"]
    if arabic * 2 >= len(letters):
        return "ar"
    if len(cyrillic) * 2 >= len(letters):
        return "uk" if any(ch.lower() in _UKRAINIAN_LETTERS for ch in cyrillic) else "ru"
    words = re.findall(r"[^\W\d_]+", text.lower())
    if any(ch in _TURKISH_LETTERS for ch in text):
        return "tr"
    if any(ch in _POLISH_LETTERS for ch in text):
        return "pl"
    scores = {
        "de": sum(w in _GERMAN for w in words) + 2 * any(ch in "äöüß" for ch in text.lower()),
        "en": sum(w in _ENGLISH for w in words),
        "tr": sum(w in _TURKISH for w in words),
        "pl": sum(w in _POLISH for w in words),
    }
    best = max(scores, key=lambda k: (scores[k], k == "de"))
    return best if scores[best] > scores["de"] else "de"  # type: ignore[return-value]
