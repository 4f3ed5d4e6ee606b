"""The conversation's topic across turns: which topic and aspect a message refers to.

Plain Python, no rasa_sdk. Rasa keeps the state in two slots, ``topic`` and ``aspect``, which
``action_answer_faq`` sets whenever it answers (bot/domain/core.yml); rules in bot/data/ send
follow-ups (intent ``follow_up``, set by the aspect detector when the retrieval found no topic) to the
same action. This module decides, from the tracker's events and the message's verdict:

- :func:`current_topic`: the topic and aspect still in force, or none when the topic was set more than
  ``max_turns`` user messages or ``max_minutes`` ago (a citizen who comes back later starts afresh);
  out-of-scope questions and hand-offs in between do not touch the slots, so they only count as turns;
- :func:`resolve`: what to answer: a topic the message names (with the aspect it asks for, or the
  previous aspect when it only switches topic: "Und beim Reisepass?"), or, for an elliptical follow-up
  ("Und was kostet das?"), the aspect of the current topic;
- :func:`unanswered_rankings`: the retrieval's rankings of the last messages the bot could not place
  ("Meinten Sie ...?" or declined while unsure), so that a follow-up to them ("Ich bin bei der Wahl im
  Urlaub" – "Meinten Sie Briefwahl oder Reisepass?" – "Bis wann muss ich das beantragen?") is answered
  for the topic both messages point to.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .decide import Candidate, Decision, read_verdict
from .topic_words import TopicWords

__all__ = ["ASPECTS", "Context", "DialogueOptions", "Plan", "current_topic", "dialogue_options", "resolve",
           "unanswered_rankings"]

ASPECTS = ("fees", "documents", "office", "hours", "duration", "deadline", "online")
FOLLOW_UP = "follow_up"
# Retrieval verdicts of a message that may name a topic the bot could not place ("Meinten Sie ...?", or
# declined as unsure); out-of-scope questions, hand-offs and smalltalk name none.
_UNSURE = frozenset({"faq", "nlu_fallback"})


@dataclass(frozen=True, slots=True)
class DialogueOptions:
    """How long a topic stays current: at most ``max_turns`` later messages and ``max_minutes``.

    keep_margin: a message that asks for an aspect stays with the current topic when the retrieval
    scores that topic within this distance of its best one ("Was kostet die Abmeldung?" while talking
    about giving up a business: the conversation tells which Abmeldung is meant); an unsure topic switch
    looks this far below the best for the topic that belongs with the current one.

    pool_turns: the messages before this one, since the last topic, whose rankings a follow-up without
    a topic of its own is pooled with (summed fused scores) when no topic is current.
    pool_margin: the pooled best topic must lead the runner-up by this much, else the decision stands.
    """

    max_turns: int = 6
    max_minutes: float = 30.0
    keep_margin: float = 0.1
    pool_turns: int = 2
    pool_margin: float = 0.02


def dialogue_options(environ: Mapping[str, str] | None = None) -> DialogueOptions:
    """``RATHAUS_BOT_TOPIC_TURNS`` and ``RATHAUS_BOT_TOPIC_MINUTES``, else the defaults."""
    env = os.environ if environ is None else environ
    defaults = DialogueOptions()
    try:
        turns = int(env.get("RATHAUS_BOT_TOPIC_TURNS") or defaults.max_turns)
        minutes = float(env.get("RATHAUS_BOT_TOPIC_MINUTES") or defaults.max_minutes)
    except ValueError:
        return defaults
    return replace(defaults, max_turns=max(1, turns), max_minutes=max(0.0, minutes))


@dataclass(frozen=True, slots=True)
class Context:
    """The conversation's current topic and aspect (``None``: no topic, or it expired)."""

    topic: str | None = None
    aspect: str | None = None


