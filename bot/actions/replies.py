"""What the assistant says: German text, buttons and the structured custom payload of each reply.

Plain Python. Each function returns a ``Reply``; ``actions.py`` sends it with
``dispatcher.utter_message(text=..., buttons=..., json_message=...)``. Over Rasa's REST channel the
text (with buttons) and the custom payload arrive as two consecutive messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .decide import Candidate
from .hours import day_status, describe_status, week_lines
from .index import ContentIndex
from .kinds import ReplyType

__all__ = [
    "ASPECT_LABELS",
    "Reply",
    "answer_reply",
    "aspect_reply",
    "bot_challenge_reply",
    "choose_topic_payload",
    "clarify_reply",
    "elsewhere_reply",
    "disclosure_reply",
    "error_reply",
    "handoff_reply",
    "not_understood_reply",
    "opening_hours_reply",
    "out_of_scope_reply",
    "smalltalk_reply",
    "with_candidates",
    "with_language_note",
]

HANDOFF_BUTTON = {"title": "Mit einem Menschen sprechen", "payload": "/human_handoff"}


@dataclass(frozen=True)
class Reply:
    text: str
    custom: dict[str, Any]
    buttons: list[dict[str, str]] = field(default_factory=list)


def choose_topic_payload(topic: str) -> str:
    """The button payload that picks ``topic`` (``/choose_topic{"topic":"reisepass"}``)."""
    return "/choose_topic" + json.dumps({"topic": topic}, separators=(",", ":"))


def _german_date(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d.%m.%Y")
    except (TypeError, ValueError):
        return str(iso or "")


def _office_line(office: Mapping[str, Any] | None) -> str:
    if not office:
        return ""
    address = office.get("address") or {}
    parts = [str(office.get("name") or "")]
    if address:
        parts.append(f"{address.get('street', '')}, {address.get('postal_code', '')} {address.get('city', '')}".strip())
    if office.get("phone"):
        parts.append(f"Telefon {office['phone']}")
    return "Zuständig: " + ", ".join(p for p in parts if p) + "."


def _sources_line(sources: Sequence[Mapping[str, Any]]) -> str:
    if not sources:
        return ""
    return "Quelle: " + "; ".join(f"{s.get('title', '')} ({s.get('url', '')})" for s in sources)


def answer_reply(index: ContentIndex, topic_id: str, confidence: float, *, answer: str | None = None,
                 office_id: str | None = None, extra: Mapping[str, Any] | None = None) -> Reply:
    """A topic's answer with its sources, office and review date (``faq_answer`` payload)."""
    topic = index.topic(topic_id) or {}
    office = index.office(office_id or topic.get("office"))
    text_answer = answer if answer is not None else str(topic.get("answer") or "")
    sources = list(topic.get("sources") or [])
    lines = [text_answer, _office_line(office), _sources_line(sources)]
    if topic.get("last_reviewed"):
        lines.append(f"Stand: {_german_date(topic['last_reviewed'])}")
    custom: dict[str, Any] = {
        "type": ReplyType.FAQ_ANSWER.value,
        "topic": topic_id,
        "title": topic.get("title") or topic_id,
        "answer": text_answer,
        "answer_easy": topic.get("answer_easy"),
        # the editors' summary is of the whole answer; an aspect or other text gets the derived one
        "summary": topic.get("summary") if answer is None else None,
        "actions": list(topic.get("actions") or []),
        "sources": sources,
        "office": office,
        "fees": list(topic.get("fees") or []),
        "documents": list(topic.get("documents") or []),
        "last_reviewed": topic.get("last_reviewed"),
        "confidence": round(float(confidence), 4),
    }
    if extra:
        custom.update(extra)
    return Reply(text="\n".join(line for line in lines if line), custom=custom)


# German names of the aspects, used when the content index has none (content without aspects.yml).
ASPECT_LABELS = {
    "fees": "Kosten",
    "documents": "Unterlagen",
    "office": "Zuständige Stelle",
    "hours": "Öffnungszeiten",
    "duration": "Bearbeitungsdauer",
    "deadline": "Frist",
    "online": "Online-Dienst",
}


def _euro(amount: Any) -> str:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return str(amount)
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + " Euro"


def _contact(office: Mapping[str, Any]) -> str:
    parts = [str(office.get("name") or "")]
    if office.get("phone"):
        parts.append(f"Telefon {office['phone']}")
    if office.get("email"):
        parts.append(f"E-Mail {office['email']}")
    return ", ".join(p for p in parts if p)


