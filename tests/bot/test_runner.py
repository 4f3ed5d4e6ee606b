"""Training-input hashing and the model cache key (no Rasa needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import BotError
from bot.runner import StackOptions, _endpoints, input_hash, model_path, train, training_inputs


def _project(root: Path) -> Path:
    (root / "domain" / "generated").mkdir(parents=True)
    (root / "data" / "generated").mkdir(parents=True)
    (root / "config.yml").write_text("language: de\n")
    (root / "domain" / "core.yml").write_text("version: '3.1'\n")
    (root / "domain" / "generated" / "faq.yml").write_text("responses: {}\n")
    (root / "data" / "nlu.yml").write_text("nlu: []\n")
    (root / "data" / "generated" / "faq.yml").write_text("nlu: []\n")
    (root / "data" / "notes.txt").write_text("not an input\n")
    (root / "endpoints.yml").write_text("not an input\n")
    return root


def test_inputs_are_config_domain_and_data(tmp_path: Path) -> None:
    project = _project(tmp_path)
    names = [p.relative_to(project).as_posix() for p in training_inputs(project)]
    assert names == ["config.yml", "domain/core.yml", "domain/generated/faq.yml",
                     "data/generated/faq.yml", "data/nlu.yml"]


def test_hash_is_stable_and_depends_on_every_input(tmp_path: Path) -> None:
    project = _project(tmp_path)
    first = input_hash(project)
    assert first == input_hash(project)
    (project / "data" / "notes.txt").write_text("changed\n")
    (project / "endpoints.yml").write_text("changed\n")
    assert input_hash(project) == first
    (project / "data" / "generated" / "faq.yml").write_text("nlu: [x]\n")
    second = input_hash(project)
    assert second != first
    assert input_hash(project, rasa_version="3.6.20") != second


def test_comments_and_formatting_do_not_retrain(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = input_hash(project)
    (project / "config.yml").write_text("# a comment\nlanguage:   de   # German\n")
    assert input_hash(project) == before
    (project / "config.yml").write_text("language: en\n")
    assert input_hash(project) != before


def test_unparsable_yaml_still_hashes_by_bytes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "data" / "nlu.yml").write_text("nlu: [\n")
    first = input_hash(project)
    (project / "data" / "nlu.yml").write_text("nlu: [[\n")
    assert input_hash(project) != first


def test_renaming_a_file_changes_the_hash(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = input_hash(project)
    (project / "data" / "nlu.yml").rename(project / "data" / "nlu2.yml")
    assert input_hash(project) != before


def test_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "config.yml").unlink()
    with pytest.raises(BotError, match="config.yml"):
        training_inputs(project)


def test_model_path_lives_in_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_CACHE", str(tmp_path / "cache"))
    assert model_path("abc") == tmp_path / "cache" / "rasa-models" / "abc.tar.gz"


def test_endpoints_without_redis_point_at_the_action_port(tmp_path: Path) -> None:
    path, env = _endpoints(tmp_path, StackOptions(action_port=6001), tmp_path)
    assert env == {}
    assert "http://127.0.0.1:6001/webhook" in path.read_text()


def test_endpoints_with_redis_use_the_versioned_template(tmp_path: Path) -> None:
    options = StackOptions(action_port=6001, redis_url="redis://:s3cret@redis.local:6380/2", chat_retention_s=60)
    path, env = _endpoints(Path("bot"), options, tmp_path)
    assert path == Path("bot") / "endpoints.redis.yml"
    assert env["RATHAUS_REDIS_HOST"] == "redis.local"
    assert env["RATHAUS_REDIS_PORT"] == "6380"
    assert env["RATHAUS_REDIS_DB"] == "2"
    assert env["RATHAUS_REDIS_PASSWORD"] == "s3cret"
    assert env["RATHAUS_CHAT_RETENTION_S"] == "60"
    assert env["RATHAUS_ACTION_URL"] == "http://127.0.0.1:6001/webhook"


def test_bad_redis_url_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(BotError, match="redis://"):
        _endpoints(tmp_path, StackOptions(redis_url="http://x"), tmp_path)


def test_redis_template_names_every_variable() -> None:
    text = (Path(__file__).resolve().parents[2] / "bot" / "endpoints.redis.yml").read_text()
    for name in ("RATHAUS_ACTION_URL", "RATHAUS_REDIS_HOST", "RATHAUS_REDIS_PORT", "RATHAUS_REDIS_DB",
                 "RATHAUS_REDIS_PASSWORD", "RATHAUS_CHAT_RETENTION_S"):
        assert "${" + name + "}" in text
    assert "type: redis" in text and "record_exp" in text and "lock_store" in text


def _fake_env(root: Path, *, exit_code: int = 0) -> Path:
    """A stand-in Rasa environment whose `rasa train` writes <out>/<fixed-model-name>.tar.gz."""
    script = root / "env" / "bin" / "rasa"
    script.parent.mkdir(parents=True)
    script.write_text(
        "#!/bin/sh\n"
        'while [ $# -gt 0 ]; do case "$1" in --out) out="$2"; shift;; --fixed-model-name) name="$2"; shift;; esac; '
        "shift; done\n"
        'echo "training $name" >> "$(dirname "$0")/calls"\n'
        f"[ {exit_code} -eq 0 ] || {{ echo boom; exit {exit_code}; }}\n"
        'echo model > "$out/$name.tar.gz"\n'
    )
    script.chmod(0o755)
    return root / "env"


def test_train_uses_the_cache_by_input_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_CACHE", str(tmp_path / "cache"))
    project = _project(tmp_path / "project")
    env = _fake_env(tmp_path)
    first = train(project=project, with_content=False, env=env, log=lambda _: None)
    assert not first.cached and first.model == model_path(input_hash(project))
    assert first.model.read_text() == "model\n"
    again = train(project=project, with_content=False, env=env, log=lambda _: None)
    assert again.cached and again.model == first.model
    (project / "data" / "nlu.yml").write_text("nlu: [changed]\n")
    changed = train(project=project, with_content=False, env=env, log=lambda _: None)
    assert not changed.cached and changed.key != first.key
    forced = train(project=project, with_content=False, env=env, force=True, log=lambda _: None)
    assert not forced.cached
    assert (env / "bin" / "calls").read_text().count("training") == 3


def test_failed_training_names_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_CACHE", str(tmp_path / "cache"))
    project = _project(tmp_path / "project")
    with pytest.raises(BotError, match=r"(?s)rasa train failed \(exit 3\).*boom"):
        train(project=project, with_content=False, env=_fake_env(tmp_path, exit_code=3), log=lambda _: None)
    assert not model_path(input_hash(project)).exists()
