"""The conversation's topic across turns (bot/actions/dialogue.py): expiry and what a follow-up means."""

from __future__ import annotations

from typing import Any

from bot.actions.decide import Candidate, Decision
from bot.actions.dialogue import (
    Context,
    DialogueOptions,
    current_topic,
    dialogue_options,
    resolve,
    unanswered_rankings,
)
from bot.actions.topic_words import TopicWords

NOW = 1_800_000_000.0
OPTIONS = DialogueOptions(max_turns=3, max_minutes=10)


def _user(ts: float = NOW) -> dict[str, Any]:
    return {"event": "user", "text": "...", "timestamp": ts}


def _slots(topic: str | None, aspect: str | None = None, ts: float = NOW) -> list[dict[str, Any]]:
    return [{"event": "slot", "name": "topic", "value": topic, "timestamp": ts},
            {"event": "slot", "name": "aspect", "value": aspect, "timestamp": ts}]


def test_the_topic_of_the_last_answer_is_current() -> None:
    events = [_user(), *_slots("personalausweis"), _user()]
    assert current_topic(events, NOW, OPTIONS) == Context("personalausweis", None)
    events = [_user(), *_slots("personalausweis", "fees"), _user()]
    assert current_topic(events, NOW, OPTIONS) == Context("personalausweis", "fees")


def test_turns_in_between_count_but_do_not_erase_the_topic() -> None:
    events = [_user(), *_slots("reisepass"), _user(), _user(), _user()]  # e.g. out of scope, hand-off, now
    assert current_topic(events, NOW, OPTIONS).topic == "reisepass"
    assert current_topic([*events, _user()], NOW, OPTIONS) == Context()  # one more: expired


def test_the_topic_expires_after_the_minutes() -> None:
    events = [_user(NOW - 700), *_slots("reisepass", ts=NOW - 700), _user()]
    assert current_topic(events, NOW, OPTIONS) == Context()
    assert current_topic(events, NOW, DialogueOptions(max_turns=3, max_minutes=12)).topic == "reisepass"


def test_a_new_session_forgets_the_topic() -> None:
    events = [_user(), *_slots("reisepass"), {"event": "session_started"}, _user()]
    assert current_topic(events, NOW, OPTIONS) == Context()


def test_options_from_the_environment() -> None:
    environ = {"RATHAUS_BOT_TOPIC_TURNS": "2", "RATHAUS_BOT_TOPIC_MINUTES": "5"}
    assert dialogue_options(environ) == DialogueOptions(2, 5.0)
    assert dialogue_options({"RATHAUS_BOT_TOPIC_TURNS": "many"}) == DialogueOptions()


ANSWER = Decision(kind="answer", confidence=0.9, topic="reisepass")
DECLINE = Decision(kind="out_of_scope", confidence=0.1)


def test_a_named_topic_with_an_aspect() -> None:
    plan = resolve(decision=ANSWER, detected="fees", context=Context())
    assert (plan.topic, plan.aspect, plan.carried) == ("reisepass", "fees", False)


def test_a_topic_switch_without_aspect_carries_the_aspect_over() -> None:
    plan = resolve(decision=ANSWER, detected="follow_up", context=Context("personalausweis", "fees"))
    assert (plan.topic, plan.aspect, plan.carried) == ("reisepass", "fees", True)


def test_a_whole_new_request_gets_the_whole_answer() -> None:
    plan = resolve(decision=ANSWER, detected="no_aspect", context=Context("personalausweis", "fees"))
    assert (plan.topic, plan.aspect) == ("reisepass", None)


def test_an_elliptical_follow_up_refers_to_the_current_topic() -> None:
    plan = resolve(decision=DECLINE, detected="duration", context=Context("personalausweis", "fees"))
    assert (plan.topic, plan.aspect, plan.carried) == ("personalausweis", "duration", True)


def test_without_a_topic_a_follow_up_keeps_the_decision() -> None:
    plan = resolve(decision=DECLINE, detected="fees", context=Context())
    assert plan.topic is None and plan.decision == DECLINE


def test_unsure_between_topics_an_aspect_refers_to_the_current_topic() -> None:
    clarify = Decision(kind="clarify", confidence=0.37,
                       options=(Candidate("reisepass", 0.37), Candidate("personalausweis", 0.36)))
    assert resolve(decision=clarify, detected="fees", context=Context("hundesteuer")).topic == "hundesteuer"
    assert resolve(decision=clarify, detected="no_aspect", context=Context("hundesteuer")).topic is None
    assert resolve(decision=clarify, detected="fees", context=Context()).decision == clarify