def _aspect_text(topic: Mapping[str, Any], office: Mapping[str, Any], aspect: str, now: datetime) -> str | None:
    """The aspect on its own, or ``None`` when the content has no data for it."""
    if aspect == "fees" and topic.get("fees"):
        return "\n".join(f"• {fee.get('label')}: {_euro(fee.get('amount_eur'))}" for fee in topic["fees"])
    if aspect == "documents" and topic.get("documents"):
        return "Bitte bringen Sie mit:\n" + "\n".join(f"• {doc}" for doc in topic["documents"])
    if aspect == "office" and office:
        address = office.get("address") or {}
        where = f"{address.get('street', '')}, {address.get('postal_code', '')} {address.get('city', '')}"
        text = f"Zuständig ist: {office.get('name')}, {where}. " + _contact(office).split(", ", 1)[-1] + "."
        if office.get("appointment_url"):
            text += f" Termine: {office['appointment_url']}"
        return text
    if aspect == "hours" and office and office.get("hours"):
        hours = office["hours"]
        name = str(office.get("name") or "")
        return (describe_status(name, day_status(hours, now), day_offset=0) + "\n"
                + "Öffnungszeiten " + name + ": " + "; ".join(week_lines(hours)) + ".")
    if aspect in {"duration", "deadline"} and topic.get(aspect):
        return str(topic[aspect])
    if aspect == "online" and topic.get("online"):
        online = topic["online"]
        return f"{online.get('text')} {online.get('url')}"
    return None


def aspect_reply(index: ContentIndex, topic_id: str, aspect: str, confidence: float, now: datetime) -> Reply:
    """One aspect of a topic, short: the fee list, the document checklist, the office card, today's
    hours, the duration, the deadline or the online service, with office, source and review date,
    and a button that opens the whole answer. Without data: an honest "Dazu habe ich keine Angabe"
    with the office's contact, never the whole page."""
    topic = index.topic(topic_id) or {}
    office = index.office(topic.get("office")) or {}
    title = str(topic.get("title") or topic_id)
    label = str(((index.aspects or {}).get("labels") or {}).get(aspect) or ASPECT_LABELS.get(aspect, aspect))
    found = _aspect_text(topic, office, aspect, now)
    if found is None:
        body = f"Dazu habe ich keine Angabe; bitte fragen Sie direkt nach: {_contact(office) or index.city}."
    else:
        body = found
    heading = f"{label} – {title}:"
    # answer_easy: the easy-language text is of the whole answer, not of this aspect
    reply = answer_reply(index, topic_id, confidence, answer=heading + "\n" + body,
                         extra={"aspect": aspect, "aspect_label": label, "aspect_found": found is not None,
                                "answer_easy": None})
    button = {"title": f"Alles zu {title}", "payload": choose_topic_payload(topic_id)}
    return Reply(text=reply.text, custom=reply.custom, buttons=[button])


def opening_hours_reply(index: ContentIndex, office_id: str, now: datetime, day_offset: int,
                        confidence: float) -> Reply:
    """Opening hours of ``office_id`` for today (or the asked day), from the structured hours."""
    office = index.office(office_id) or {}
    hours = office.get("hours") or {}
    name = str(office.get("name") or office_id)
    status = day_status(hours, now, day_offset=day_offset)
    sentence = describe_status(name, status, day_offset=day_offset)
    # One line per day, so the week reads as a list; the booking link travels as the office's
    # appointment_url (the widget shows it as a "Termin buchen" button), not as a bare address in the text.
    week = "\n".join((f"Öffnungszeiten {name}:", *week_lines(hours)))
    parts = [sentence, week]
    if office.get("notes"):
        parts.append(str(office["notes"]))
    extra = {
        "hours_status": {
            "office": office_id,
            "weekday": status.weekday,
            "state": status.state,
            "until": status.until,
            "opens": status.opens,
            "day_offset": day_offset,
        },
        # The topic's own easy text describes the Bürgerbüro; for another office it would give the wrong
        # hours, so the easy text is this office's week, day by day.
        "answer_easy": "\n".join((f"So ist {name} offen:", *week_lines(hours))),
    }
    topic = index.opening_hours.topic if index.opening_hours else ""
    reply = answer_reply(index, topic, confidence, answer="\n".join(parts),
                         office_id=office_id, extra=extra)
    return reply


