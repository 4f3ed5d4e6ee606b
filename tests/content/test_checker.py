"""One failing fixture per checker rule, built from the valid tree in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from content.checker import CheckOptions, analyse, check_content, load_content
from content.errors import ContentError, Problem
from content.schema import Topic
from tests.content.conftest import TODAY, Edit, line_of


def _check(root: Path) -> list[Problem]:
    return check_content(root, today=TODAY)


def _only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, f"expected one {code!r} problem, got {problems}"
    return found[0]


def _topic(root: Path, name: str = "personalausweis") -> Path:
    return root / "topics" / f"{name}.yml"


def test_valid_tree_has_no_problems(tree: Path) -> None:
    assert _check(tree) == []
    content = load_content(tree, today=TODAY)
    assert content.topic_ids == ("abfallkalender", "personalausweis", "reisepass")
    assert content.office("buergerbuero").name == "Bürgerbüro"


def test_yaml_syntax_error_has_file_and_line(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "  - perso abgelaufen\n", "  - perso abgelaufen\n   kaputt: [\n")
    problem = _only(_check(tree), "yaml")
    assert problem.path.endswith("topics/personalausweis.yml")
    assert problem.line in {line_of(path, "kaputt"), line_of(path, "kaputt") + 1}
    assert problem.severity == "error" and problem.hint


def test_missing_field_points_at_the_file(tree: Path, edit: Edit) -> None:
    edit(_topic(tree), "owner: Redaktion Bürgerbüro\n", "")
    problem = _only(_check(tree), "schema")
    assert (problem.field, problem.line) == ("owner", 1)
    assert "missing" in problem.message and "owner:" in problem.hint


def test_empty_field_has_its_line(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "title: Personalausweis beantragen", "title:")
    problem = _only(_check(tree), "schema")
    assert (problem.field, problem.line) == ("title", line_of(path, "title:"))
    assert problem.message == "is empty"


def test_empty_question_item_has_its_line(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "  - perso abgelaufen", '  - "  "')
    problem = _only(_check(tree), "schema")
    assert (problem.field, problem.line) == ("questions[2]", line_of(path, '"  "'))


def test_unknown_field(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "office: buergerbuero\n", "office: buergerbuero\ntags: [a]\n")
    problem = _only(_check(tree), "schema")
    assert (problem.field, problem.line) == ("tags", line_of(path, "tags:"))
    assert "unknown field" in problem.message and "answer_easy" in problem.hint


def test_unknown_office(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "office: buergerbuero", "office: buergeramt")
    problem = _only(_check(tree), "unknown-office")
    assert (problem.field, problem.line) == ("office", line_of(path, "office:"))
    assert "abfallwirtschaft, buergerbuero" in problem.hint


def test_id_must_match_file_name(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "id: personalausweis", "id: perso")
    problem = _only(_check(tree), "id-mismatch")
    assert problem.line == 1 and "perso.yml" in problem.hint


def test_duplicate_topic_id(tree: Path) -> None:
    (tree / "topics" / "zweitausweis.yml").write_text(
        _topic(tree).read_text(encoding="utf-8"), encoding="utf-8"
    )
    problems = _check(tree)
    dup = _only(problems, "duplicate-id")
    assert dup.path.endswith("zweitausweis.yml") and "personalausweis.yml" in dup.message
    assert any(p.code == "id-mismatch" for p in problems)


def test_duplicate_office_id(tree: Path, edit: Edit) -> None:
    path = tree / "offices.yml"
    edit(path, "  - id: abfallwirtschaft", "  - id: buergerbuero")
    problem = _only(_check(tree), "duplicate-id")
    assert problem.field == "offices[1].id"
    lines = [
        n
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "- id: buergerbuero" in text
    ]
    assert problem.line == lines[1] and f"line {lines[0]}" in problem.message


def test_phrasing_used_in_two_topics(tree: Path, edit: Edit) -> None:
    path = _topic(tree, "reisepass")
    edit(path, "  - pass abgelaufen", "  - PERSO abgelaufen!")
    problem = _only(_check(tree), "duplicate-phrasing")
    # Reported at the later file, naming the other location.
    assert problem.path.endswith("reisepass.yml") and problem.line == line_of(path, "PERSO abgelaufen")
    other = line_of(_topic(tree), "perso abgelaufen")
    assert f"personalausweis.yml:{other}" in problem.message and problem.severity == "error"


def test_confusable_phrasings_of_two_topics(tree: Path, edit: Edit) -> None:
    path = _topic(tree, "reisepass")
    edit(path, "  - Express-Reisepass", "  - Wo bekomme ich denn den vorläufigen Personalausweis")
    problem = _only(_check(tree), "similar-phrasing")
    assert problem.severity == "error" and problem.line == line_of(path, "denn den vorläufigen")
    assert "personalausweis.yml:" in problem.message and "reword" in problem.hint


def test_repeated_question_within_topic(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "  - perso abgelaufen", "  - Personalausweis beantragen!")
    problem = _only(_check(tree), "duplicate-question")
    assert problem.line == line_of(path, "Personalausweis beantragen!")
    assert f"line {line_of(path, '- Personalausweis beantragen')}" in problem.message


def test_malformed_url(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(
        path,
        "url: https://www.teststadt.example/buergerbuero/personalausweis",
        "url: www.teststadt.example/ausweis",
    )
    problem = _only(_check(tree), "schema")
    assert (problem.field, problem.line) == ("sources[0].url", line_of(path, "url:"))
    assert "https://" in problem.message


def test_plain_http_url_is_a_warning(tree: Path, edit: Edit) -> None:
    edit(
        _topic(tree),
        "url: https://www.teststadt.example/buergerbuero/personalausweis",
        "url: http://www.teststadt.example/a",
    )
    assert _only(_check(tree), "insecure-url").severity == "warning"


def test_review_older_than_a_year_is_a_warning(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "last_reviewed: 2026-06-01", "last_reviewed: 2025-11-22")
    problem = _only(_check(tree), "stale")
    assert problem.severity == "warning" and problem.line == line_of(path, "last_reviewed")
    assert load_content(tree, today=TODAY).topic("personalausweis")  # warnings do not block


def test_review_exactly_a_year_ago_is_fine(tree: Path, edit: Edit) -> None:
    edit(_topic(tree), "last_reviewed: 2026-06-01", "last_reviewed: 2025-11-23")
    assert _check(tree) == []


def test_review_date_in_the_future_is_an_error(tree: Path, edit: Edit) -> None:
    edit(_topic(tree), "last_reviewed: 2026-06-01", "last_reviewed: 2027-01-01")
    assert _only(_check(tree), "future-date").severity == "error"


def test_markdown_in_answer_is_a_warning(tree: Path, edit: Edit) -> None:
    edit(_topic(tree), "Bringen Sie ein biometrisches", "Bringen Sie **unbedingt** ein biometrisches")
    assert _only(_check(tree), "markdown").severity == "warning"


def test_duplicate_yaml_key(tree: Path, edit: Edit) -> None:
    path = _topic(tree)
    edit(path, "owner: Redaktion Bürgerbüro\n", "owner: Redaktion Bürgerbüro\ntitle: Noch ein Titel\n")
    problem = _only(_check(tree), "duplicate-key")
    assert problem.line == line_of(path, "Noch ein Titel")


def test_missing_files_and_topics(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    codes = sorted(p.code for p in _check(tmp_path / "c"))
    assert codes == ["missing-file", "missing-file", "no-topics"]
    assert [p.code for p in _check(tmp_path / "nowhere")] == ["missing-file"]


def test_broken_offices_file_does_not_flood_topics_with_unknown_office(tree: Path, edit: Edit) -> None:
    edit(tree / "offices.yml", "offices:", "offices: [")
    problems = _check(tree)
    assert [p.code for p in problems] == ["yaml"]


def test_load_content_raises_with_every_problem(tree: Path, edit: Edit) -> None:
    edit(_topic(tree), "office: buergerbuero", "office: buergeramt")
    edit(_topic(tree, "reisepass"), "owner: Redaktion Bürgerbüro\n", "")
    with pytest.raises(ContentError) as info:
        load_content(tree, today=TODAY)
    assert {p.code for p in info.value.problems} == {"unknown-office", "schema"}
    assert "personalausweis.yml" in str(info.value) and "reisepass.yml" in str(info.value)


def test_problems_are_sorted_and_formatted(tree: Path, edit: Edit) -> None:
    edit(_topic(tree), "office: buergerbuero", "office: buergeramt")
    edit(_topic(tree), "title: Personalausweis beantragen", "title: ''")
    problems = _check(tree)
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    text = problems[0].format()
    assert text.startswith(f"{problems[0].path}:{problems[0].line}: title: ") and "(hint: " in text


@pytest.mark.parametrize("days", [0, 30])
def test_stale_threshold_is_an_option(tree: Path, days: int) -> None:
    _, problems = analyse(tree, options=CheckOptions(today=TODAY, stale_after_days=days))
    assert [p.code for p in problems] == ["stale"] * 3


def test_invalid_but_parsable_offices_still_check_topic_offices(tree: Path, edit: Edit) -> None:
    edit(tree / "offices.yml", 'postal_code: "54322"', "postal_code: 54322")
    edit(_topic(tree), "office: buergerbuero", "office: buergeramt")
    assert sorted(p.code for p in _check(tree)) == ["schema", "unknown-office"]


@pytest.mark.parametrize(("text", "message"), [("", "file is empty"), ("- a\n- b\n", "must be a mapping")])
def test_empty_or_non_mapping_topic_file(tree: Path, text: str, message: str) -> None:
    _topic(tree, "reisepass").write_text(text, encoding="utf-8")
    problem = _only(_check(tree), "schema")
    assert problem.line == 1 and message in problem.message and problem.path.endswith("reisepass.yml")


def test_phrasing_nearer_another_topic_in_meaning_is_warned(tree: Path, edit: Edit) -> None:
    from content.embeddings import default_embedder

    path = _topic(tree, "reisepass")
    edit(path, "  - Express-Reisepass", "  - Wann wird bei mir die gelbe Tonne geleert?")
    problems = analyse(tree, options=CheckOptions(today=TODAY), embed=default_embedder())[1]
    problem = _only(problems, "closer-to-other-topic")
    assert problem.severity == "warning" and problem.line == line_of(path, "gelbe Tonne")
    assert "'abfallkalender'" in problem.message and "keywords" in problem.hint
    # Without embeddings (`content check --no-semantic`) the check stays lexical.
    assert not [p for p in _check(tree) if p.code == "closer-to-other-topic"]


@pytest.mark.parametrize(("keywords", "message"), [
    ('["Perso", "perso"]', "listed twice"),
    ('["Wie beantrage ich einen neuen Personalausweis bitte"]', "is a sentence"),
    ('["x"]', "at least 2 characters"),
    ('[""]', "must not be empty"),
])
def test_keywords_are_validated(tree: Path, edit: Edit, keywords: str, message: str) -> None:
    path = _topic(tree)
    edit(path, "last_reviewed:", f"keywords: {keywords}\nlast_reviewed:")
    problems = [p for p in _check(tree) if p.severity == "error"]
    assert problems and problems[0].field.startswith("keywords"), problems
    assert message in problems[0].message


def test_assistant_opening_hours_must_name_a_topic_and_an_office(tree: Path, edit: Edit) -> None:
    path = tree / "municipality.yml"
    edit(path, "vocabulary:\n", "assistant:\n  opening_hours:\n    topic: zeiten\n    default_office: rathaus\n"
         "vocabulary:\n")
    problems = _check(tree)
    topic = _only(problems, "unknown-topic")
    assert (topic.field, topic.line) == ("assistant.opening_hours.topic", line_of(path, "topic: zeiten"))
    office = _only(problems, "unknown-office")
    assert office.field == "assistant.opening_hours.default_office" and "buergerbuero" in office.hint


def test_assistant_general_topics_must_name_topics(tree: Path, edit: Edit) -> None:
    path = tree / "municipality.yml"
    edit(path, "vocabulary:\n", "assistant:\n  general_topics: [termine]\nvocabulary:\n")
    topic = _only(_check(tree), "unknown-topic")
    assert (topic.field, topic.line) == ("assistant.general_topics[0]", line_of(path, "general_topics:"))


def test_office_aliases_are_keywords(tree: Path, edit: Edit) -> None:
    path = tree / "offices.yml"
    edit(path, "  - id: buergerbuero\n", "  - id: buergerbuero\n    aliases: [Einwohnermeldeamt, x]\n")
    problem = next(p for p in _check(tree) if p.field.startswith("offices[0].aliases"))
    assert problem.line == line_of(path, "aliases:")


SUMMARY_OK = "summary: Den Pass beantragen Sie im Bürgerbüro.\n"


@pytest.mark.parametrize(("block", "field", "message"), [
    ("summary: " + "Sehr lang. " * 30 + "\n", "summary", "at most 240"),
    ("summary: Erstens. Zweitens. Drittens.\n", "summary", "3 sentences"),
    ('actions:\n  - label: Termin\n    url: "http://www.musterstadt.example/termin"\n', "actions[0].url",
     "not encrypted"),
    ('actions:\n  - label: Termin\n    url: "javascript:alert(1)"\n', "actions[0].url", "must start with https://"),
    ('actions:\n  - label: Anrufen\n    url: "tel:bitte anrufen"\n', "actions[0].url", "not a phone number"),
    ('actions:\n  - label: Schreiben\n    url: "mailto:niemand"\n', "actions[0].url", "not an e-mail address"),
    ('actions:\n  - label: "' + "x" * 41 + '"\n    url: "https://www.musterstadt.example"\n', "actions[0].label",
     "at most 40"),
    ("actions:\n" + '  - label: Termin\n    url: "https://www.musterstadt.example/termin"\n' * 4, "actions",
     "at most 3"),
])
def test_summary_and_actions_are_validated(tree: Path, edit: Edit, block: str, field: str, message: str) -> None:
    edit(_topic(tree, "reisepass"), "sources:\n", block + "sources:\n")
    problems = [p for p in _check(tree) if p.severity == "error"]
    assert problems and problems[0].field == field, problems
    assert message in problems[0].message and problems[0].hint
    needle = {"summary": "summary:", "actions": "actions:", "actions[0].url": "    url:"}.get(field, "  - label:")
    assert problems[0].line == line_of(_topic(tree, "reisepass"), needle)  # the line of the field itself


def test_valid_summary_and_actions_pass_and_reach_the_index(tree: Path, edit: Edit) -> None:
    actions = (
        'actions:\n  - label: Termin buchen\n    url: "https://www.musterstadt.example/termin"\n'
        '  - label: Anrufen\n    url: "tel:0800 123 456 10"\n'
        '  - label: Schreiben\n    url: "mailto:buergerbuero@musterstadt.example"\n'
    )
    edit(_topic(tree, "reisepass"), "sources:\n", SUMMARY_OK + actions + "sources:\n")
    assert _check(tree) == []
    data = yaml.safe_load(_topic(tree, "reisepass").read_text(encoding="utf-8"))
    entry = Topic.model_validate(data).index_entry()
    assert entry["summary"] == "Den Pass beantragen Sie im Bürgerbüro."
    urls = [a["url"] for a in entry["actions"]]
    assert urls[1:] == ["tel:0800 123 456 10", "mailto:buergerbuero@musterstadt.example"]


def test_summary_with_a_fact_the_answer_does_not_state_fails(tree: Path, edit: Edit) -> None:
    edit(_topic(tree, "reisepass"), "sources:\n", "summary: Der Pass kostet 99 Euro.\nsources:\n")
    (problem,) = [p for p in _check(tree) if p.code == "summary-fact"]
    assert problem.severity == "error" and problem.field == "summary" and "99 Euro" in problem.message