def test_general_opening_hours_without_another_office_are_the_current_topics() -> None:
    hours = Decision(kind="answer", confidence=0.8, topic="oeffnungszeiten")
    plan = resolve(decision=hours, detected="hours", context=Context("gewerbe_abmelden"), general_hours=True)
    assert (plan.topic, plan.aspect) == ("gewerbe_abmelden", "hours")
    plan = resolve(decision=hours, detected="hours", context=Context("gewerbe_abmelden"), general_hours=False)
    assert (plan.topic, plan.aspect) == ("oeffnungszeiten", "hours")
    # "Und wann ist das Büro offen?" sounds like a switch to the opening-hours topic: the current topic's hours
    plan = resolve(decision=hours, detected="follow_up", context=Context("beglaubigung", "documents"),
                   general_hours=True)
    assert (plan.topic, plan.aspect, plan.carried) == ("beglaubigung", "hours", True)


def test_an_aspect_of_a_general_topic_is_the_current_topics() -> None:
    termin = Decision(kind="answer", confidence=0.95, topic="termin")
    general = frozenset({"termin"})
    plan = resolve(decision=termin, detected="online", context=Context("eheschliessung", "fees"),
                   general_topics=general)
    assert (plan.topic, plan.aspect, plan.carried) == ("eheschliessung", "online", True)
    # no aspect, or no conversation: the general topic itself
    assert resolve(decision=termin, detected="no_aspect", context=Context("eheschliessung"),
                   general_topics=general).topic == "termin"
    assert resolve(decision=termin, detected="online", context=Context(), general_topics=general).topic == "termin"
    # the topic is not declared general: the retrieval's topic
    assert resolve(decision=termin, detected="online", context=Context("eheschliessung")).topic == "termin"


def test_an_aspect_stays_with_the_current_topic_when_the_retrieval_scores_it_close() -> None:
    other = Decision(kind="answer", confidence=0.62, topic="wohnsitz_abmelden")
    close = (Candidate("wohnsitz_abmelden", 0.62), Candidate("gewerbe_abmelden", 0.55))
    context = Context("gewerbe_abmelden", None)
    plan = resolve(decision=other, detected="fees", context=context, ranking=close)
    assert (plan.topic, plan.aspect, plan.carried) == ("gewerbe_abmelden", "fees", True)
    far = (Candidate("wohnsitz_abmelden", 0.62), Candidate("gewerbe_abmelden", 0.4))
    assert resolve(decision=other, detected="fees", context=context, ranking=far).topic == "wohnsitz_abmelden"
    # naming another topic without an aspect is a switch, however close
    assert resolve(decision=other, detected="follow_up", context=context, ranking=close).topic == "wohnsitz_abmelden"


WORDS = TopicWords(
    names={"hundesteuer": frozenset({"hundes", "hund", "anmeld"}), "wohnsitz_anmelden": frozenset({"wohnsi", "anmeld"}),
           "wohnsitz_abmelden": frozenset({"wohnsi", "abmeld"}), "gewerbe_abmelden": frozenset({"gewerb", "abmeld"})},
    office_names={}, offices={"hundesteuer": "steueramt", "wohnsitz_anmelden": "buergerbuero",
                              "wohnsitz_abmelden": "buergerbuero", "gewerbe_abmelden": "gewerbeamt"})


def test_an_aspect_stays_with_the_current_topic_that_the_message_names_by_its_words() -> None:
    other = Decision(kind="answer", confidence=0.76, topic="wohnsitz_anmelden")
    context = Context("hundesteuer")
    plan = resolve(decision=other, detected="deadline", context=context, text="Frist der Anmeldung?", words=WORDS)
    assert (plan.topic, plan.aspect, plan.carried) == ("hundesteuer", "deadline", True)
    # without the content's words, or naming a word only the other topic has: the retrieval's topic
    assert resolve(decision=other, detected="deadline", context=context, text="Frist der Anmeldung?").topic \
        == "wohnsitz_anmelden"
    plan = resolve(decision=other, detected="deadline", context=context, text="Frist der Anmeldung im Wohnsitz?",
                   words=WORDS)
    assert plan.topic == "wohnsitz_anmelden"
    # a whole new request is not an aspect question: the named topic
    assert resolve(decision=other, detected="no_aspect", context=context, text="Anmeldung", words=WORDS).topic \
        == "wohnsitz_anmelden"


