"""A small asyncio client for Rasa's REST webhook, used by ``bot eval`` and ``bot bench``."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot import BotError
from bot.conversations import Conversation, ConversationResult, TurnResult
from bot.evaluation import CaseResult, EvalCase, candidates_from_messages, label_from_messages

__all__ = ["RestClient", "evaluate_cases", "evaluate_conversations", "new_sender"]

WEBHOOK_PATH = "/webhooks/rest/webhook"


def new_sender(prefix: str = "eval") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


@dataclass(slots=True)
class RestClient:
    """Posts messages to ``<base_url>/webhooks/rest/webhook``; one ``aiohttp`` session, reused."""

    base_url: str
    session: aiohttp.ClientSession
    timeout_s: float = 60.0

    @property
    def webhook(self) -> str:
        return self.base_url.rstrip("/") + WEBHOOK_PATH

    async def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        try:
            async with self.session.post(
                self.webhook, json={"sender": sender, "message": message},
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as response:
                if response.status != 200:
                    body = (await response.text())[:300]
                    raise BotError(f"{self.webhook} answered HTTP {response.status}: {body}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BotError(f"cannot reach the assistant at {self.webhook} ({_reason(exc)}); is `rathaus bot "
                           "run` running, or is the --url right?") from exc
        if not isinstance(data, list):
            raise BotError(f"{self.webhook} answered {type(data).__name__}, expected a list of messages")
        return [m for m in data if isinstance(m, dict)]

    async def version(self) -> dict[str, Any]:
        url = self.base_url.rstrip("/") + "/version"
        try:
            async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                response.raise_for_status()
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BotError(f"no Rasa server answers at {url} ({_reason(exc)}); start one with `rathaus bot run` "
                           "or leave out --url to start one for this command") from exc
        return data if isinstance(data, dict) else {}


async def evaluate_cases(
    base_url: str,
    cases: Sequence[EvalCase],
    *,
    concurrency: int = 4,
    progress: Callable[[], Awaitable[None] | None] | None = None,
) -> list[CaseResult]:
    """Each case as a new conversation; results in the cases' order."""
    results: list[CaseResult | None] = [None] * len(cases)
    semaphore = asyncio.Semaphore(max(1, concurrency))
    async with aiohttp.ClientSession() as session:
        client = RestClient(base_url, session)
        await client.version()

        async def one(position: int, case: EvalCase) -> None:
            async with semaphore:
                messages = await client.send(new_sender(), case.text)
            got, confidence = label_from_messages(messages)
            results[position] = CaseResult(case.text, case.expect, got, confidence,
                                           candidates_from_messages(messages), case.lang, case.tags)
            if progress is not None:
                maybe = progress()
                if maybe is not None:
                    await maybe

        try:
            async with asyncio.TaskGroup() as group:
                for position, case in enumerate(cases):
                    group.create_task(one(position, case))
        except ExceptionGroup as group_error:
            raise _first_error(group_error) from group_error
    return [r for r in results if r is not None]


async def evaluate_conversations(
    base_url: str,
    conversations: Sequence[Conversation],
    *,
    concurrency: int = 4,
) -> list[ConversationResult]:
    """Each conversation in one session, turn by turn (the next turn is sent after the answer);
    conversations run ``concurrency`` at a time; results in the conversations' order."""
    results: list[ConversationResult | None] = [None] * len(conversations)
    semaphore = asyncio.Semaphore(max(1, concurrency))
    async with aiohttp.ClientSession() as session:
        client = RestClient(base_url, session)
        await client.version()

        async def one(position: int, conversation: Conversation) -> None:
            sender = new_sender("conv")
            turns = []
            async with semaphore:
                for turn in conversation.turns:
                    started = time.perf_counter()
                    messages = await client.send(sender, turn.text)
                    seconds = time.perf_counter() - started
                    got, confidence = label_from_messages(messages, with_aspect=True)
                    turns.append(TurnResult(turn.text, turn.expect, got, confidence, seconds))
            results[position] = ConversationResult(tuple(turns), conversation.tags)

        try:
            async with asyncio.TaskGroup() as group:
                for position, conversation in enumerate(conversations):
                    group.create_task(one(position, conversation))
        except ExceptionGroup as group_error:
            raise _first_error(group_error) from group_error
    return [r for r in results if r is not None]


def _reason(exc: BaseException) -> str:
    """A short reason (``Connection refused``, ``TimeoutError``) instead of aiohttp's long repr."""
    os_error = getattr(exc, "os_error", None)
    return str(getattr(os_error, "strerror", None) or type(exc).__name__)


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        return exc
    return group


async def timed_send(client: RestClient, sender: str, message: str) -> float:
    """Seconds one REST round trip took."""
    started = time.perf_counter()
    await client.send(sender, message)
    return time.perf_counter() - started
