"""Topics made from the municipality's own facts (``facts:`` in ``municipality.yml``), pure.

A citizen asks the assistant about the city itself as about any service: "Wer ist Bürgermeister?", "Wie
viele Einwohner hat Musterstadt?", "Wo ist das Rathaus?", "Wie ist die Telefonnummer der Stadtverwaltung?".
Each fact group becomes one topic, so it is trained, retrieved, decided, answered and evaluated like the
editors' topics, with the city's source and review date, and per city (each city's index has its own):

==========================  ===============================================================
topic id                    from
==========================  ===============================================================
``stadt_buergermeister``    ``facts.mayor`` (name, title, since)
``stadt_einwohner``         ``facts.inhabitants`` (count, as of)
``stadt_rathaus``           ``facts.town_hall`` (address) and the city's phone, e-mail, website
==========================  ===============================================================

The facts are content; only the German sentences around them and the generic ways of asking are here,
with ``{stadt}`` standing for the city's name. The topics pass the same schema and checks as topic files.
"""

from __future__ import annotations

from typing import Any

from content.errors import Problem
from content.loader import Document
from content.schema import Facts, Municipality, Topic
from content.validation import validate

__all__ = ["FACT_TOPIC_IDS", "check_fact_topics", "fact_topics"]

FACT_TOPIC_IDS = ("stadt_buergermeister", "stadt_einwohner", "stadt_rathaus")

_MAYOR_QUESTIONS = (
    "Wer ist Bürgermeister von {stadt}?",
    "Wer ist der Bürgermeister?",
    "Wer ist die Bürgermeisterin?",
    "Wie heißt der Bürgermeister?",
    "Wie heißt die Oberbürgermeisterin?",
    "Wer ist Oberbürgermeister hier?",
    "Wer ist das Stadtoberhaupt?",
    "Wer ist OB in der Stadt?",
    "Wer regiert die Stadt?",
    "Wer wurde zum Bürgermeister gewählt?",
    "Name des Bürgermeisters",
    "bürgermeister name",
    "Seit wann ist der Bürgermeister im Amt?",
    "Wer ist {titel} von {stadt}?",
)
_MAYOR_KEYWORDS = ("Bürgermeister", "Bürgermeisterin", "Oberbürgermeister", "Oberbürgermeisterin", "OB",
                   "Stadtoberhaupt", "mayor")

_INHABITANTS_QUESTIONS = (
    "Wie viele Einwohner hat {stadt}?",
    "Wie viele Menschen leben in {stadt}?",
    "Einwohnerzahl der Stadt",
    "Wie groß ist die Stadt?",
    "Wie viele Bürger hat die Stadt?",
    "Wie hoch ist die Einwohnerzahl?",
    "Bevölkerungszahl der Stadt",
    "Wie viele Leute wohnen hier?",
    "Anzahl der Einwohnerinnen und Einwohner",
    "Wie viele Einwohnerinnen und Einwohner hat die Stadt?",
    "aktuelle Einwohnerzahl",
    "Ist {stadt} eine Großstadt?",
)
_INHABITANTS_KEYWORDS = ("Einwohnerzahl", "Einwohner", "Bevölkerung", "Bevölkerungszahl", "population")

_TOWN_HALL_QUESTIONS = (
    "Wo befindet sich das Rathaus?",
    "Wo ist das Rathaus in {stadt}?",
    "Adresse der Stadtverwaltung",
    "Wie ist die Adresse des Rathauses?",
    "Welche Telefonnummer hat die Stadtverwaltung?",
    "Telefonnummer der Stadtverwaltung",
    "Wie erreiche ich die Stadtverwaltung?",
    "E-Mail-Adresse der Stadtverwaltung",
    "Wie lautet die Postanschrift der Stadtverwaltung?",
    "Homepage der Stadtverwaltung",
    "Wo finde ich die Internetseite der Stadt?",
    "Wie komme ich zum Rathaus?",
    "zentrale Telefonnummer der Stadtverwaltung",
    "Kontakt Stadtverwaltung",
)
# Not "Stadtverwaltung" or "Rathaus": citizens name them in many questions that are not about the town hall
# ("Hat die Stadtverwaltung Ausbildungsplätze?", "Ist das Rathaus samstags offen?"); the phrasings carry them.
_TOWN_HALL_KEYWORDS = ("Rathausadresse", "Anschrift der Stadt", "Homepage der Stadt",
                       "town hall")


def _german_date(value: Any) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def _german_count(count: int) -> str:
    return f"{count:,}".replace(",", ".")


