"""Training examples for the assistant's aspect detection, generated from ``aspects.yml``.

Pure. Every phrasing of ``aspects.yml`` becomes examples labelled with its aspect (``fees``,
``documents`` ...), ``follow_up`` (a new topic, no aspect: the previous aspect carries over) or
``no_aspect`` (a whole topic). ``{thema}`` is filled with topic names taken round-robin from the
content (titles and keywords in Latin script), so that every label sees the same topic words and
the detector learns the aspect wording, not the topics. Phrasings without ``{thema}`` are kept as
they are: they are the elliptical follow-ups ("Und was kostet das?").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from content.model import Content
from content.schema import ASPECTS, TOPIC_PLACEHOLDER

__all__ = ["FOLLOW_UP", "NO_ASPECT", "FILLS", "aspect_examples", "topic_names"]

FOLLOW_UP = "follow_up"
NO_ASPECT = "no_aspect"
FILLS = 6  # topic names per phrasing with {thema}
_LATIN = re.compile(r"^[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß .-]*$")


def topic_names(content: Content) -> tuple[str, ...]:
    """Names citizens use for the topics: each title and the keywords written in Latin script."""
    names: list[str] = []
    seen: set[str] = set()
    for topic in content.topics:
        for name in (topic.title, *topic.keywords):
            if _LATIN.match(name) and name.casefold() not in seen:
                seen.add(name.casefold())
                names.append(name)
    return tuple(names)


def _expand(templates: tuple[str, ...] | list[str], names: tuple[str, ...], start: int) -> Iterator[str]:
    cursor = start
    for template in templates:
        if TOPIC_PLACEHOLDER not in template:
            yield template
            continue
        for _ in range(FILLS if names else 0):
            yield template.replace(TOPIC_PLACEHOLDER, names[cursor % len(names)])
            cursor += 7  # a stride coprime to most name counts spreads the names over the phrasings


def aspect_examples(content: Content) -> list[tuple[str, str]]:
    """``(text, label)`` pairs, deterministic; empty when the content has no ``aspects.yml``."""
    if content.aspects is None:
        return []
    names = topic_names(content)
    groups: list[tuple[str, list[str]]] = [(a, content.aspects.aspects[a].questions) for a in ASPECTS]
    groups += [(FOLLOW_UP, content.aspects.follow_up), (NO_ASPECT, content.aspects.no_aspect)]
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for number, (label, templates) in enumerate(groups):
        for text in _expand(templates, names, start=number * 3):
            if text.casefold() not in seen:
                seen.add(text.casefold())
                out.append((text, label))
    return out
