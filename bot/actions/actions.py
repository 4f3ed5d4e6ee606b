"""rasa-sdk actions: the only module here that imports rasa_sdk. Decisions live in decide.py."""

from __future__ import annotations

import logging
import os
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from .cities import CityIndexes, conversation_city
from .decide import DEFAULT_THRESHOLDS, THRESHOLD_NAMES, Thresholds, Verdict, decide, read_verdict
from .dialogue import Context, current_topic, dialogue_options, resolve, unanswered_rankings
from .hours import find_office, named_office, requested_day
from .index import ContentIndex
from .replies import (
    Reply,
    answer_reply,
    aspect_reply,
    bot_challenge_reply,
    clarify_reply,
    disclosure_reply,
    elsewhere_reply,
    error_reply,
    handoff_reply,
    not_understood_reply,
    opening_hours_reply,
    out_of_scope_reply,
    smalltalk_reply,
    with_candidates,
    with_language_note,
)
from .places import city_elsewhere, content_words, other_place
from .topic_words import TopicWords

logger = logging.getLogger(__name__)

from zoneinfo import ZoneInfo

_INDEXES = CityIndexes()


def content_index(tracker: Tracker) -> ContentIndex:
    """The content index of the conversation's city (cities.py), reloaded when the file changes."""
    return _INDEXES.get(conversation_city(tracker.events, tracker.get_slot("session_started_metadata")))


@lru_cache(maxsize=8)
def topic_words(index: ContentIndex) -> TopicWords:
    """The topics' names and offices of one loaded index (a reloaded index is a new object)."""
    return TopicWords.from_content(index.topics, index.offices)


@lru_cache(maxsize=8)
def place_words(index: ContentIndex) -> frozenset[str]:
    """The words of one loaded index's topics and the city's name: not places elsewhere (places.py)."""
    return content_words(index.topics, [index.city])


@lru_cache(maxsize=8)
def fact_topics(index: ContentIndex) -> frozenset[str]:
    """One loaded index's city facts (content/city_facts.py): answered whole, true of this city only."""
    return frozenset(topic for topic, entry in index.topics.items() if entry.get("whole"))


def thresholds() -> Thresholds:
    """Defaults from decide.py, overridable per deployment via RATHAUS_BOT_* environment variables."""
    values = {}
    for name in THRESHOLD_NAMES:
        raw = os.environ.get(f"RATHAUS_BOT_{name.upper()}")
        if raw:
            try:
                values[name] = float(raw)
            except ValueError:
                logger.warning("bot.thresholds.invalid name=%s value=%r", name, raw)
    if not values:
        return DEFAULT_THRESHOLDS
    current = {n: getattr(DEFAULT_THRESHOLDS, n) for n in THRESHOLD_NAMES}
    current.update(values)
    return Thresholds(**current)


def _zone(index: ContentIndex) -> tzinfo | None:
    name = str(index.municipality.get("timezone") or "Europe/Berlin")
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - no tz database in a slim image: fall back to the host's local time
        logger.warning("bot.timezone.unavailable zone=%s", name)
        return None


def _now(index: ContentIndex) -> datetime:
    zone = _zone(index)
    override = os.environ.get("RATHAUS_BOT_NOW")  # ISO timestamp, for tests and demos
    if override:
        moment = datetime.fromisoformat(override)
        return moment if moment.tzinfo is None or zone is None else moment.astimezone(zone)
    return datetime.now(zone)


def _send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None, json_message=reply.custom)