def _distinct(words: tuple[str, ...]) -> list[str]:
    seen: set[str] = set()
    out = []
    for word in words:
        if word.casefold() not in seen:
            seen.add(word.casefold())
            out.append(word)
    return out


def _topic(facts: Facts, *, id: str, title: str, answer: str, questions: tuple[str, ...],
           keywords: tuple[str, ...], office: str | None = None, **values: str) -> dict[str, Any]:
    return {
        "id": id,
        "title": title,
        "questions": _distinct(tuple(q.format(**values) for q in questions)),
        "answer": answer,
        "sources": [facts.source.model_dump()],
        "office": office or facts.office,
        "keywords": _distinct(keywords),
        "last_reviewed": facts.last_reviewed,
        "owner": facts.owner,
    }


def fact_topics(municipality: Municipality) -> list[dict[str, Any]]:
    """The topics made from ``municipality.facts`` (none without it), as data for the ``Topic`` schema."""
    facts = municipality.facts
    if facts is None:
        return []
    city = municipality.name
    topics = []
    if (mayor := facts.mayor) is not None:
        since = f", seit {mayor.since} im Amt" if mayor.since else ""
        topics.append(_topic(
            facts, id="stadt_buergermeister", title=f"{mayor.title} von {city}",
            answer=f"{mayor.title} von {city} ist {mayor.name}{since}. Anliegen an die Stadtspitze richten Sie "
                   f"an die Stadtverwaltung: Telefon {municipality.phone}, E-Mail {municipality.email}.",
            questions=_MAYOR_QUESTIONS, keywords=(*_MAYOR_KEYWORDS, mayor.title, mayor.name),
            office=mayor.office, stadt=city, titel=mayor.title,
        ))
    if (inhabitants := facts.inhabitants) is not None:
        topics.append(_topic(
            facts, id="stadt_einwohner", title=f"Einwohnerzahl von {city}",
            answer=f"{city} hat {_german_count(inhabitants.count)} Einwohnerinnen und Einwohner "
                   f"(Stand: {_german_date(inhabitants.as_of)}).",
            questions=_INHABITANTS_QUESTIONS, keywords=_INHABITANTS_KEYWORDS, stadt=city,
        ))
    if (hall := facts.town_hall) is not None:
        address = f"{hall.address.street}, {hall.address.postal_code} {hall.address.city}"
        topics.append(_topic(
            facts, id="stadt_rathaus", title=f"{hall.name} und Stadtverwaltung {city}",
            answer=f"Das {hall.name} von {city} finden Sie unter der Anschrift {address}. Die Stadtverwaltung "
                   f"erreichen Sie telefonisch unter {municipality.phone} und per E-Mail an {municipality.email}; "
                   f"alle Ämter und Dienste stehen auf {municipality.website}.",
            questions=_TOWN_HALL_QUESTIONS, keywords=_TOWN_HALL_KEYWORDS, stadt=city,
        ))
    return topics


_FROM = {"stadt_buergermeister": "mayor", "stadt_einwohner": "inhabitants", "stadt_rathaus": "town_hall"}


def check_fact_topics(
    doc: Document, municipality: Municipality, *, office_ids: set[str] | None, taken: dict[str, str]
) -> tuple[list[tuple[Document, Topic]], list[Problem]]:
    """The fact topics, validated like topic files, each with a document whose every line is its fact group
    in ``municipality.yml`` (so a phrasing conflict points there); ``taken``: topic ids of the topic files."""
    valid: list[tuple[Document, Topic]] = []
    problems: list[Problem] = []
    for data in fact_topics(municipality):
        group = ("facts", _FROM[data["id"]])
        line = doc.line_of(group)
        field = ".".join(group)
        if data["id"] in taken:
            problems.append(Problem(
                doc.path, line, field, f"the topic {data['id']!r} made from {field} is also the topic file "
                f"{taken[data['id']]}", f"rename that topic file and its id, or remove {field}", code="duplicate-id",
            ))
            continue
        if office_ids is not None and data["office"] not in office_ids:
            own = data["id"] == "stadt_buergermeister" and municipality.facts and municipality.facts.mayor \
                and municipality.facts.mayor.office
            at = (*group, "office") if own else ("facts", "office")
            if any(p.field == ".".join(at) for p in problems):
                continue  # facts.office: said once, not once per topic
            problems.append(Problem(
                doc.path, doc.line_of(at), ".".join(map(str, at)), f"unknown office {data['office']!r}",
                "use an office id from offices.yml", code="unknown-office",
            ))
            continue
        generated = Document(path=doc.path, data=data, lines={(): line})
        topic, found = validate(generated, Topic)
        problems += found
        if topic is not None:
            valid.append((generated, topic))
    return valid, problems