def current_topic(events: Sequence[Mapping[str, Any]], now: float, options: DialogueOptions) -> Context:
    """The topic and aspect set last by the bot, unless expired.

    ``events`` are the tracker's events (dicts with ``event``, ``name``, ``value``, ``timestamp``), the
    current message being the last ``user`` event; ``now`` is a Unix time.
    """
    topic: str | None = None
    aspect: str | None = None
    set_at: float | None = None
    turns = 0
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "topic":
            topic = str(event["value"]) if event.get("value") else None
            set_at = float(event.get("timestamp") or now)
            turns = 0
        elif kind == "slot" and event.get("name") == "aspect":
            aspect = str(event["value"]) if event.get("value") else None
        elif kind == "user":
            turns += 1
        elif kind in {"session_started", "restart"}:
            topic, aspect, set_at, turns = None, None, None, 0
    # ``turns`` counts the current message too: a direct follow-up is one turn after the answer.
    if topic is None or turns > options.max_turns or (set_at is not None and now - set_at > options.max_minutes * 60):
        return Context()
    return Context(topic=topic, aspect=aspect if aspect in ASPECTS else None)


def unanswered_rankings(events: Sequence[Mapping[str, Any]], options: DialogueOptions) -> tuple[tuple[Candidate, ...], ...]:
    """The retrieval's rankings of the last ``pool_turns`` messages before the current one (the last
    ``user`` event) since the bot last answered a topic, keeping only messages it was unsure about
    (verdict ``faq`` or ``nlu_fallback``: an out-of-scope question or a hand-off names no topic)."""
    users: list[Mapping[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if (kind == "slot" and event.get("name") == "topic" and event.get("value")) or kind in {"session_started",
                                                                                                 "restart"}:
            users = []
        elif kind == "user":
            users.append(event)
    rankings = []
    for event in users[:-1][-options.pool_turns:] if options.pool_turns > 0 else ():
        parse_data = event.get("parse_data")
        if not isinstance(parse_data, Mapping):
            continue
        verdict = read_verdict(parse_data)
        if verdict.intent in _UNSURE and verdict.ranking:
            rankings.append(verdict.ranking)
    return tuple(rankings)


def _pooled(earlier: Sequence[Sequence[Candidate]], rankings: Sequence[Sequence[Candidate]],
            margin: float) -> str | None:
    """Of the topics the ``earlier`` messages ranked, the one with the highest summed score over
    ``rankings`` if it leads by ``margin``; a topic missing from a ranking (which holds the best few)
    counts with that ranking's lowest score. A topic only the follow-up ranks ("Welche Papiere brauche
    ich?": the birth certificate) is no continuation of the earlier messages."""
    topics = {c.topic for ranking in earlier for c in ranking}
    scored = [({c.topic: c.confidence for c in ranking}, min((c.confidence for c in ranking), default=0.0))
              for ranking in rankings]
    totals = [(sum(scores.get(topic, lowest) for scores, lowest in scored), topic) for topic in topics]
    totals.sort(reverse=True)
    if not totals or (len(totals) > 1 and totals[0][0] - totals[1][0] < margin):
        return None
    return totals[0][1]


@dataclass(frozen=True, slots=True)
class Plan:
    """What the action does: answer ``topic`` (only ``aspect`` when given), or keep ``decision``."""

    topic: str | None
    aspect: str | None
    decision: Decision
    carried: bool = False  # the topic or aspect came from the conversation, not from the message


def resolve(*, decision: Decision, detected: str, context: Context, general_hours: bool = False,
            ranking: Sequence[Candidate] = (), options: DialogueOptions = DialogueOptions(),
            text: str = "", words: TopicWords | None = None, general_topics: frozenset[str] = frozenset(),
            unanswered: Sequence[Sequence[Candidate]] = ()) -> Plan:
    """Combine the decision on the message (``decide()``), the detector's label (an aspect,
    ``follow_up`` or ``no_aspect``) and the conversation's context.

    - The message names a topic (``decision`` answers): that topic, with the aspect asked for; a topic
      switch without an aspect keeps the previous aspect. But a message asking for an aspect keeps the
      current topic when ``ranking`` (the retrieval's fused scores) has it within ``keep_margin`` of the
      best, or when ``text`` names the current topic by its own words as well as it names the decided
      one (``words``: "Gibt es eine Frist für die Anmeldung?" about the dog tax, whose title says "Hund
      anmelden", is not a question about registering one's address), or when ``text`` names the decided
      topic by no word of its own, only by words several topics share ("Welche Unterlagen werden
      verlangt?", "Ab wann muss ich ihn anmelden?" about a Kita place): then the current topic, or the
      topic among those the shared words name that belongs with it ("Und beim Abmelden?" after the car
      registration: the car deregistration).
    - A topic switch ("Und für die Abmeldung?") that ``decide()`` cannot place among close topics
      ("Meinten Sie ...?"): the option that belongs with the current topic (shared title words, the
      same office: "Wohnsitz abmelden" after "Wohnsitz anmelden"), with the previous aspect; the
      citizen is asked when no option or two options belong equally.
      The options are those offered and every topic the retrieval scores within ``keep_margin`` of the
      best ("Und die Abmeldung?" after the business registration: "Gewerbe abmelden" ranks third).
    - ``general_hours``: the decision is the general opening-hours topic, the message asks for the hours
      or only switches to that topic ("Und wann ist das Büro offen?"), and names no office other than
      the current topic's: the current topic's hours.
    - ``general_topics`` (``assistant.general_topics`` of the content: booking an appointment, a matter
      of every service): the decision is one of them and the message asks for an aspect ("Kann ich den
      Termin online buchen?" about a wedding): that aspect of the current topic.
    - Unsure between topics ("Meinten Sie ...?") or no topic at all, and the message asks for an
      aspect: the current topic's aspect ("Und wie lange dauert das?", "Kann ich das im Netz anmelden?").
    - No current topic, the message asks for an aspect and the decision does not answer, but the
      messages before it that the bot could not place (``unanswered``) point, with this one, to one
      topic (summed fused scores, leading by ``pool_margin``): that aspect of that topic.
    - Otherwise the decision stands (clarify or decline); the slots stay as they are.
    """
    aspect = detected if detected in ASPECTS else None
    if general_hours and context.topic and (aspect == "hours" or detected == FOLLOW_UP):
        return Plan(context.topic, "hours", decision, carried=True)
    if (aspect and context.topic and decision.kind == "answer" and decision.topic in general_topics
            and context.topic not in general_topics):
        return Plan(context.topic, aspect, decision, carried=True)
    if decision.kind == "answer" and decision.topic:
        if aspect and context.topic and context.topic != decision.topic and ranking:
            best = max(c.confidence for c in ranking)
            current = max((c.confidence for c in ranking if c.topic == context.topic), default=None)
            if current is not None and best - current <= options.keep_margin:
                return Plan(context.topic, aspect, decision, carried=True)
        if aspect and context.topic and context.topic != decision.topic and words is not None:
            if words.refers_to(text, context.topic, decision.topic):
                return Plan(context.topic, aspect, decision, carried=True)
            named = words.weakly_named(text, decision.topic)
            if named is not None:
                # "Ab wann muss ich ihn anmelden?" about a Kita place: the retrieval's choice (Wohnsitz
                # anmelden) rests on a word many topics share, so the conversation decides which is meant.
                related = words.closest(context.topic, named) if context.topic not in named else None
                return Plan(related or context.topic, aspect, decision, carried=True)
        if aspect is None and detected == FOLLOW_UP and context.aspect:
            topic = decision.topic
            if context.topic and context.topic != topic and words is not None:
                named = words.weakly_named(text, topic)
                if named:  # "Und beim Abmelden?" after the car registration: the car deregistration
                    topic = words.closest(context.topic, named) or topic
            return Plan(topic, context.aspect, decision, carried=True)
        return Plan(decision.topic, aspect, decision)
    if detected == FOLLOW_UP and context.topic and decision.kind == "clarify" and words is not None:
        best = max((c.confidence for c in ranking), default=0.0)
        close = [c.topic for c in ranking if best - c.confidence <= options.keep_margin]
        offered = [c.topic for c in decision.options]
        related = words.closest(context.topic, offered + [t for t in close if t not in offered])
        if related is not None:
            return Plan(related, context.aspect, decision, carried=True)
    if context.topic and aspect:
        return Plan(context.topic, aspect, decision, carried=True)
    if context.topic is None and aspect and decision.kind != "answer" and unanswered:
        pooled = _pooled(unanswered, [*unanswered, ranking] if ranking else unanswered, options.pool_margin)
        if pooled is not None:
            return Plan(pooled, aspect, decision, carried=True)
    return Plan(None, None, decision)
