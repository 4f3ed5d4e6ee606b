"""The staff console's routes: log in (per-person account or the shared token) and ``/ws/staff``.

``POST /api/staff/login`` checks a per-person account (:mod:`channels.staff_accounts`) and answers with a
ticket; ``/ws/staff?ticket=...`` then acts under the account's name. Without accounts, or for tools, the
shared ``RATHAUS_STAFF_TOKEN`` still works (``/ws/staff?token=...&name=...``, a typed name). Wrong tickets,
tokens and passwords count as guesses per address (HTTP 429 with ``Retry-After`` past the limit); an account
with repeated wrong passwords is locked for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from urllib.parse import unquote

from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import ValidationError

from channels.chat_service import ChatService, StaffEvent, StaffResync
from channels.errors import BrokerError, FrameError, StaffConflict
from channels.messages import ErrorFrame, StaffLogin, StaffLoginMethods, StaffLoginRequest, parse_staff_frame
from channels.routes import Guard
from channels.security import tokens_equal
from channels.staff_accounts import AccountLocked, WrongCredentials
from common.auth import Verdict

__all__ = ["staff_http_name", "staff_login", "staff_ws"]

log = logging.getLogger(__name__)

_NO_STORE = {"Cache-Control": "no-store"}


def _throttle(request: web.Request, guard: Guard) -> None:
    """HTTP 429 when this address (or everybody together) guessed wrong too often."""
    ip, now = guard.ip(request), time.monotonic()
    if guard.staff_guesses.check(ip, now=now) is not Verdict.ALLOWED:
        guard.metrics.errors.labels("auth_throttled").inc()
        log.warning("gateway.staff.auth_throttled ip=%s", ip)
        retry = max(1, round(guard.staff_guesses.retry_after(ip, now=now)))
        raise web.HTTPTooManyRequests(
            text="too many wrong staff logins, retry later", headers={"Retry-After": str(retry)}
        )


def _guessed_wrong(request: web.Request, guard: Guard, what: str) -> None:
    guard.staff_guesses.failed(guard.ip(request), now=time.monotonic())
    guard.metrics.errors.labels("unauthorized").inc()
    log.warning("gateway.staff.auth_failed ip=%s with=%s", guard.ip(request), what)


def _staff_name(request: web.Request, guard: Guard) -> str:
    """Who opens the console: the account of a valid ticket, or the typed name with the shared token."""
    accounts, token = guard.staff_accounts, guard.settings.staff_token
    if accounts is None and token is None:
        raise web.HTTPServiceUnavailable(
            text="staff console disabled: set RATHAUS_STAFF_ACCOUNTS or RATHAUS_STAFF_TOKEN"
        )
    if "ticket" in request.query and accounts is not None:
        _throttle(request, guard)
        account = accounts.holder(request.query.get("ticket"), now=time.time())
        if account is None:
            _guessed_wrong(request, guard, "ticket")
            raise web.HTTPUnauthorized(text="staff ticket unknown or expired: log in again")
        return account.name
    if token is None:
        raise web.HTTPUnauthorized(text="log in with a staff account (POST /api/staff/login)")
    guard.check_staff_token(request, token.get_secret_value())
    return (request.query.get("name") or "Mitarbeiter").strip()[:60] or "Mitarbeiter"


def staff_http_name(request: web.Request, guard: Guard) -> str:
    """Who calls a staff HTTP API (the recordings editor): ``Authorization: Bearer <ticket>`` of this city's
    login, or ``Bearer <RATHAUS_STAFF_TOKEN>`` with the typed name in ``X-Staff-Name`` (URI-encoded). Wrong
    values count as guesses like the console's; HTTP 401 otherwise."""
    accounts, token = guard.staff_accounts, guard.settings.staff_token
    if accounts is None and token is None:
        raise web.HTTPServiceUnavailable(
            text="staff console disabled: set RATHAUS_STAFF_ACCOUNTS or RATHAUS_STAFF_TOKEN"
        )
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise web.HTTPUnauthorized(text="log in first: Authorization: Bearer <ticket>")
    _throttle(request, guard)
    account = accounts.holder(value.strip(), now=time.time()) if accounts is not None else None
    if account is not None:
        return account.name
    if token is not None and tokens_equal(value.strip(), token.get_secret_value()):
        return unquote(request.headers.get("X-Staff-Name", "")).strip()[:60] or "Mitarbeiter"
    _guessed_wrong(request, guard, "bearer")
    raise web.HTTPUnauthorized(text="staff ticket unknown or expired: log in again")


