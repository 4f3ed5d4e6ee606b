"""Check a content tree: every file against its schema, then the rules that span files.

:func:`check_documents` is the pure core (parsed documents and a date in, problems out);
:func:`analyse` reads the files of a content root and calls it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from content.city_facts import check_fact_topics
from content.embeddings import Embed
from content.errors import ContentError, Problem, has_errors
from content.facts import easy_only, offices_named
from content.loader import Document, load_yaml
from content.model import Content
from content.schema import AspectsFile, Municipality, Office, OfficesFile, Topic
from content.similarity import WARNING_THRESHOLD, Phrase, closer_elsewhere, find_conflicts, normalise
from content.validation import validate

__all__ = [
    "CheckOptions",
    "analyse",
    "check_content",
    "check_documents",
    "display_path",
    "load_content",
    "rasa_example",
]

_RASA_SPECIAL = re.compile(r"[\[\]{}()]")
_MARKDOWN = re.compile(r"\*\*|__|^#|\[[^\]]*\]\([^)]*\)|^\s*[-*] ", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How strict the check is. ``today`` defaults to the current date (inject it in tests)."""

    today: date | None = None
    stale_after_days: int = 365
    similar_warning: float = WARNING_THRESHOLD


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, so editors can click it."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def rasa_example(text: str) -> str:
    """A phrasing as Rasa training data: one line, without the characters Rasa reads as annotations."""
    # Control and unassigned characters are not allowed in YAML block scalars.
    visible = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    cleaned = _RASA_SPECIAL.sub(" ", visible)
    return " ".join(cleaned.split()).lstrip("-# ").strip()


def _topic_rules(
    doc: Document, topic: Topic, stem: str, office_ids: set[str] | None, today: date, options: CheckOptions
) -> list[Problem]:
    out: list[Problem] = []
    at = doc.line_of
    if topic.id != stem:
        out.append(
            Problem(
                doc.path,
                at(("id",)),
                "id",
                f"id {topic.id!r} does not match the file name {stem!r}",
                f"rename the file to {topic.id}.yml or change the id to {stem}",
                code="id-mismatch",
            )
        )
    if office_ids is not None and topic.office not in office_ids:
        out.append(
            Problem(
                doc.path,
                at(("office",)),
                "office",
                f"unknown office {topic.office!r}",
                "use an office id from offices.yml: " + ", ".join(sorted(office_ids)),
                code="unknown-office",
            )
        )
    seen: dict[str, int] = {}
    for index, question in enumerate(topic.questions):
        field = f"questions[{index}]"
        if not rasa_example(question) or not normalise(question):
            out.append(
                Problem(
                    doc.path,
                    at(("questions", index)),
                    field,
                    "phrasing has no words left after removing brackets and punctuation",
                    "write the question as a citizen would type it",
                    code="empty-question",
                )
            )
            continue
        key = normalise(question)
        if key in seen:
            first = seen[key]
            out.append(
                Problem(
                    doc.path,
                    at(("questions", index)),
                    field,
                    f"repeats questions[{first}] (line {at(('questions', first))}) of this topic",
                    "delete it or write a different phrasing; case and punctuation do not count",
                    code="duplicate-question",
                )
            )
        else:
            seen[key] = index
    if topic.last_reviewed > today:
        out.append(
            Problem(
                doc.path,
                at(("last_reviewed",)),
                "last_reviewed",
                f"review date {topic.last_reviewed} is in the future",
                f"write the date of the last review (today is {today})",
                code="future-date",
            )
        )
    elif (today - topic.last_reviewed).days > options.stale_after_days:
        out.append(
            Problem(
                doc.path,
                at(("last_reviewed",)),
                "last_reviewed",
                f"last reviewed {topic.last_reviewed}, more than {options.stale_after_days} days ago",
                "check the topic against the official service page, then set last_reviewed to today",
                severity="warning",
                code="stale",
            )
        )
    for name in ("answer", "answer_easy"):
        text = getattr(topic, name)
        if text and _MARKDOWN.search(text):
            out.append(
                Problem(
                    doc.path,
                    at((name,)),
                    name,
                    "answer contains Markdown, which the chat shows literally",
                    "write plain text; sources belong in 'sources'",
                    severity="warning",
                    code="markdown",
                )
            )
    for index, source in enumerate(topic.sources):
        if source.url.startswith("http://"):
            out.append(
                Problem(
                    doc.path,
                    at(("sources", index, "url")),
                    f"sources[{index}].url",
                    f"{source.url} is not encrypted",
                    "link the https:// address of the page",
                    severity="warning",
                    code="insecure-url",
                )
            )
    return out


