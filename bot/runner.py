"""Run the Rasa server and the action server as subprocesses, supervised, with a trained model.

Training (cached by input hash) is :mod:`bot.training`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

from bot import BotError
from bot.settings import BotSettings
from bot.training import QUIET_ENV, bot_dir, rasa_env, tail_of
from common.auth import check_token_strength
from common.paths import repo_root
from common.redact import INSTALLED_MARKER

__all__ = ["ChildExit", "RasaStack", "RestartBudget", "StackOptions"]

logger = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class StackOptions:
    """How to run the Rasa server and the action server."""

    rasa_port: int = 5005
    action_port: int = 5055
    host: str = "127.0.0.1"
    redis_url: str | None = None
    chat_retention_s: int = 86400
    cors: tuple[str, ...] = ()
    startup_timeout_s: float = 300.0
    log_dir: Path | None = None
    extra_env: tuple[tuple[str, str], ...] = field(default=())
    # Token of Rasa's HTTP API (--auth-token); None: RATHAUS_RASA_TOKEN(_FILE), else a new random one per run.
    auth_token: str | None = None


@dataclass(frozen=True, slots=True)
class ChildExit:
    """A child process of the stack that has exited: which, its exit code and the end of its log."""

    name: str
    code: int
    log_tail: str


@dataclass(slots=True)
class RestartBudget:
    """When to restart a crashed child, sans-I/O: delays double from ``first_delay_s`` up to
    ``max_delay_s``; more than ``limit`` crashes within ``window_s`` means restarting does not help, and
    :meth:`next_delay` answers None (give up and exit non-zero, so the service manager notices)."""

    limit: int = 5
    window_s: float = 300.0
    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    crashes: list[float] = field(default_factory=list)

    def next_delay(self, now: float) -> float | None:
        self.crashes = [t for t in self.crashes if t > now - self.window_s]
        self.crashes.append(now)
        if len(self.crashes) > self.limit:
            return None
        return min(self.max_delay_s, self.first_delay_s * 2 ** (len(self.crashes) - 1))


def _auth_token(options: StackOptions) -> str:
    if options.auth_token is None:
        token = BotSettings.load().rasa_token  # RATHAUS_RASA_TOKEN or RATHAUS_RASA_TOKEN_FILE, checked
        return token.get_secret_value() if token else secrets.token_urlsafe(32)
    configured = options.auth_token
    if configured:
        return check_token_strength(configured, variable="RATHAUS_RASA_TOKEN")
    return secrets.token_urlsafe(32)


def _redaction_path(folder: Path) -> Path:
    """A folder for ``PYTHONPATH`` whose ``sitecustomize`` makes the Rasa processes redact every log record
    with the gateway's own ``common/redact.py`` (copied, so both always run the same code)."""
    target = folder / "pylib"
    target.mkdir(exist_ok=True)
    root = repo_root()
    shutil.copyfile(root / "bot" / "pylib" / "sitecustomize.py", target / "sitecustomize.py")
    shutil.copyfile(root / "common" / "redact.py", target / "rathaus_redact.py")
    return target


def _endpoints(project: Path, options: StackOptions, folder: Path) -> tuple[Path, dict[str, str]]:
    """An endpoints file for this run, and the environment variables it expands."""
    action_url = f"http://127.0.0.1:{options.action_port}/webhook"
    if options.redis_url:
        parsed = urlparse(options.redis_url)
        if parsed.scheme not in {"redis", "rediss"} or not parsed.hostname:
            raise BotError(f"redis url {options.redis_url!r} is not of the form redis://[:password@]host:port/db")
        db = (parsed.path or "/0").lstrip("/") or "0"
        env = {
            "RATHAUS_ACTION_URL": action_url,
            "RATHAUS_REDIS_HOST": parsed.hostname,
            "RATHAUS_REDIS_PORT": str(parsed.port or 6379),
            "RATHAUS_REDIS_DB": db,
            "RATHAUS_REDIS_PASSWORD": parsed.password or "",
            "RATHAUS_CHAT_RETENTION_S": str(options.chat_retention_s),
        }
        return project / "endpoints.redis.yml", env
    path = folder / "endpoints.yml"
    path.write_text(f"action_endpoint:\n  url: {json.dumps(action_url)}\n", encoding="utf-8")
    return path, {}


