"""Training-input hashing, the model cache key, and the stack's children with stand-in servers (no Rasa needed)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot import BotError
from bot.runner import (
    RasaStack,
    RestartBudget,
    StackOptions,
    _endpoints,
)
from bot.training import input_hash, model_path, train, training_inputs
from common.net import free_port
from common.redact import INSTALLED_MARKER


def _project(root: Path) -> Path:
    (root / "domain").mkdir(parents=True)
    (root / "data").mkdir(parents=True)
    (root / "generated" / "data").mkdir(parents=True)
    (root / "config.yml").write_text("language: de\n")
    (root / "domain" / "core.yml").write_text("version: '3.1'\n")
    (root / "generated" / "data" / "responses.yml").write_text("responses: {}\n")
    (root / "data" / "nlu.yml").write_text("nlu: []\n")
    (root / "generated" / "data" / "faq.yml").write_text("nlu: []\n")
    (root / "generated" / "content_index.json").write_text("{}\n")  # read at run time, not trained on
    (root / "data" / "notes.txt").write_text("not an input\n")
    (root / "endpoints.yml").write_text("not an input\n")
    return root


def test_inputs_are_config_domain_and_data(tmp_path: Path) -> None:
    project = _project(tmp_path)
    names = [p.relative_to(project).as_posix() for p in training_inputs(project)]
    assert names == ["config.yml", "domain/core.yml", "data/nlu.yml",
                     "generated/data/faq.yml", "generated/data/responses.yml"]


def test_hash_is_stable_and_depends_on_every_input(tmp_path: Path) -> None:
    project = _project(tmp_path)
    first = input_hash(project)
    assert first == input_hash(project)
    (project / "data" / "notes.txt").write_text("changed\n")
    (project / "endpoints.yml").write_text("changed\n")
    assert input_hash(project) == first
    (project / "generated" / "data" / "faq.yml").write_text("nlu: [x]\n")
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


# --- the stack's children: API token, log redaction, supervision (stand-in servers, real processes) ---

_STAND_IN_SERVER = '''
import argparse, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

role, args = sys.argv[1], sys.argv[2:]
# argparse, as `rasa run` parses its command line (a token starting with "-" must still arrive)
parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int)
parser.add_argument("-t", "--auth-token")
known, _ = parser.parse_known_args(args)
port, token = known.port, known.auth_token
if role == "actions" and "crash" in open("behaviour").read():
    sys.exit(7)

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        if role == "actions" and url.path == "/health":
            return self.answer(200, {"status": "ok"})
        if role == "rasa" and url.path == "/status":
            if parse_qs(url.query).get("token") != [token]:
                return self.answer(401, {"status": "failure"})
            return self.answer(200, {"model_file": "stand-in.tar.gz"})
        return self.answer(404, {})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", port), Handler).serve_forever()
'''


def _stand_in_stack(root: Path, *, behaviour: str = "serve", token: str | None = None) -> RasaStack:
    """A RasaStack whose `python -m rasa_sdk` and `rasa run` are small real HTTP servers (Python of this venv,
    so bot/pylib/sitecustomize.py is loaded exactly as in the Rasa environment)."""
    project = root / "project"
    project.mkdir()
    (project / "server.py").write_text(_STAND_IN_SERVER)
    (project / "behaviour").write_text(behaviour)
    bin_dir = root / "env" / "bin"
    bin_dir.mkdir(parents=True)
    for name, role in (("python", "actions"), ("rasa", "rasa")):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec {sys.executable} server.py {role} "$@"\n')
        script.chmod(0o755)
    model = root / "model.tar.gz"
    model.write_text("stand-in")
    options = StackOptions(rasa_port=free_port(), action_port=free_port(), log_dir=root / "logs",
                           startup_timeout_s=30, auth_token=token)
    return RasaStack(model, options=options, project=project, env=root / "env")


def test_rasa_api_needs_the_token_and_children_redact_their_logs(tmp_path: Path) -> None:
    with _stand_in_stack(tmp_path) as stack:
        assert len(stack.auth_token) >= 32  # generated for this run
        url = f"{stack.rasa_url}/status"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)  # noqa: S310 - loopback
        assert refused.value.code == 401
        with urllib.request.urlopen(f"{url}?token={stack.auth_token}", timeout=5) as response:  # noqa: S310
            assert response.status == 200
        logs = stack.logs()
        assert INSTALLED_MARKER in logs["rasa"] and INSTALLED_MARKER in logs["actions"]


def test_a_token_that_starts_with_a_dash_still_starts_rasa(tmp_path: Path) -> None:
    """token_urlsafe gives such a token one time in 64; as a separate argument `rasa run` refused it."""
    token = "-" + secrets.token_urlsafe(32)
    with _stand_in_stack(tmp_path, token=token) as stack:
        with urllib.request.urlopen(f"{stack.rasa_url}/status?token={token}", timeout=5) as response:  # noqa: S310
            assert response.status == 200


def test_configured_rasa_token_must_be_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_RASA_TOKEN", "short")
    with pytest.raises(ValueError, match="RATHAUS_RASA_TOKEN"):
        _stand_in_stack(tmp_path)
    monkeypatch.setenv("RATHAUS_RASA_TOKEN", "x" * 30)
    (tmp_path / "b").mkdir()
    assert _stand_in_stack(tmp_path / "b").auth_token == "x" * 30


def test_a_killed_action_server_is_restarted(tmp_path: Path) -> None:
    with _stand_in_stack(tmp_path) as stack:
        os.killpg(stack.pids["actions"], signal.SIGKILL)
        stop = threading.Event()
        watcher = threading.Thread(target=stack.supervise, args=(stop,),
                                   kwargs={"budget": RestartBudget(first_delay_s=0.1), "interval_s": 0.1})
        watcher.start()
        try:
            deadline = time.monotonic() + 20
            while stack.restarts == 0 or stack.exited():
                assert time.monotonic() < deadline, "the action server was not restarted"
                time.sleep(0.1)
            with urllib.request.urlopen(f"{stack.action_url}/health", timeout=5) as response:  # noqa: S310
                assert json.load(response) == {"status": "ok"}
        finally:
            stop.set()
            watcher.join(10)


def test_an_action_server_that_keeps_crashing_ends_the_stack_with_an_error(tmp_path: Path) -> None:
    with _stand_in_stack(tmp_path) as stack:
        (stack.project / "behaviour").write_text("crash")
        os.killpg(stack.pids["actions"], signal.SIGKILL)
        budget = RestartBudget(limit=2, first_delay_s=0.05)
        with pytest.raises(BotError, match=r"(?s)actions server exited with code \d+ 3 times"):
            stack.supervise(threading.Event(), budget=budget, interval_s=0.05)


def test_restart_budget_backs_off_then_gives_up() -> None:
    budget = RestartBudget(limit=3, window_s=60, first_delay_s=1, max_delay_s=3)
    assert [budget.next_delay(t) for t in (0, 1, 2)] == [1, 2, 3]
    assert budget.next_delay(3) is None
    assert budget.next_delay(100) == 1  # the window has passed