def _easy_facts(doc: Document, topic: Topic, office_names: dict[str, str]) -> list[Problem]:
    """Leichte Sprache keeps the facts: no time, fee, duration, phone number or office that ``answer``
    does not state (the easy text may leave things out, it may not say something else)."""
    if not topic.answer_easy:
        return []
    out: list[Problem] = []
    line = doc.line_of(("answer_easy",))
    for fact in easy_only(topic.answer_easy, topic.answer):
        out.append(
            Problem(
                doc.path,
                line,
                "answer_easy",
                f"the easy text says {fact.text!r} ({fact.kind}), which the standard answer does not state",
                "say the same fact as 'answer' in simpler words, or correct 'answer' if the easy text is right",
                code="easy-fact",
            )
        )
    named = offices_named(topic.answer, office_names) | {topic.office}
    for office_id in sorted(offices_named(topic.answer_easy, office_names) - named):
        out.append(
            Problem(
                doc.path,
                line,
                "answer_easy",
                f"the easy text names the office {office_names[office_id]!r}, but the topic's office is "
                f"{topic.office!r} and 'answer' does not mention {office_names[office_id]!r}",
                "name the same office as 'answer' (the topic's 'office')",
                code="easy-office",
            )
        )
    return out


def _summary_facts(doc: Document, topic: Topic) -> list[Problem]:
    """The summary is read first, often alone: no time, fee, duration or phone number that ``answer`` does not
    state (the same rule as for Leichte Sprache)."""
    if not topic.summary:
        return []
    line = doc.line_of(("summary",))
    return [
        Problem(
            doc.path,
            line,
            "summary",
            f"the summary says {fact.text!r} ({fact.kind}), which the answer does not state",
            "summarise what 'answer' says, or correct 'answer' if the summary is right",
            code="summary-fact",
        )
        for fact in easy_only(topic.summary, topic.answer)
    ]


def _conflicts(topics: Sequence[tuple[Document, Topic]], options: CheckOptions) -> list[Problem]:
    docs = {topic.id: doc for doc, topic in topics}
    phrases = [Phrase(topic.id, i, q) for _, topic in topics for i, q in enumerate(topic.questions)]
    out: list[Problem] = []
    for conflict in find_conflicts(phrases, threshold=options.similar_warning):
        first, second = conflict.first, conflict.second
        first_doc, second_doc = docs[first.topic], docs[second.topic]
        first_at = f"{first_doc.path}:{first_doc.line_of(('questions', first.index))}"
        line = second_doc.line_of(("questions", second.index))
        field = f"questions[{second.index}]"
        if conflict.rule == "duplicate":
            message = f"phrasing {second.text!r} is also used in topic {first.topic!r} ({first_at})"
            hint = "a phrasing may belong to one topic only; delete it here or there"
            code, severity = "duplicate-phrasing", "error"
        else:
            if conflict.rule == "same_words":
                why, verdict, severity = "same words apart from filler words", "will", "error"
            else:
                why, verdict, severity = f"similarity {conflict.score:.2f}", "may", "warning"
            message = (
                f"phrasing {second.text!r} is so similar to {first.text!r} "
                f"of topic {first.topic!r} ({first_at}) "
                f"that the bot {verdict} confuse them ({why})"
            )
            hint = "reword one of them so that it names what makes its topic different, or delete one"
            code = "similar-phrasing"
        out.append(Problem(second_doc.path, line, field, message, hint, severity=severity, code=code))  # type: ignore[arg-type]
    return out