def _get_json(url: str, timeout: float = 2.0) -> object | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return json.loads(response.read().decode("utf-8") or "null")
    except (urllib.error.URLError, OSError, ValueError):
        return None


class RasaStack:
    """The Rasa server and the action server as child processes; a context manager.

    ``start()`` returns once both answer (``/health`` of the action server, ``/status`` of Rasa with a
    loaded model); ``stop()`` terminates both and waits for them.
    """

    def __init__(self, model: Path, *, options: StackOptions = StackOptions(), project: Path | None = None,
                 env: Path | None = None) -> None:
        self.model = model
        self.options = options
        self.project = project or bot_dir()
        self._env = env
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.log_dir: Path | None = None
        self.auth_token = _auth_token(options)
        self._commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.restarts = 0

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.options.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.options.action_port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def __enter__(self) -> RasaStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        assert self.log_dir is not None
        log_path = self.log_dir / f"{name}.log"
        handle = open(log_path, "wb")  # noqa: SIM115 - owned by the child process, closed with it
        try:
            process = subprocess.Popen(command, cwd=self.project, stdout=handle, stderr=subprocess.STDOUT,
                                       env=env, start_new_session=True)
        finally:
            handle.close()
        self._processes.append((name, process))
        self._commands[name] = (command, env)
        logger.info("bot.process.started name=%s pid=%d log=%s", name, process.pid, log_path)
        return process

    def start(self) -> None:
        if not self.model.exists():
            raise BotError(f"model {self.model} not found: run `rathaus bot train`")
        env_dir = self._env or rasa_env()
        self._tmp = tempfile.TemporaryDirectory(prefix="rathaus-bot-")
        folder = Path(self._tmp.name)
        self.log_dir = self.options.log_dir or folder
        self.log_dir.mkdir(parents=True, exist_ok=True)
        endpoints, endpoint_env = _endpoints(self.project, self.options, folder)
        base_env = {**os.environ, **QUIET_ENV, **dict(self.options.extra_env)}
        base_env.setdefault("RATHAUS_CONTENT_INDEX", str(self.project / "generated" / "content_index.json"))
        # passed as --auth-token; the children need not see it
        for name in ("RATHAUS_RASA_TOKEN", "RATHAUS_RASA_TOKEN_FILE"):
            base_env.pop(name, None)
        base_env["PYTHONPATH"] = os.pathsep.join(
            [str(_redaction_path(folder)), *filter(None, [base_env.get("PYTHONPATH")])]
        )
        try:
            # Rasa's action client (aiohttp) keeps idle connections 15 s, the action server (Sanic) only 5 s:
            # a turn that comes 5-15 s after the previous one could reuse a connection the server had just
            # closed ("Can not write request body"), and the turn got no answer. The server keeps them longer.
            actions_env = {"SANIC_KEEP_ALIVE_TIMEOUT": "30", **base_env}
            self._spawn("actions", [str(env_dir / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions",
                                    "--port", str(self.options.action_port)], actions_env)
            # "--auth-token=...": a random token starts with "-" one time in 64, and argparse would take a
            # separate "-abc..." for an option ("expected one argument", the server does not start)
            command = [
                str(env_dir / "bin" / "rasa"), "run", "--enable-api", f"--auth-token={self.auth_token}",
                "-i", self.options.host, "--port", str(self.options.rasa_port),
                "-m", str(self.model), "--endpoints", str(endpoints), "--credentials", "credentials.yml",
            ]
            if self.options.cors:
                command += ["--cors", *self.options.cors]
            self._spawn("rasa", command, {**base_env, **endpoint_env})
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.options.startup_timeout_s
        pending: dict[str, Callable[[], bool]] = {
            "actions": lambda: _action_server_ready(self.action_url),
            "rasa": lambda: _rasa_ready(self.rasa_url, self.auth_token),
        }
        while pending:
            for name, process in self._processes:
                if process.poll() is not None:
                    log = self.log_dir / f"{name}.log" if self.log_dir else None
                    raise BotError(f"the {name} server exited with code {process.returncode} while starting"
                                   + (f"; log {log}:\n{tail_of(log)}" if log else ""))
            for name, check in list(pending.items()):
                if check() and self._redacting(name):
                    logger.info("bot.process.ready name=%s", name)
                    del pending[name]
            if not pending:
                return
            if time.monotonic() > deadline:
                waited = self.options.startup_timeout_s
                raise BotError(f"{', '.join(pending)} not ready after {waited:.0f} s; logs in {self.log_dir}")
            time.sleep(0.5)

    def stop(self, *, timeout: float = 20.0) -> None:
        """Terminate both servers (SIGTERM to their process groups, SIGKILL after ``timeout``)."""
        processes, self._processes = self._processes, []
        for _, process in processes:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        for name, process in processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                logger.warning("bot.process.kill name=%s pid=%d", name, process.pid)
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        if self._tmp is not None:
            # The generated endpoints file (and the logs, unless options.log_dir keeps them elsewhere).
            self._tmp.cleanup()
        self._tmp = None

    def _redacting(self, name: str) -> bool:
        """Whether the child ``name`` has confirmed that it redacts its log records (sitecustomize)."""
        log = self.log_dir / f"{name}.log" if self.log_dir else None
        if log is not None and INSTALLED_MARKER in tail_of(log, chars=1_000_000):
            return True
        raise BotError(f"the {name} server answers but did not confirm log redaction ({INSTALLED_MARKER!r} "
                       f"missing in {log}); check that bot/pylib/sitecustomize.py is on its PYTHONPATH")

    def exited(self) -> list[ChildExit]:
        """Children that have stopped (a healthy stack returns an empty list)."""
        gone = []
        for name, process in self._processes:
            code = process.poll()
            if code is not None:
                log = self.log_dir / f"{name}.log" if self.log_dir else None
                gone.append(ChildExit(name=name, code=code, log_tail=tail_of(log) if log else ""))
        return gone

    def restart(self, name: str) -> None:
        """Start the exited child ``name`` again with the same command and wait until the stack is ready."""
        for position, (child, process) in enumerate(self._processes):
            if child == name:
                if process.poll() is None:
                    raise BotError(f"the {name} server is still running; stop it before restarting it")
                del self._processes[position]
                if self.log_dir is not None and (log := self.log_dir / f"{name}.log").exists():
                    # keep the crashed run's log next to the new one
                    log.replace(self.log_dir / f"{name}.{self.restarts + 1}.log")
                self._spawn(name, *self._commands[name])
                self._wait_ready()
                self.restarts += 1  # counted once the stack is ready again
                return
        raise BotError(f"no child named {name!r} in this stack (known: {[n for n, _ in self._processes]})")

    def supervise(self, stop: threading.Event, *, budget: RestartBudget | None = None,
                  interval_s: float = 1.0) -> None:
        """Watch both children until ``stop`` is set: restart one that exits (with back-off), and raise
        :class:`BotError` when it keeps crashing, so ``rathaus bot run`` exits non-zero."""
        budget = budget or RestartBudget()
        while not stop.wait(interval_s):
            for gone in self.exited():
                logger.error("bot.process.exited name=%s code=%d", gone.name, gone.code)
                delay = budget.next_delay(time.monotonic())
                if delay is None:
                    raise BotError(f"the {gone.name} server exited with code {gone.code} {budget.limit + 1} times "
                                   f"within {budget.window_s:.0f} s; giving up. Its log:\n{gone.log_tail}")
                logger.warning("bot.process.restarting name=%s in=%.1fs", gone.name, delay)
                if stop.wait(delay):
                    return
                try:
                    self.restart(gone.name)
                except BotError as exc:  # it crashed again while starting: counted on the next round
                    logger.error("bot.process.restart_failed name=%s error=%s", gone.name, exc)
                    continue
                logger.info("bot.process.restarted name=%s", gone.name)

    @property
    def pids(self) -> dict[str, int]:
        """Process ids of the children (each leads its own process group)."""
        return {name: process.pid for name, process in self._processes}

    def logs(self) -> dict[str, str]:
        if self.log_dir is None:
            return {}
        return {p.stem: tail_of(p) for p in sorted(self.log_dir.glob("*.log"))}


def _action_server_ready(url: str) -> bool:
    health = _get_json(f"{url}/health")
    return isinstance(health, dict) and health.get("status") == "ok"


def _rasa_ready(url: str, token: str) -> bool:
    """Rasa answers ``/status`` (an API route: it needs the token) with the loaded model once it can serve
    conversations."""
    status = _get_json(f"{url}/status?{urlencode({'token': token})}")
    return isinstance(status, dict) and bool(status.get("model_id") or status.get("model_file"))


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)  # the child leads its own session (start_new_session=True)
    except ProcessLookupError:
        pass
