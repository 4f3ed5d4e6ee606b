"""bot/endpoints.redis.yml, as the Rasa engine reads it: trackers with retention and locks in a real Redis."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import redis

from bot.runner import StackOptions, _endpoints
from bot.training import bot_dir, rasa_env
from tests.fixtures.services import RedisServer

pytestmark = pytest.mark.slow

# Runs inside the Rasa environment (Python 3.10): load the endpoints file exactly as `rasa run` does,
# create the stores it configures and save one conversation.
SCRIPT = """
import asyncio, sys
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

endpoints = AvailableEndpoints.read_endpoints(sys.argv[1])
domain = Domain.load(sys.argv[2])
store = TrackerStore.create(endpoints.tracker_store, domain=domain)
lock_store = LockStore.create(endpoints.lock_store)
tracker = DialogueStateTracker("redis-check", domain.slots)
tracker.update(UserUttered("Hallo"))
asyncio.run(store.save(tracker))
print(type(store).__name__, type(lock_store).__name__, endpoints.action.url)
"""


def test_rasa_keeps_conversations_and_locks_in_redis(redis_server: RedisServer, tmp_path: Path) -> None:
    project = bot_dir()
    options = StackOptions(action_port=6123, redis_url=redis_server.url, chat_retention_s=120)
    endpoints, env = _endpoints(project, options, tmp_path)
    result = subprocess.run(
        [str(rasa_env() / "bin" / "python"), "-c", SCRIPT, str(endpoints), str(project / "domain")],
        capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin", **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RedisTrackerStore RedisLockStore http://127.0.0.1:6123/webhook" in result.stdout
    client = redis.Redis(port=redis_server.port)
    try:
        key = b"rathaus:tracker:redis-check"
        assert client.exists(key)
        assert 0 < client.ttl(key) <= 120  # record_exp: conversations expire (data minimisation)
    finally:
        client.close()