def clarify_reply(index: ContentIndex, options: Sequence[Candidate], confidence: float) -> Reply:
    """"Meinten Sie ...?" with the best topics as buttons (``clarify`` payload)."""
    entries = []
    for candidate in options:
        title = str((index.topic(candidate.topic) or {}).get("title") or candidate.topic)
        entries.append({
            "topic": candidate.topic,
            "title": title,
            "confidence": round(candidate.confidence, 4),
            "payload": choose_topic_payload(candidate.topic),
        })
    quoted = [f"„{e['title']}“" for e in entries]
    titles = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " oder " + quoted[-1]
    text = f"Ich bin mir nicht sicher, ob ich Sie richtig verstanden habe. Meinten Sie {titles}?"
    buttons = [{"title": str(e["title"]), "payload": str(e["payload"])} for e in entries]
    custom = {"type": ReplyType.CLARIFY.value, "options": entries, "confidence": round(float(confidence), 4)}
    return Reply(text=text, custom=custom, buttons=buttons)


def _capabilities(index: ContentIndex) -> str:
    """What the assistant answers; the examples are the content's (``assistant.examples``), never code's."""
    sentence = f"Ich beantworte Fragen zu den Dienstleistungen der Stadtverwaltung {index.city}"
    examples = index.examples
    if not examples:
        return sentence + "."
    listed = examples[0] if len(examples) == 1 else ", ".join(examples[:-1]) + " oder " + examples[-1]
    return f"{sentence}, zum Beispiel zu {listed}."


def _reach_a_person(index: ContentIndex) -> str:
    contact = []
    if index.phone:
        contact.append(f"telefonisch unter {index.phone}")
    if index.email:
        contact.append(f"per E-Mail an {index.email}")
    via = (" oder " + " oder ".join(contact)) if contact else ""
    return f"Eine Mitarbeiterin oder einen Mitarbeiter erreichen Sie über „Mit einem Menschen sprechen“{via}."


def disclosure_reply(index: ContentIndex) -> Reply:
    """The first message of every conversation (EU AI Act Art. 50): AI, what it can do, how to reach a person."""
    text = (
        f"Guten Tag! Ich bin der KI-Assistent der Stadt {index.city}, ein automatisches System und kein Mensch. "
        + _capabilities(index)
        + " Ich kann mich irren: Jede Antwort nennt ihre Quelle, bitte prüfen Sie wichtige Angaben dort. "
        "Bitte geben Sie keine persönlichen Daten wie Namen, Adresse, Geburtsdatum oder Kontodaten ein. "
        + _reach_a_person(index)
    )
    custom = {"type": ReplyType.DISCLOSURE.value, "phone": index.phone, "email": index.email}
    return Reply(text=text, custom=custom, buttons=[dict(HANDOFF_BUTTON)])


def bot_challenge_reply(index: ContentIndex) -> Reply:
    text = (
        f"Ich bin ein KI-Assistent der Stadt {index.city}, also ein Computerprogramm und kein Mensch. "
        "Meine Antworten stammen aus den Informationen der Stadtverwaltung und nennen ihre Quelle. "
        "Mitarbeitende der Stadt lesen dieses Gespräch nur, wenn Sie um ein Gespräch mit einer Person bitten. "
        + _reach_a_person(index)
    )
    return Reply(text=text, custom={"type": ReplyType.BOT_CHALLENGE.value}, buttons=[dict(HANDOFF_BUTTON)])


def handoff_reply(index: ContentIndex) -> Reply:
    handoff = index.municipality.get("handoff") or {}
    intro = str(handoff.get("text") or "Ich verbinde Sie mit einer Mitarbeiterin oder einem Mitarbeiter.")
    contact = []
    if index.phone:
        contact.append(f"telefonisch unter {index.phone}")
    if index.email:
        contact.append(f"per E-Mail an {index.email}")
    text = intro
    if contact:
        text += " Sie erreichen den Bürgerservice auch " + " oder ".join(contact) + "."
    custom = {"type": ReplyType.HANDOFF.value, "phone": index.phone, "email": index.email}
    return Reply(text=text, custom=custom)


def out_of_scope_reply(index: ContentIndex, confidence: float) -> Reply:
    text = (
        "Dazu kann ich Ihnen leider keine Auskunft geben. " + _capabilities(index)
        + " Stellen Sie Ihre Frage gern anders. " + _reach_a_person(index)
    )
    custom = {"type": ReplyType.OUT_OF_SCOPE.value, "confidence": round(float(confidence), 4)}
    return Reply(text=text, custom=custom, buttons=[dict(HANDOFF_BUTTON)])