def _json(
    status: int, body: ErrorFrame | StaffLogin | StaffLoginMethods, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        text=body.model_dump_json(),
        content_type="application/json",
        headers=_NO_STORE | (headers or {}),
    )


async def staff_login(request: web.Request, guard: Guard) -> web.Response:
    """``GET``: which logins this gateway takes. ``POST`` ``{login, password}``: a ticket for ``/ws/staff``."""
    guard.check_origin(request)  # same origin only: the console is served by this gateway
    accounts = guard.staff_accounts
    if request.method == "GET":
        methods = StaffLoginMethods(accounts=accounts is not None, token=guard.settings.staff_token is not None)
        return _json(200, methods)
    if accounts is None:
        return _json(404, ErrorFrame(code="no_accounts", message="Anmeldung mit Benutzername ist nicht eingerichtet."))
    _throttle(request, guard)
    try:
        body = StaffLoginRequest.model_validate_json(await request.read())
    except ValidationError:
        return _json(400, ErrorFrame(code="invalid_login", message="Bitte Benutzername und Passwort eingeben."))
    try:
        # one at a time (scrypt is memory-hard) and off the event loop; the lockout state is touched by one thread
        async with guard.staff_login_lock:
            account = await asyncio.to_thread(
                accounts.check, body.login.strip().lower(), body.password, now=time.monotonic()
            )
    except AccountLocked as exc:
        log.warning("gateway.staff.account_locked")
        minutes = max(1, round(exc.retry_after_s / 60))
        german = f"Zu viele falsche Versuche. Die Anmeldung ist für {minutes} Minuten gesperrt."
        return _json(
            429, ErrorFrame(code="account_locked", message=german), {"Retry-After": str(round(exc.retry_after_s))}
        )
    except WrongCredentials:
        _guessed_wrong(request, guard, "password")
        return _json(401, ErrorFrame(code="wrong_login", message="Benutzername oder Passwort stimmt nicht."))
    log.info("gateway.staff.login")
    ticket = accounts.issue(account, now=time.time())
    return _json(200, StaffLogin(ticket=ticket, name=account.name, expires_in_s=accounts.options.ticket_ttl_s))


async def staff_ws(request: web.Request, guard: Guard, service: ChatService) -> web.StreamResponse:
    guard.check_upgrade(request)
    name = _staff_name(request, guard)
    ws = await guard.prepare(request, "staff")
    # The whole queue once, then deltas (staff.update, staff.message); StaffResync asks for the whole queue again.
    outbox: asyncio.Queue[StaffEvent] = asyncio.Queue(maxsize=1000)
    overflow = asyncio.Event()

    def listener(event: StaffEvent) -> None:
        try:
            outbox.put_nowait(event)
        except asyncio.QueueFull:
            overflow.set()

    async def relay() -> None:
        await service.handoff_ready.wait()
        while not outbox.empty():
            outbox.get_nowait()  # anything before the first queue is contained in it
        await ws.send_str((await service.staff_queue()).model_dump_json())
        await ws.send_str(service.callbacks.listing().model_dump_json())
        while True:
            event = await outbox.get()
            if overflow.is_set():
                await guard.close(ws, WSCloseCode.TRY_AGAIN_LATER, "console too slow")
                return
            frame = await service.staff_queue() if isinstance(event, StaffResync) else event
            await ws.send_str(frame.model_dump_json())

    service.add_staff_listener(listener)
    relay_task = asyncio.create_task(relay())
    try:
        async for msg in ws:
            if msg.type is WSMsgType.BINARY:
                await guard.error(ws, "binary_not_supported")
                continue
            if msg.type is not WSMsgType.TEXT:
                continue
            try:
                frame = parse_staff_frame(msg.data)
                if frame.type == "staff.take":
                    await service.staff_take(frame.session, staff=name)
                elif frame.type == "staff.send":
                    await service.staff_send(frame.session, staff=name, text=frame.text)
                elif frame.type == "staff.typing":
                    await service.staff_typing(frame.session, staff=name)
                elif frame.type == "staff.release":
                    await service.staff_release(frame.session, staff=name)
                else:  # staff.callback_done
                    await service.callbacks.done(frame.id, staff=name)
            except FrameError as exc:
                await guard.error(ws, exc.code, exc.german)
            except StaffConflict as exc:
                await guard.error(ws, exc.code, exc.german)
            except BrokerError as exc:
                log.error("gateway.staff.publish_failed error=%s", exc)
                await guard.error(ws, "internal")
    finally:
        service.remove_staff_listener(listener)
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await relay_task
        guard.release(ws, "staff")
    return ws