def _semantic_conflicts(topics: Sequence[tuple[Document, Topic]], embed: Embed) -> list[Problem]:
    """Phrasings that the assistant's semantic retrieval puts nearer another topic than their own."""
    phrases = [Phrase(topic.id, i, q) for _, topic in topics for i, q in enumerate(topic.questions)]
    extra = [Phrase(topic.id, -1, text) for _, topic in topics for text in (topic.title, *topic.keywords)]
    docs = {topic.id: doc for doc, topic in topics}
    vectors = embed([p.text for p in phrases + extra])
    out: list[Problem] = []
    for found in closer_elsewhere(phrases + extra, vectors):
        phrase = found.phrase
        if phrase.index < 0:
            continue  # titles and keywords only anchor their topic; editors act on the phrasings
        doc = docs[phrase.topic]
        out.append(Problem(
            doc.path,
            doc.line_of(("questions", phrase.index)),
            f"questions[{phrase.index}]",
            f"phrasing {phrase.text!r} is closer in meaning to topic {found.other!r} "
            f"({found.other_score:.3f}) than to its own ({found.own_score:.3f}); the assistant may answer "
            f"{found.other!r}",
            f"name what makes {phrase.topic!r} different (its official term), add 'keywords', or move the "
            f"phrasing to {found.other!r}",
            severity="warning",
            code="closer-to-other-topic",
        ))
    return out


def _raw_office_ids(offices: Document | Problem) -> set[str] | None:
    """Office ids of an offices.yml that parsed but failed validation, so topics are still checked."""
    if isinstance(offices, Problem) or not isinstance(offices.data, dict):
        return None
    items = offices.data.get("offices")
    if not isinstance(items, list):
        return None
    ids = {item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)}
    return ids or None


def _assistant_references(
    doc: Document, muni: Municipality, office_ids: set[str] | None, topic_ids: set[str]
) -> list[Problem]:
    """``assistant.opening_hours`` names a topic and an office of this content, ``general_topics`` topics."""
    found: list[Problem] = []
    for i, topic in enumerate(muni.assistant.general_topics):
        if topic not in topic_ids:
            found.append(Problem(
                doc.path, doc.line_of(("assistant", "general_topics", i)), f"assistant.general_topics[{i}]",
                f"unknown topic {topic!r}", "use the id of a topic from topics/", code="unknown-topic",
            ))
    hours = muni.assistant.opening_hours
    if hours is None:
        return found
    if hours.topic not in topic_ids:
        found.append(Problem(
            doc.path, doc.line_of(("assistant", "opening_hours", "topic")), "assistant.opening_hours.topic",
            f"unknown topic {hours.topic!r}", "use the id of the topic that asks for opening hours, from topics/",
            code="unknown-topic",
        ))
    if office_ids is not None and hours.default_office not in office_ids:
        found.append(Problem(
            doc.path, doc.line_of(("assistant", "opening_hours", "default_office")),
            "assistant.opening_hours.default_office", f"unknown office {hours.default_office!r}",
            "use an office id from offices.yml: " + ", ".join(sorted(office_ids)), code="unknown-office",
        ))
    return found