def elsewhere_reply(index: ContentIndex, place: str, topic: str | None, confidence: float) -> Reply:
    """For a question about another city ("Sperrmüll in München"): this assistant knows its own city only;
    the topic it would have answered is offered as a button, for a citizen who meant this city after all."""
    text = (f"Ich gebe nur Auskunft zu den Dienstleistungen der Stadt {index.city}, nicht zu {place}. "
            f"Bitte wenden Sie sich an die Verwaltung in {place}.")
    buttons = []
    custom: dict[str, Any] = {"type": ReplyType.OUT_OF_SCOPE.value, "confidence": round(float(confidence), 4),
                              "reason": "elsewhere", "place": place}
    if topic:
        title = str((index.topic(topic) or {}).get("title") or topic)
        payload = choose_topic_payload(topic)
        text += f" Meinten Sie „{title}“ in {index.city}?"
        buttons.append({"title": f"{title} in {index.city}", "payload": payload})
        custom["options"] = [{"topic": topic, "title": title, "payload": payload}]
    return Reply(text=text, custom=custom, buttons=[*buttons, dict(HANDOFF_BUTTON)])


def not_understood_reply(index: ContentIndex) -> Reply:
    """For a message with nothing to answer: emoji only, one key held down, keyboard mashing."""
    text = (
        "Ich habe Ihre Nachricht leider nicht verstanden. Bitte schreiben Sie Ihre Frage in ganzen Worten, "
        "zum Beispiel: „Wie beantrage ich einen Personalausweis?“ " + _reach_a_person(index)
    )
    custom = {"type": ReplyType.OUT_OF_SCOPE.value, "confidence": 0.0, "reason": "not_understood"}
    return Reply(text=text, custom=custom, buttons=[dict(HANDOFF_BUTTON)])


# One line in the asker's language: the answers are German, and legal content is not machine-translated
# (a wrong translation of a fee or a deadline would be worse than a German answer).
LANGUAGE_NOTES = {
    "en": "Note: I answer in German only; official information is not machine-translated.",
    "tr": "Not: Yalnızca Almanca yanıt veriyorum; resmi bilgiler makine çevirisiyle çevrilmez.",
    "uk": "Примітка: я відповідаю лише німецькою мовою; офіційна інформація не перекладається машинним перекладом.",
    "ru": "Примечание: я отвечаю только на немецком языке; официальная информация не переводится машинным переводом.",
    "ar": "ملاحظة: أجيب باللغة الألمانية فقط؛ لا تتم ترجمة المعلومات الرسمية آليًا.",
    "pl": "Uwaga: odpowiadam tylko po niemiecku; informacje urzędowe nie są tłumaczone maszynowo.",
}


def with_candidates(reply: Reply, topics: Sequence[str]) -> Reply:
    """``reply`` whose payload lists the best topics of the retrieval (``candidates``, best first, at most
    three); the evaluation reads them for its top-3 rate, the widget ignores them."""
    return Reply(text=reply.text, custom={**reply.custom, "candidates": list(topics[:3])}, buttons=list(reply.buttons))


def with_language_note(reply: Reply, language: str) -> Reply:
    """``reply`` with a first line in the asker's language saying that answers come in German."""
    note = LANGUAGE_NOTES.get(language)
    if not note:
        return reply
    custom = {**reply.custom, "language": language, "language_note": note}
    return Reply(text=note + "\n" + reply.text, custom=custom, buttons=list(reply.buttons))


_SMALLTALK = {
    "greet": (
        "Hallo! Wie kann ich Ihnen helfen? "
        "Fragen Sie mich zum Beispiel: „Wie beantrage ich einen Personalausweis?“"
    ),
    "goodbye": "Auf Wiedersehen! Bei weiteren Fragen bin ich gern wieder für Sie da.",
    "thanks": "Gern geschehen! Kann ich Ihnen noch bei etwas anderem helfen?",
}


def smalltalk_reply(intent: str) -> Reply:
    text = _SMALLTALK.get(intent, _SMALLTALK["greet"])
    return Reply(text=text, custom={"type": ReplyType.SMALLTALK.value, "intent": intent if intent in _SMALLTALK else "greet"})


def error_reply() -> Reply:
    """Said when an action fails unexpectedly; needs no content (the index may be what failed)."""
    text = (
        "Entschuldigung, dabei ist bei mir ein technischer Fehler aufgetreten. Bitte versuchen Sie es "
        "gleich noch einmal oder wenden Sie sich an den Bürgerservice Ihrer Stadtverwaltung."
    )
    return Reply(text=text, custom={"type": ReplyType.OUT_OF_SCOPE.value, "confidence": 0.0, "error": True},
                 buttons=[dict(HANDOFF_BUTTON)])