def _topic_entity(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "topic" and entity.get("value"):
            return str(entity["value"])
    return None


class CitizenAction(Action):
    """An action that always says something: an unexpected error becomes a polite German apology
    (and a log entry with the traceback) instead of a silent turn."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    def respond(self, tracker: Tracker) -> Reply:
        raise NotImplementedError

    def events(self) -> list[EventType]:
        return []

    def slot_events(self, reply: Reply) -> list[EventType]:
        """Slots to set after ``reply`` (the conversation's topic and aspect); none by default."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        try:
            reply = self.respond(tracker)
        except Exception:  # noqa: BLE001 - the citizen gets an apology, operators get the traceback
            logger.exception("bot.action.failed action=%s", self.action_name)
            reply = error_reply()
        _send(dispatcher, reply)
        return self.events() + self.slot_events(reply)


class ActionSessionStart(CitizenAction):
    """Starts every conversation with the AI disclosure."""

    action_name = "action_session_start"

    def respond(self, tracker: Tracker) -> Reply:
        return disclosure_reply(content_index(tracker))

    def events(self) -> list[EventType]:
        return [SessionStarted(), ActionExecuted("action_listen")]


def _detected_aspect(message: dict[str, Any]) -> tuple[str, float]:
    """The aspect detector's label and confidence (``no_aspect`` for a model without the detector)."""
    block = message.get("aspect")
    if not isinstance(block, dict):
        return "no_aspect", 0.0
    try:
        return str(block.get("name") or "no_aspect"), float(block.get("confidence") or 0.0)
    except (TypeError, ValueError):
        return "no_aspect", 0.0


class ActionAnswerFaq(CitizenAction):
    """Answers a FAQ topic (whole, or the one aspect asked for), asks "Meinten Sie ...?", or declines
    (decide.py); follow-ups refer to the conversation's topic (dialogue.py)."""

    action_name = "action_answer_faq"

    def slot_events(self, reply: Reply) -> list[EventType]:
        if reply.custom.get("type") != "faq_answer":
            return []  # clarify, decline, apology: the conversation keeps its topic
        return [SlotSet("topic", reply.custom.get("topic")), SlotSet("aspect", reply.custom.get("aspect"))]

    def respond(self, tracker: Tracker) -> Reply:
        index = content_index(tracker)
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = str(message.get("text") or "")
        known = frozenset(index.topics)

        if intent == "choose_topic":
            chosen = _topic_entity(tracker)
            if chosen in known:
                return self._answer(index, chosen, 1.0, text)
            logger.info("bot.choose_topic.unknown topic=%r", chosen)
            return out_of_scope_reply(index, 0.0)

        verdict = read_verdict(message)
        if verdict.quality != "ok":
            return not_understood_reply(index)
        # A follow-up's intent comes from the aspect detector; the decision uses the retrieval's own.
        retrieval_intent = str((message.get("retrieval") or {}).get("intent") or intent)
        decision = decide(
            intent=retrieval_intent,
            in_scope=verdict.in_scope,
            ranking=verdict.ranking,
            known_topics=known,
            thresholds=thresholds(),
            language=verdict.language,
            fact_topics=fact_topics(index),
        )
        detected, detected_confidence = _detected_aspect(message)
        options = dialogue_options()
        events = tracker.events or []
        context = current_topic(events, datetime.now().timestamp(), options)
        hours = index.opening_hours
        if hours is not None and context.topic == hours.topic and context.aspect is None:
            # the opening-hours answer is the hours: "Und der Wertstoffhof?" asks for its hours
            context = Context(context.topic, "hours")
        plan = resolve(decision=decision, detected=detected, context=context,
                       general_hours=self._general_hours(index, decision.topic, text, context.topic),
                       ranking=verdict.ranking, options=options, text=text, words=topic_words(index),
                       general_topics=index.general_topics,
                       unanswered=unanswered_rankings(events, options) if context.topic is None else ())
        logger.info("bot.decision kind=%s topic=%s aspect=%s carried=%s confidence=%.3f intent=%s in_scope=%.3f "
                    "language=%s", decision.kind, plan.topic, plan.aspect, plan.carried, decision.confidence,
                    intent, verdict.in_scope, verdict.language)
        place = other_place(text, place_words(index)) if plan.topic in fact_topics(index) else None
        if place is not None:
            # "Wer ist Bürgermeister von Köln?": our facts are true of our city only
            logger.info("bot.fact_elsewhere topic=%s", plan.topic)
            reply = out_of_scope_reply(index, decision.confidence)
        elif (plan.topic or decision.kind == "clarify") and (
                elsewhere := city_elsewhere(text, [index.city], place_words(index))) is not None:
            # "Wann wird in München der Sperrmüll abgeholt?": our answers hold for our city only
            logger.info("bot.city_elsewhere topic=%s", plan.topic)
            offered = plan.topic or (decision.options[0].topic if decision.options else None)
            reply = elsewhere_reply(index, elsewhere, offered if offered in known else None, decision.confidence)
        elif plan.topic and plan.topic in known:
            # A topic taken from the conversation: as sure as the detector is of the follow-up.
            confidence = decision.confidence if decision.topic == plan.topic else detected_confidence
            reply = self._answer(index, plan.topic, confidence, text, plan.aspect)
        elif decision.kind == "clarify":
            reply = clarify_reply(index, decision.options, decision.confidence)
        else:
            reply = out_of_scope_reply(index, decision.confidence)
        reply = with_candidates(reply, [c.topic for c in verdict.ranking if c.topic in known])
        return with_language_note(reply, verdict.language)

    @staticmethod
    def _general_hours(index: ContentIndex, decided: str | None, text: str, current: str | None) -> bool:
        """The general opening-hours topic, asked without naming an office other than the current topic's."""
        hours = index.opening_hours
        if hours is None or decided != hours.topic or not current:
            return False
        named = named_office(text, index.offices)
        return named is None or named == (index.topic(current) or {}).get("office")

    @staticmethod
    def _answer(index: ContentIndex, topic: str, confidence: float, text: str, aspect: str | None = None) -> Reply:
        hours = index.opening_hours
        is_hours_topic = hours is not None and topic == hours.topic
        if aspect and not is_hours_topic and topic not in fact_topics(index):
            return aspect_reply(index, topic, aspect, confidence, _now(index))
        if hours is not None and is_hours_topic and index.offices:
            now = _now(index)
            office = find_office(text, index.offices, default=hours.default_office)
            return opening_hours_reply(index, office, now, requested_day(text, now), confidence)
        return answer_reply(index, topic, confidence)


class ActionOutOfScope(CitizenAction):
    action_name = "action_out_of_scope"

    def respond(self, tracker: Tracker) -> Reply:
        message = tracker.latest_message or {}
        verdict: Verdict = read_verdict(message)
        if verdict.quality != "ok":
            return not_understood_reply(content_index(tracker))
        confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
        index = content_index(tracker)
        reply = with_candidates(out_of_scope_reply(index, confidence),
                                [c.topic for c in verdict.ranking if c.topic in index.topics])
        return with_language_note(reply, verdict.language)


class ActionBotChallenge(CitizenAction):
    action_name = "action_bot_challenge"

    def respond(self, tracker: Tracker) -> Reply:
        return bot_challenge_reply(content_index(tracker))


class ActionHumanHandoff(CitizenAction):
    action_name = "action_human_handoff"

    def respond(self, tracker: Tracker) -> Reply:
        return handoff_reply(content_index(tracker))


class ActionSmalltalk(CitizenAction):
    action_name = "action_smalltalk"

    def respond(self, tracker: Tracker) -> Reply:
        return smalltalk_reply(str((tracker.latest_message.get("intent") or {}).get("name") or "greet"))
