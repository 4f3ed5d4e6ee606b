"""Batch steps: several streams' decode steps run together and share one batched decoder call.

The live service (:mod:`asr.live.service`) hands a *round* of up to ``batch_size`` ready streams to worker
threads at once. Each stream runs its ordinary step (:meth:`~asr.core.streaming.StreamingTranscriber.step`:
VAD gate, decode, guards, commit policy, all unchanged); its decode call goes to a :class:`GatheringDecoder`,
which parks it in the round. When every member of the round still running is parked (the others finished
without decoding: silence, nothing pending), the round decodes all parked requests in one
``decode_batch`` call and hands each member its own result or its own exception. So a batch forms without
a timer; ``max_wait_s`` only bounds how long a parked decode waits for a member that is slow to get there.

Outside a round (the eval, a service without batching) :class:`GatheringDecoder` decodes at once, alone.
No asyncio here: the rounds live in worker threads.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np

from asr.core.decoder import DecodeRequest, DecodeResult
from asr.core.options import StreamOptions

__all__ = ["BatchCapable", "DecodeRound", "GatheringDecoder", "RoundTicket"]


_T = TypeVar("_T")


@dataclass(slots=True)
class RoundTicket:
    """The event loop's side of a round: how many of its jobs still run, and when it started."""

    jobs: int
    started: float


class BatchCapable(Protocol):
    """A decoder with a batch call (:class:`asr.whisper.step.BatchDecoder`)."""

    accepts_prefix: bool

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions, prefix: str = "") -> DecodeResult: ...

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult | Exception]: ...


@dataclass(slots=True)
class _Slot:
    request: DecodeRequest
    result: DecodeResult | Exception | None = None
    done: bool = False


@dataclass(slots=True, eq=False)
class DecodeRound:
    """One batch step of ``members`` streams (see the module docstring). Thread-safe."""

    decoder: BatchCapable
    members: int
    max_wait_s: float = 0.5
    batches: list[int] = field(default_factory=list)  # sizes of the decode_batch calls made
    _active: int = field(init=False, default=0)
    _waiting: list[_Slot] = field(init=False, default_factory=list)
    _since: float = field(init=False, default=0.0)
    _firing: bool = field(init=False, default=False)
    _cond: threading.Condition = field(init=False, default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self._active = self.members

    def leave(self) -> None:
        """A member's step ended (decoded or not): parked members may no longer wait for it."""
        with self._cond:
            self._active -= 1
            self._cond.notify_all()

    def decode(self, request: DecodeRequest) -> DecodeResult:
        """Park ``request`` until the round decodes it (possibly in this thread); its result or exception."""
        slot = _Slot(request)
        with self._cond:
            if not self._waiting:
                self._since = time.monotonic()
            self._waiting.append(slot)
            self._cond.notify_all()
            while not slot.done:
                waited = time.monotonic() - self._since
                if not self._firing and self._waiting and (
                    len(self._waiting) >= self._active or waited >= self.max_wait_s
                ):
                    self._fire()
                else:
                    self._cond.wait(timeout=max(0.001, self.max_wait_s - waited))
        assert slot.result is not None
        if isinstance(slot.result, Exception):
            raise slot.result
        return slot.result

    def _fire(self) -> None:
        """Decode what is parked (called with the lock held; released during the decode)."""
        batch, self._waiting = self._waiting, []
        self._firing = True
        self._cond.release()
        try:
            try:
                results = self.decoder.decode_batch([s.request for s in batch])
            except Exception as exc:  # noqa: BLE001 - every member gets it; the service fails those streams
                results = [exc] * len(batch)
        finally:
            self._cond.acquire()
        for slot, result in zip(batch, results, strict=True):
            slot.result, slot.done = result, True
        self.batches.append(len(batch))
        self._firing = False
        self._cond.notify_all()


class GatheringDecoder:
    """A :class:`~asr.core.decoder.Decoder` that joins the worker thread's :class:`DecodeRound`, if any."""

    def __init__(self, decoder: BatchCapable) -> None:
        self.decoder = decoder
        self._local = threading.local()

    @property
    def accepts_prefix(self) -> bool:
        return bool(getattr(self.decoder, "accepts_prefix", False))

    @contextlib.contextmanager
    def joined(self, round_: DecodeRound) -> Iterator[None]:
        """Decode calls of this thread go to ``round_`` until the block ends; then the member leaves it."""
        self._local.round = round_
        try:
            yield
        finally:
            self._local.round = None
            round_.leave()

    def member(self, round_: DecodeRound, call: Callable[[], _T]) -> Callable[[], _T]:
        """``call`` (a stream's step) run as a member of ``round_``: it leaves the round when done or failed."""

        def run() -> _T:
            with self.joined(round_):
                return call()

        return run

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions, prefix: str = "") -> DecodeResult:
        round_: DecodeRound | None = getattr(self._local, "round", None)
        if round_ is None:
            return self.decoder.decode(audio, prompt=prompt, options=options, prefix=prefix)
        return round_.decode(DecodeRequest(audio, prompt, options, prefix))