def test_an_unsure_topic_switch_also_looks_at_close_topics_not_offered() -> None:
    # "Und die Abmeldung?" after the business registration: the business deregistration ranks third
    clarify = Decision(kind="clarify", confidence=0.36,
                       options=(Candidate("kfz_abmeldung", 0.65), Candidate("wohnsitz_abmelden", 0.61)))
    ranking = (Candidate("kfz_abmeldung", 0.65), Candidate("wohnsitz_abmelden", 0.61),
               Candidate("gewerbe_abmelden", 0.56), Candidate("termin", 0.40))
    words = TopicWords(names={**WORDS.names, "gewerbe_anmelden": frozenset({"gewerb", "anmeld"}),
                              "kfz_abmeldung": frozenset({"fahrze", "abmeld"})},
                       office_names={}, offices={**WORDS.offices, "gewerbe_anmelden": "gewerbeamt"})
    plan = resolve(decision=clarify, detected="follow_up", context=Context("gewerbe_anmelden", "fees"),
                   ranking=ranking, words=words)
    assert (plan.topic, plan.aspect, plan.carried) == ("gewerbe_abmelden", "fees", True)
    # too far below the best: not a candidate, the citizen is asked
    far = (*ranking[:2], Candidate("gewerbe_abmelden", 0.50))
    assert resolve(decision=clarify, detected="follow_up", context=Context("gewerbe_anmelden", "fees"),
                   ranking=far, words=words).decision == clarify


def test_an_unsure_topic_switch_takes_the_option_that_belongs_with_the_current_topic() -> None:
    clarify = Decision(kind="clarify", confidence=0.36,
                       options=(Candidate("gewerbe_abmelden", 0.5), Candidate("wohnsitz_abmelden", 0.49)))
    plan = resolve(decision=clarify, detected="follow_up", context=Context("wohnsitz_anmelden", "documents"),
                   words=WORDS)
    assert (plan.topic, plan.aspect, plan.carried) == ("wohnsitz_abmelden", "documents", True)
    # nothing belongs with the current topic, or no current topic: the citizen is asked
    assert resolve(decision=clarify, detected="follow_up", context=Context("hundesteuer", "fees"),
                   words=WORDS).decision == clarify
    assert resolve(decision=clarify, detected="follow_up", context=Context("hundesteuer", "fees"),
                   words=WORDS).topic is None
    assert resolve(decision=clarify, detected="follow_up", context=Context(), words=WORDS).topic is None


SHARED = TopicWords(
    names={"kita_platz": frozenset({"kitapl", "kinder"}), "wohnsitz_anmelden": frozenset({"wohnsi", "anmeld"}),
           "gewerbe_anmelden": frozenset({"gewerb", "anmeld"}), "hundesteuer": frozenset({"hundes", "anmeld"}),
           "kfz_zulassung": frozenset({"fahrze", "zulass"}), "kfz_abmeldung": frozenset({"fahrze", "abmeld"}),
           "wohnsitz_abmelden": frozenset({"wohnsi", "abmeld"}), "gewerbe_abmelden": frozenset({"gewerb", "abmeld"})},
    office_names={}, offices={"kita_platz": "jugendamt", "kfz_zulassung": "kfz", "kfz_abmeldung": "kfz"})


def test_an_aspect_named_by_a_word_many_topics_share_stays_with_the_current_topic() -> None:
    other = Decision(kind="answer", confidence=0.9, topic="wohnsitz_anmelden")
    context = Context("kita_platz")
    plan = resolve(decision=other, detected="deadline", context=context, text="Ab wann muss ich ihn anmelden?",
                   words=SHARED)
    assert (plan.topic, plan.aspect, plan.carried) == ("kita_platz", "deadline", True)
    # a message that names no word of the retrieval's topic: the conversation's topic
    plan = resolve(decision=other, detected="documents", context=context, text="Welche Unterlagen?", words=SHARED)
    assert (plan.topic, plan.aspect) == ("kita_platz", "documents")
    # a word only the retrieval's topic has: a switch
    plan = resolve(decision=other, detected="documents", context=context, text="Unterlagen für den Wohnsitz?",
                   words=SHARED)
    assert plan.topic == "wohnsitz_anmelden"
    # no conversation: the retrieval's topic
    assert resolve(decision=other, detected="deadline", context=Context(), text="Ab wann anmelden?",
                   words=SHARED).topic == "wohnsitz_anmelden"


