"""Which topics a message names by their own words, and which topics belong together.

Plain Python, no rasa_sdk. The retrieval ranks topics by the message alone; in a conversation two more
questions matter, both answered from the content (titles, keywords, offices), never from a word list:

- does a message that asks for an aspect name the conversation's topic? "Was kostet die Abmeldung?"
  while talking about giving up a business names "Gewerbe abmelden" as much as "Wohnsitz abmelden";
  the retrieval, which sees no conversation, may pick the latter (:meth:`TopicWords.refers_to`);
- which of several close topics continues the conversation? "Und für die Abmeldung?" after "Wohnsitz
  anmelden" means "Wohnsitz abmelden" (a shared title word, the same office), not "Gewerbe abmelden"
  (:meth:`TopicWords.closest`).

Words are compared by a crude stem: lower case, umlauts folded, the first six letters of a word of at
least four letters ("Anmeldung" and "anmelden" are both ``anmeld``). That is enough for the names of
topics, which is all it is used for; the retrieval keeps its own stemmer. A German compound is named by
its last part as well: "der Ausweis" while talking about the "Bewohnerparkausweis", "die Steuer" about
the "Hundesteuer" (:meth:`TopicWords.refers_to`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GENERIC_TOPICS", "TopicWords", "stems"]

_WORD = re.compile(r"[a-zäöüß]+")
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "s"})
_STEM = 6
# Words that name this many topics or more single out none of them (see TopicWords.weakly_named).
GENERIC_TOPICS = 3
# The shortest last part of a compound that names it ("Schein" of "Wohnberechtigungsschein").
_HEAD = 5
# Function words of four letters or more that occur in topic titles ("Gewerbe abmelden oder ummelden").
_FUNCTION_WORDS = frozenset({"oder", "eine", "einen", "einer", "eines", "beim", "nach", "uber", "sich", "mein",
                             "meine", "neue", "neuer", "neues", "neuen", "ohne", "eure", "ihre", "unsere"})


def _words(text: str) -> list[str]:
    """The content words of ``text``: lower case, umlauts folded, four letters or more."""
    folded = (word.translate(_FOLD) for word in _WORD.findall(text.lower()))
    return [word for word in folded if len(word) >= 4 and word not in _FUNCTION_WORDS]


def stems(text: str) -> frozenset[str]:
    """The crude stems of the content words of ``text`` (see module docstring)."""
    return frozenset(word[:_STEM] for word in _words(text))


@dataclass(frozen=True, slots=True)
class TopicWords:
    """Per topic: the stems of its title and keywords (``names``), of its office's name and aliases
    (``office_names``), its office id, and the whole words of its title and keywords (``compounds``:
    "bewohnerparkausweis", whose last part "ausweis" names it too)."""

    names: Mapping[str, frozenset[str]]
    office_names: Mapping[str, frozenset[str]]
    offices: Mapping[str, str]
    compounds: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_content(cls, topics: Mapping[str, Mapping[str, Any]],
                     offices: Mapping[str, Mapping[str, Any]]) -> TopicWords:
        """From the content index's ``topics`` and ``offices``."""
        names: dict[str, frozenset[str]] = {}
        office_names: dict[str, frozenset[str]] = {}
        office_of: dict[str, str] = {}
        compounds: dict[str, frozenset[str]] = {}
        for topic_id, topic in topics.items():
            own = [str(topic.get("title") or ""), *(str(k) for k in topic.get("keywords") or ())]
            names[topic_id] = _stems_of(own)
            compounds[topic_id] = frozenset(word for text in own for word in _words(text))
            office_id = str(topic.get("office") or "")
            office = offices.get(office_id) or {}
            office_names[topic_id] = _stems_of([str(office.get("name") or ""),
                                                *(str(a) for a in office.get("aliases") or ())])
            office_of[topic_id] = office_id
        return cls(names, office_names, office_of, compounds)

    def _all(self, topic: str) -> frozenset[str]:
        return self.names.get(topic, frozenset()) | self.office_names.get(topic, frozenset())

    def refers_to(self, text: str, current: str, other: str) -> bool:
        """``text`` names ``current`` (a word of its title, keywords or office, or the last part of a
        compound among its title and keywords), and every word by which it names ``other`` names
        ``current`` too: the message fits the conversation's topic at least as well as the retrieval's
        choice ("Was kostet die Abmeldung?" about "Gewerbe abmelden" against "Wohnsitz abmelden"; "Was
        kostet der Ausweis?" about "Bewohnerparkausweis" against "Personalausweis"; but "Was kostet der
        Reisepass?" about "Personalausweis" names only the other)."""
        words = _words(text)
        named_current = frozenset(word[:_STEM] for word in words
                                  if word[:_STEM] in self._all(current) or self._heads(word, current))
        return bool(named_current) and (stems(text) & self._all(other)) <= named_current

    def _heads(self, word: str, topic: str) -> bool:
        """``word`` is the last part of a longer word of ``topic``'s title or keywords."""
        return len(word) >= _HEAD and any(
            len(whole) > len(word) and whole.endswith(word) for whole in self.compounds.get(topic, ()))

    def weakly_named(self, text: str, topic: str) -> tuple[str, ...] | None:
        """The topics ``text`` could mean when it does not single out ``topic``: it names it by no word at all
        ("Welche Unterlagen werden verlangt?": empty), or only by words that at least ``GENERIC_TOPICS``
        topics share ("Ab wann muss ich ihn anmelden?" names Wohnsitz, Gewerbe, Hund ... alike: those
        topics). ``None`` when the words single it out ("Anmeldung des Wohnsitzes")."""
        naming = stems(text) & self.names.get(topic, frozenset())
        if not naming:
            return ()
        named = tuple(sorted(t for t, names in self.names.items() if naming <= names))
        return named if len(named) >= GENERIC_TOPICS else None

    def relatedness(self, a: str, b: str) -> int:
        """Shared title and keyword stems, plus one for the same office."""
        same_office = bool(self.offices.get(a)) and self.offices.get(a) == self.offices.get(b)
        return len(self.names.get(a, frozenset()) & self.names.get(b, frozenset())) + int(same_office)

    def closest(self, current: str, options: Sequence[str]) -> str | None:
        """The one option (other than ``current``) most related to ``current``; ``None`` when none is
        related or two are equally so (then the citizen is asked)."""
        scored = sorted(((self.relatedness(current, o), o) for o in options if o != current), reverse=True)
        if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return None
        return scored[0][1]


def _stems_of(texts: Iterable[str]) -> frozenset[str]:
    out: frozenset[str] = frozenset()
    for text in texts:
        out |= stems(text)
    return out
