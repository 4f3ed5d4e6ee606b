"""Whether a question about the city's own facts asks about another place ("Wer ist Bürgermeister von Köln?").

A city fact (mayor, inhabitants, town hall: content/city_facts.py) is true of one city only; asked about
another, the right answer is that the assistant knows only its own city, never its own mayor. A place is
a capitalised word after "von", "in", "aus", "für" or "bei", or the last word of "... hat Hamburg?", that
the content does not use (so "im Rathaus", "von Musterstadt" or "Einwohner von Musterstadt" are not
places elsewhere). Plain Python, no rasa_sdk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["content_words", "other_place"]

_WORD = re.compile(r"[a-zäöüß]+")
_AFTER_PREPOSITION = re.compile(r"\b(?:von|in|aus|für|bei)\s+([A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*)")
_LAST_AFTER_HAT = re.compile(r"\bhat\s+([A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*)\s*[?.!]*\s*$")


def content_words(topics: Mapping[str, Mapping[str, Any]], extra: Iterable[str] = ()) -> frozenset[str]:
    """Every word (lower case) of the topics' titles, keywords, phrasings and answers, and of ``extra``."""
    words: set[str] = set()
    for topic in topics.values():
        texts = [str(topic.get("title") or ""), str(topic.get("answer") or ""),
                 *(str(k) for k in topic.get("keywords") or ()), *(str(q) for q in topic.get("questions") or ())]
        for text in texts:
            words.update(_WORD.findall(text.lower()))
    for text in extra:
        words.update(_WORD.findall(text.lower()))
    return frozenset(words)


def other_place(text: str, known: frozenset[str]) -> str | None:
    """The first place ``text`` names that is not in ``known`` (content words, the city's names), or None."""
    for pattern in (_AFTER_PREPOSITION, _LAST_AFTER_HAT):
        for match in pattern.finditer(text):
            name = match.group(1)
            if not set(_WORD.findall(name.lower())) <= known:
                return name
    return None