def check_documents(
    municipality: Document | Problem,
    offices: Document | Problem,
    topics: Sequence[tuple[str, Document | Problem]],
    *,
    root: Path = Path("."),
    options: CheckOptions = CheckOptions(),
    embed: Embed | None = None,
    aspects: Document | Problem | None = None,
) -> tuple[Content | None, list[Problem]]:
    """Validate parsed documents (``topics`` as ``(file stem, document)``; ``aspects``: the optional
    ``aspects.yml``); return content if error-free.

    With ``embed`` (texts to unit vectors), phrasings that sit closer in meaning to another topic than
    to their own are warned about too.
    """
    today = options.today or date.today()
    problems: list[Problem] = []

    muni: Municipality | None = None
    if isinstance(municipality, Problem):
        problems.append(municipality)
    else:
        muni, found = validate(municipality, Municipality)
        problems += found

    office_list: list[Office] | None = None
    if isinstance(offices, Problem):
        problems.append(offices)
    else:
        parsed, found = validate(offices, OfficesFile)
        problems += found
        if parsed is not None:
            office_list = list(parsed.offices)
            first_line: dict[str, int] = {}
            for index, office in enumerate(office_list):
                line = offices.line_of(("offices", index, "id"))
                if office.id in first_line:
                    problems.append(
                        Problem(
                            offices.path,
                            line,
                            f"offices[{index}].id",
                            f"office id {office.id!r} is used twice (first at line {first_line[office.id]})",
                            "give every office its own id",
                            code="duplicate-id",
                        )
                    )
                first_line.setdefault(office.id, line)
    office_ids = {o.id for o in office_list} if office_list is not None else _raw_office_ids(offices)
    office_names = {o.id: o.name for o in office_list or ()}

    if not topics:
        problems.append(
            Problem(
                display_path(root / "topics"),
                1,
                "",
                "no topic files found",
                "add one file per topic as topics/<id>.yml",
                code="no-topics",
            )
        )
    valid: list[tuple[Document, Topic]] = []
    seen_ids: dict[str, str] = {}
    for stem, doc in sorted(topics, key=lambda item: item[0]):
        if isinstance(doc, Problem):
            problems.append(doc)
            continue
        topic, found = validate(doc, Topic)
        problems += found
        if topic is None:
            continue
        problems += _topic_rules(doc, topic, stem, office_ids, today, options)
        problems += _easy_facts(doc, topic, office_names)
        problems += _summary_facts(doc, topic)
        if topic.id in seen_ids:
            problems.append(
                Problem(
                    doc.path,
                    doc.line_of(("id",)),
                    "id",
                    f"topic id {topic.id!r} is already used by {seen_ids[topic.id]}",
                    "every topic needs its own id; rename one of them",
                    code="duplicate-id",
                )
            )
            continue
        seen_ids[topic.id] = doc.path
        valid.append((doc, topic))
    if muni is not None and not isinstance(municipality, Problem):
        made, found = check_fact_topics(municipality, muni, office_ids=office_ids, taken=seen_ids)
        problems += found
        valid += made
    problems += _conflicts(valid, options)
    phrasings: AspectsFile | None = None
    if isinstance(aspects, Problem):
        problems.append(aspects)
    elif aspects is not None:
        phrasings, found = validate(aspects, AspectsFile)
        problems += found
    if muni is not None and not isinstance(municipality, Problem):
        problems += _assistant_references(municipality, muni, office_ids, {t.id for _, t in valid})
    if embed is not None and valid and not has_errors(problems):
        problems += _semantic_conflicts(valid, embed)

    problems.sort(key=lambda p: (p.path, p.line, p.field, p.code, p.message))
    if has_errors(problems) or muni is None or office_list is None:
        return None, problems
    content = Content(
        root=root,
        municipality=muni,
        offices=tuple(sorted(office_list, key=lambda o: o.id)),
        topics=tuple(sorted((t for _, t in valid), key=lambda t: t.id)),
        aspects=phrasings,
    )
    return content, problems


def _read(path: Path) -> Document | Problem:
    if not path.is_file():
        return Problem(
            display_path(path),
            1,
            "",
            "file is missing",
            f"create {path.name} (see docs/content.md)",
            code="missing-file",
        )
    return load_yaml(path, display_path(path))


def analyse(
    root: Path, *, options: CheckOptions = CheckOptions(), embed: Embed | None = None
) -> tuple[Content | None, list[Problem]]:
    """Read and check the content tree at ``root`` (``embed``: see :func:`check_documents`)."""
    root = Path(root)
    if not root.is_dir():
        problem = Problem(
            display_path(root),
            1,
            "",
            "content directory not found",
            "pass the folder that holds municipality.yml, offices.yml and topics/ (or set RATHAUS_CONTENT)",
            code="missing-file",
        )
        return None, [problem]
    topic_dir = root / "topics"
    files = (
        sorted(p for p in topic_dir.glob("*.y*ml") if p.suffix in {".yml", ".yaml"})
        if topic_dir.is_dir()
        else []
    )
    topics = [(p.stem, load_yaml(p, display_path(p))) for p in files]
    aspects = root / "aspects.yml"
    return check_documents(
        _read(root / "municipality.yml"), _read(root / "offices.yml"), topics, root=root, options=options,
        embed=embed, aspects=_read(aspects) if aspects.exists() else None,
    )


def check_content(root: Path, *, today: date | None = None) -> list[Problem]:
    """All problems (errors and warnings) in the content tree at ``root``, sorted by file and line."""
    return analyse(Path(root), options=CheckOptions(today=today))[1]


def load_content(root: Path, *, today: date | None = None) -> Content:
    """The validated content at ``root``; raises :class:`ContentError` listing every problem."""
    content, problems = analyse(Path(root), options=CheckOptions(today=today))
    if content is None:
        raise ContentError(problems, f"content at {display_path(Path(root))} has errors")
    return content