def test_a_topic_switch_by_a_shared_word_takes_the_topic_that_belongs_with_the_current_one() -> None:
    other = Decision(kind="answer", confidence=0.8, topic="wohnsitz_abmelden")
    plan = resolve(decision=other, detected="follow_up", context=Context("kfz_zulassung", "documents"),
                   text="Und beim Abmelden?", words=SHARED)
    assert (plan.topic, plan.aspect, plan.carried) == ("kfz_abmeldung", "documents", True)
    # nothing belongs with the current topic: the retrieval's topic, with the aspect carried over
    plan = resolve(decision=other, detected="follow_up", context=Context("kita_platz", "fees"),
                   text="Und beim Abmelden?", words=SHARED)
    assert (plan.topic, plan.aspect) == ("wohnsitz_abmelden", "fees")


def _asked(ranking: dict[str, float], intent: str = "nlu_fallback") -> dict[str, Any]:
    topics = [{"topic": t, "score": v} for t, v in ranking.items()]
    return {"event": "user", "text": "...", "timestamp": NOW,
            "parse_data": {"intent": {"name": intent}, "retrieval": {"intent": intent, "topics": topics}}}


def test_the_rankings_of_unplaced_messages_since_the_last_topic() -> None:
    first = _asked({"briefwahl": 0.59, "reisepass": 0.39})
    events = [first, _asked({"aufenthaltstitel": 0.5, "briefwahl": 0.49})]  # the last one is the current message
    assert unanswered_rankings(events, OPTIONS) == ((Candidate("briefwahl", 0.59), Candidate("reisepass", 0.39)),)
    # an answered topic ends them; out-of-scope questions name no topic; only the last pool_turns count
    assert unanswered_rankings([first, *_slots("reisepass"), _user()], OPTIONS) == ()
    assert unanswered_rankings([_asked({"laerm": 0.3}, intent="out_of_scope"), _user()], OPTIONS) == ()
    older = _asked({"hundesteuer": 0.6})
    assert len(unanswered_rankings([older, first, first, _user()], OPTIONS)) == 2
    assert unanswered_rankings([{"event": "session_started"}, _user()], OPTIONS) == ()


def test_a_follow_up_to_an_unplaced_message_takes_the_topic_both_point_to() -> None:
    before = ((Candidate("briefwahl", 0.59), Candidate("reisepass", 0.39), Candidate("winterdienst", 0.35)),)
    now = (Candidate("aufenthaltstitel", 0.50), Candidate("meldebescheinigung", 0.49), Candidate("briefwahl", 0.49))
    plan = resolve(decision=DECLINE, detected="deadline", context=Context(), ranking=now, unanswered=before)
    assert (plan.topic, plan.aspect, plan.carried) == ("briefwahl", "deadline", True)
    # no aspect asked, or a near tie: the decision stands
    assert resolve(decision=DECLINE, detected="no_aspect", context=Context(), ranking=now,
                   unanswered=before).decision == DECLINE
    tie = ((Candidate("wohnsitz_abmelden", 0.493), Candidate("wohnsitz_anmelden", 0.492)),)
    later = (Candidate("termin", 0.40), Candidate("wohnsitz_anmelden", 0.398), Candidate("wohnsitz_abmelden", 0.396))
    assert resolve(decision=DECLINE, detected="deadline", context=Context(), ranking=later,
                   unanswered=tie).topic is None
    # only topics the earlier messages ranked: the follow-up's own best topic is no continuation
    own = (Candidate("geburtsurkunde", 0.9), Candidate("briefwahl", 0.3))
    assert resolve(decision=DECLINE, detected="documents", context=Context(), ranking=own,
                   unanswered=before).topic == "briefwahl"
    # a current topic wins over the pool
    assert resolve(decision=DECLINE, detected="deadline", context=Context("hundesteuer"), ranking=now,
                   unanswered=before).topic == "hundesteuer"
