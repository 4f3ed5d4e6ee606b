"""The content file formats (pydantic v2, strict, unknown fields rejected).

Four kinds of file live under a content root::

    municipality.yml   -> Municipality
    offices.yml        -> OfficesFile (offices: [Office, ...])
    topics/<id>.yml    -> Topic
    aspects.yml        -> AspectsFile (optional: how citizens ask for one aspect of a topic)

Cross-file rules (office exists, ids unique, phrasings distinct) live in :mod:`content.checker`.
Validators raise ``PydanticCustomError("content", ...)`` with a ``hint`` in the context so the checker
can tell editors how to fix the problem.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from content.hours import WEEKDAYS, HoursError, TimeRange, check_day, parse_range

__all__ = [
    "ASPECTS",
    "ID_PATTERN",
    "MAX_ACTIONS",
    "MAX_SUMMARY",
    "Action",
    "Address",
    "AspectPhrasings",
    "AspectsFile",
    "Assistant",
    "Facts",
    "Fee",
    "Handoff",
    "Hours",
    "OpeningHours",
    "Municipality",
    "Office",
    "OfficesFile",
    "OnlineService",
    "Source",
    "Topic",
    "MAX_KEYWORDS",
    "MIN_QUESTIONS",
    "check_url",
]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
MIN_QUESTIONS = 12
MAX_KEYWORDS = 40
# The aspects of a topic a citizen can ask about on their own ("Was kostet das?"): docs/content.md.
ASPECTS = ("fees", "documents", "office", "hours", "duration", "deadline", "online")
# Aspect answers are short: a sentence or two, not a second answer.
MAX_ASPECT_TEXT = 300
MIN_ASPECT_PHRASINGS = 5
# A topic's own summary, shown before "Mehr dazu": at most two sentences and this many characters.
MAX_SUMMARY = 240
MAX_SUMMARY_SENTENCES = 2
# Link buttons under an answer ("Termin buchen", "Online-Antrag", "Formular (PDF)"): a few, with short labels.
MAX_ACTIONS = 3
MAX_ACTION_LABEL = 40
TOPIC_PLACEHOLDER = "{thema}"

_MODEL = ConfigDict(strict=True, extra="forbid", frozen=True)


def _fail(message: str, hint: str) -> PydanticCustomError:
    # Message and hint travel in the context so that braces in user text never reach str.format.
    return PydanticCustomError("content", "{message}", {"message": message, "hint": hint})


def check_url(value: str) -> str:
    """An absolute http(s) URL with a host name and no spaces."""
    parts = urlsplit(value)
    hint = "write the full address of the service page, like https://www.musterstadt.example/buergerbuero"
    if any(ch.isspace() for ch in value):
        raise _fail(f"URL {value!r} contains spaces", hint + "; encode spaces as %20")
    if parts.scheme not in {"http", "https"}:
        raise _fail(f"URL {value!r} must start with https:// (or http://)", hint)
    host = parts.hostname or ""
    if not host or ("." not in host and host != "localhost") or host.startswith(".") or host.endswith("."):
        raise _fail(f"URL {value!r} has no valid host name", hint)
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise _fail(f"URL {value!r} has an invalid port", hint) from exc
    return value


def _check_email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
        raise _fail(f"{value!r} is not an e-mail address", "write it like buergerbuero@musterstadt.example")
    return value


def _check_phone(value: str) -> str:
    if not re.fullmatch(r"\+?[0-9][0-9 ()/-]{4,}[0-9]", value):
        raise _fail(f"{value!r} is not a phone number", 'write digits and spaces, like "0800 123 456 10"')
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _fail(f"unknown time zone {value!r}", "use an IANA name such as Europe/Berlin") from exc
    return value


def _check_keyword(value: str) -> str:
    if len(value.split()) > 5:
        raise _fail(f"keyword {value!r} is a sentence", "keywords are words citizens use (\"Sofa\", \"Perso\"); "
                    "whole questions belong in 'questions'")
    return value


def _check_range(value: str) -> str:
    try:
        parse_range(value)
    except HoursError as exc:
        raise _fail(str(exc), 'quote each range and use the 24-hour clock: "08:00-12:30"') from exc
    return value


def _check_aspect_text(value: str) -> str:
    if len(value) > MAX_ASPECT_TEXT:
        raise _fail(f"{len(value)} characters; an aspect is answered on its own in at most {MAX_ASPECT_TEXT}",
                    "write one or two short sentences; details belong in 'answer'")
    return value


# A sentence ends at . ! ? followed by a space and a capital letter or digit; not after a single letter
# ("z. B."), a digit ("bis 30. Juni") or a common abbreviation ("ca.", "Nr.", "bzw.", "ggf.", "inkl.").
_SENTENCE_END = re.compile(
    r"(?<!\b[a-zA-Z])(?<!\d)(?<!\bca)(?<!\bNr)(?<!\bbzw)(?<!\bggf)(?<!\binkl)(?<!\bvgl)[.!?]\s+(?=[A-ZÄÖÜ0-9])"
)


def _check_summary(value: str) -> str:
    if len(value) > MAX_SUMMARY:
        raise _fail(f"{len(value)} characters; a summary has at most {MAX_SUMMARY}",
                    "say the one thing most people need in one or two short sentences; the rest stays in 'answer'")
    sentences = len(_SENTENCE_END.split(value))
    if sentences > MAX_SUMMARY_SENTENCES:
        raise _fail(f"{sentences} sentences; a summary has at most {MAX_SUMMARY_SENTENCES}",
                    "shorten it to one or two sentences; the rest stays in 'answer'")
    return value


def _check_action_url(value: str) -> str:
    """An action opens a web page (https), dials (tel:) or writes an e-mail (mailto:)."""
    if value.startswith("tel:"):
        _check_phone(value.removeprefix("tel:"))
        return value
    if value.startswith("mailto:"):
        _check_email(value.removeprefix("mailto:"))
        return value
    check_url(value)
    if not value.startswith("https://"):
        raise _fail(f"URL {value!r} is not encrypted",
                    "an action links https://, tel: or mailto: only; link the https:// address of the page")
    return value


def _check_template(value: str) -> str:
    rest = value.replace(TOPIC_PLACEHOLDER, "")
    if "{" in rest or "}" in rest:
        raise _fail(f"phrasing {value!r} has a placeholder other than {TOPIC_PLACEHOLDER}",
                    f"write {TOPIC_PLACEHOLDER} where a topic's name goes, or no placeholder at all")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
AspectText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_check_aspect_text)]
Template = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2), AfterValidator(_check_template)]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Url = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_url)]
ActionUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_action_url)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_check_summary)]
Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_phone)]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{4,5}$")]
RangeText = Annotated[str, AfterValidator(_check_range)]
# A search word, not a sentence: at most 5 words and 60 characters.
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60),
                    AfterValidator(lambda v: _check_keyword(v))]
# YAML turns an unquoted 2026-09-15 into a date; a quoted one is accepted too.
ReviewDate = Annotated[date, Field(strict=False)]


class Address(BaseModel):
    model_config = _MODEL

    street: Text
    postal_code: PostalCode
    city: Text


class Hours(BaseModel):
    """Opening hours per weekday; every weekday is listed, ``[]`` means closed."""

    model_config = _MODEL

    monday: list[RangeText]
    tuesday: list[RangeText]
    wednesday: list[RangeText]
    thursday: list[RangeText]
    friday: list[RangeText]
    saturday: list[RangeText]
    sunday: list[RangeText]

    @field_validator(*WEEKDAYS)
    @classmethod
    def _ordered(cls, value: list[str]) -> list[str]:
        try:
            check_day([parse_range(text) for text in value])
        except HoursError as exc:
            raise _fail(str(exc), 'for example ["08:00-12:00", "14:00-18:00"]') from exc
        return value

    def ranges(self, day: str) -> list[TimeRange]:
        """Parsed ranges of ``day`` (a name from :data:`content.hours.WEEKDAYS`)."""
        texts: list[str] = getattr(self, day)
        return [parse_range(text) for text in texts]

    def as_pairs(self) -> dict[str, list[list[str]]]:
        """``{"monday": [["08:00", "12:00"], ...], ...}`` in weekday order, as the content index stores it."""
        return {day: [[r.start_text, r.end_text] for r in self.ranges(day)] for day in WEEKDAYS}


class Handoff(BaseModel):
    """What the bot says when a citizen asks for a person, and how to reach one."""

    model_config = _MODEL

    text: Text
    unavailable_text: Text | None = None
    phone: Phone | None = None
    email: Email | None = None


class OpeningHours(BaseModel):
    """How the assistant answers "when is ... open?": the topic that asks it, and the office meant when the
    question names none (its offices' names, ids and ``aliases`` are matched first)."""

    model_config = _MODEL

    topic: Id
    default_office: Id


class Assistant(BaseModel):
    """What the assistant says about this municipality beyond single topics (city facts, not code)."""

    model_config = _MODEL

    # Examples of what it answers, for its first message: "zum Beispiel zu A, B oder C".
    examples: list[Text] = Field(default_factory=list, max_length=8)
    opening_hours: OpeningHours | None = None
    # Topics about every service alike (booking an appointment): in a conversation about a service, a
    # question about one of their aspects ("Kann ich den Termin online buchen?") stays with the service.
    general_topics: list[Id] = Field(default_factory=list)


def _check_colour(value: str) -> str:
    """A ``#rrggbb`` colour that white text on it, and it as text on white, can be read (WCAG 1.4.3)."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError("write the colour as #rrggbb, e.g. #00467f")

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value[i : i + 2]) for i in (1, 3, 5))
    ratio = 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)
    if ratio < 4.5:
        raise ValueError(f"contrast with white is {ratio:.1f}:1, needs at least 4.5:1 (WCAG AA): pick a darker colour")
    return value


class Branding(BaseModel):
    """How the chat widget and the city page look for this municipality."""

    model_config = _MODEL

    colour: Annotated[str, AfterValidator(_check_colour)] | None = None
    # A file in the content folder (SVG or PNG), served by the gateway at /{city}/logo.
    logo: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(svg|png)$")] | None = None


class Source(BaseModel):
    model_config = _MODEL

    title: Text
    url: Url


class Mayor(BaseModel):
    model_config = _MODEL

    name: Text
    title: Text  # as the city says it: "Oberbürgermeisterin", "Bürgermeister"
    since: Annotated[int, Field(ge=1900, le=2100)] | None = None  # the year the term began
    office: Id | None = None  # who answers about the mayor (default: facts.office)


class Inhabitants(BaseModel):
    model_config = _MODEL

    count: Annotated[int, Field(ge=1)]
    as_of: ReviewDate  # the date the count refers to ("Stand")


class TownHall(BaseModel):
    model_config = _MODEL

    name: Text = "Rathaus"
    address: Address


class Facts(BaseModel):
    """Facts about the municipality itself, answered by the assistant like topics ("Wer ist Bürgermeister?",
    "Wie viele Einwohner ...?", "Wo ist das Rathaus?"); :mod:`content.city_facts` makes one topic of each."""

    model_config = _MODEL

    office: Id  # the office that answers questions about these facts
    source: Source  # the city's page that states them
    last_reviewed: ReviewDate
    owner: Text
    mayor: Mayor | None = None
    inhabitants: Inhabitants | None = None
    town_hall: TownHall | None = None  # with the city's phone, e-mail and website from this file


class Municipality(BaseModel):
    model_config = _MODEL

    name: Text
    sample: bool = False
    phone: Phone
    email: Email
    website: Url
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "Europe/Berlin"
    postal_code: PostalCode
    city: Text
    handoff: Handoff
    assistant: Assistant = Field(default_factory=Assistant)
    branding: Branding = Field(default_factory=Branding)
    vocabulary: list[Text] = Field(default_factory=list)
    facts: Facts | None = None


class Office(BaseModel):
    model_config = _MODEL

    id: Id
    name: Text
    address: Address
    phone: Phone
    email: Email
    hours: Hours
    notes: Text | None = None
    appointment_url: Url | None = None
    # Words citizens use for this office beyond its name ("Einwohnermeldeamt" for the Bürgerbüro): the
    # assistant matches them, in lower case, when a question asks for an office's opening hours.
    aliases: list[Keyword] = Field(default_factory=list)


class OfficesFile(BaseModel):
    model_config = _MODEL

    offices: list[Office] = Field(min_length=1)


class Action(BaseModel):
    """A link button under the answer: what it does, in a few words, and where it leads."""

    model_config = _MODEL

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=MAX_ACTION_LABEL)]
    url: ActionUrl


class Fee(BaseModel):
    model_config = _MODEL

    label: Text
    amount_eur: Annotated[float, Field(ge=0)]


class OnlineService(BaseModel):
    """The online service or booking page for a topic, with a short line saying what can be done there."""

    model_config = _MODEL

    text: AspectText
    url: Url


class Topic(BaseModel):
    model_config = _MODEL

    id: Id
    title: Text
    questions: list[Text] = Field(min_length=MIN_QUESTIONS)
    answer: Text
    answer_easy: Text | None = None
    # Shown first, before "Mehr dazu" (without it: the answer's first two sentences).
    summary: Summary | None = None
    # Link buttons under the answer (without them: "Termin buchen" from the office, "Online-Antrag" from
    # 'online' or an online-form source).
    actions: list[Action] = Field(default_factory=list, max_length=MAX_ACTIONS)
    sources: list[Source] = Field(min_length=1)
    office: Id
    fees: list[Fee] = Field(default_factory=list)
    documents: list[Text] = Field(default_factory=list)
    # Aspects answered on their own ("Wie lange dauert das?"); office and hours come from the office.
    duration: AspectText | None = None
    deadline: AspectText | None = None
    online: OnlineService | None = None
    # Words citizens use for this topic that its phrasings do not (synonyms, colloquial words, old
    # names): they steer the assistant's retrieval (docs/content.md).
    keywords: list[Keyword] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    last_reviewed: ReviewDate
    owner: Text

    @field_validator("keywords")
    @classmethod
    def _distinct_keywords(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for keyword in value:
            folded = keyword.casefold()
            if folded in seen:
                raise _fail(f"keyword {keyword!r} is listed twice", "list each keyword once")
            seen.add(folded)
        return value

    def index_entry(self) -> dict[str, Any]:
        """The topic as the content index (``bot/content_index.json``) stores it."""
        return {
            "id": self.id,
            "title": self.title,
            "answer": self.answer,
            "answer_easy": self.answer_easy,
            "summary": self.summary,
            "actions": [{"label": a.label, "url": a.url} for a in self.actions],
            "sources": [{"title": s.title, "url": s.url} for s in self.sources],
            "office": self.office,
            "fees": [{"label": f.label, "amount_eur": f.amount_eur} for f in self.fees],
            "documents": list(self.documents),
            "duration": self.duration,
            "deadline": self.deadline,
            "online": self.online.model_dump() if self.online else None,
            "questions": list(self.questions),
            "keywords": list(self.keywords),
            "last_reviewed": self.last_reviewed.isoformat(),
            "owner": self.owner,
        }


class AspectPhrasings(BaseModel):
    """How citizens ask for one aspect; ``{thema}`` stands for a topic's name, phrasings without it are
    follow-ups ("Und was kostet das?")."""

    model_config = _MODEL

    label: Text
    questions: list[Template] = Field(min_length=MIN_ASPECT_PHRASINGS)


class AspectsFile(BaseModel):
    """``aspects.yml``: the phrasings from which ``rathaus content build`` generates the training examples
    of the assistant's aspect detection (docs/content.md).

    ``follow_up``: a new topic but no aspect ("Und beim {thema}?"): the previous aspect carries over.
    ``no_aspect``: a request for a whole topic ("Ich brauche {thema}"): the full answer.
    """

    model_config = _MODEL

    aspects: dict[str, AspectPhrasings]
    follow_up: list[Template] = Field(min_length=MIN_ASPECT_PHRASINGS)
    no_aspect: list[Template] = Field(min_length=MIN_ASPECT_PHRASINGS)

    @field_validator("aspects")
    @classmethod
    def _known(cls, value: dict[str, AspectPhrasings]) -> dict[str, AspectPhrasings]:
        unknown = sorted(set(value) - set(ASPECTS))
        if unknown:
            raise _fail(f"unknown aspect(s) {', '.join(unknown)}", "the aspects are " + ", ".join(ASPECTS))
        missing = [name for name in ASPECTS if name not in value]
        if missing:
            raise _fail(f"aspect(s) {', '.join(missing)} have no phrasings",
                        "list phrasings for every aspect: " + ", ".join(ASPECTS))
        return value
