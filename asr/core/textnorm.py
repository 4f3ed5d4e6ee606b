"""German text normalisation for word error rates.

Both the reference and the hypothesis go through :func:`normalize` before jiwer compares them, so a WER
counts wrong words, not different spellings of the same words: case, punctuation, digits versus number
words ("14" and "vierzehn"), decimal commas, percent and euro signs, hyphenated compounds, and Unicode
composition (an "ü" typed as "u" + combining diaeresis is the same letter). Umlauts and ß are kept:
"Bürger" and "Burger" are different words.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from num2words import num2words

__all__ = ["normalize", "normalize_words", "number_to_words"]

# 1.234.567 (German thousands separators) or 12,5 (decimal comma) or plain digits.
_NUMBER = re.compile(r"(?<!\w)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(?!\w)")
_TIME = re.compile(r"(?<!\w)(\d{1,2})[:.](\d{2})(?!\w)(?:\s*uhr\b)?")
_ORDINAL_DAY = re.compile(
    r"(?<!\w)(\d{1,2})\.(?=\s+(?:januar|februar|märz|april|mai|juni|juli|august|"
    r"september|oktober|november|dezember)\b)"
)
_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("%", " prozent "),
    ("€", " euro "),
    ("&", " und "),
    ("§", " paragraf "),
)
# Everything that is not a letter, a digit or whitespace becomes a space (hyphens and apostrophes too).
_NOT_WORD = re.compile(r"[^\w\s]|_", re.UNICODE)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def number_to_words(digits: str, *, ordinal: bool = False) -> str:
    """German words for a non-negative integer given as digits, written as one word like Whisper does."""
    value = int(digits)
    words = num2words(value, lang="de", to="ordinal" if ordinal else "cardinal")
    return str(words).replace(" ", "").replace("-", "").lower()


def _replace_number(match: re.Match[str]) -> str:
    whole = match.group(1).replace(".", "")
    text = number_to_words(whole)
    if match.group(2):
        text += " komma " + " ".join(number_to_words(d) for d in match.group(2))
    return f" {text} "


def _replace_time(match: re.Match[str]) -> str:
    hours, minutes = match.group(1), match.group(2)
    text = f" {number_to_words(hours)} uhr"
    if int(minutes):
        text += f" {number_to_words(minutes)}"
    return text + " "


def _replace_ordinal_day(match: re.Match[str]) -> str:
    return f" {number_to_words(match.group(1), ordinal=True)} "


def normalize(text: str) -> str:
    """Lower-case, punctuation-free, number-spelled German text with single spaces ("" stays "")."""
    text = unicodedata.normalize("NFC", text).lower().replace("_", " ")
    text = _ORDINAL_DAY.sub(_replace_ordinal_day, text)
    text = _TIME.sub(_replace_time, text)
    text = _NUMBER.sub(_replace_number, text)
    for symbol, word in _SYMBOLS:
        text = text.replace(symbol, word)
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def normalize_words(text: str) -> list[str]:
    """The words of :func:`normalize` as a list (empty for silence)."""
    normalized = normalize(text)
    return normalized.split(" ") if normalized else []
