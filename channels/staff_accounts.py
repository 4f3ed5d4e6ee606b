"""Per-person staff accounts for the staff console: hashed passwords, lockout, login tickets.

An installation lists its staff in one YAML file (``RATHAUS_STAFF_ACCOUNTS``, docs/configuration.md)::

    version: 1
    accounts:
      - login: beispiel
        name: "Frau Beispiel, Bürgerbüro"      # what the console shows and the staff.* frames carry
        password: "scrypt$16384$8$1$<salt>$<hash>"  # made by: rathaus gateway staff-account beispiel

Passwords are stored only as scrypt hashes (standard library, memory-hard). A person who types a wrong
password ``LockoutOptions.failures`` times within ``window_s`` is locked out for ``lock_s``, even with the
right password afterwards; guesses across many logins are limited per address by the gateway's
``GuessThrottle`` on top.

A successful login gets a **ticket** (``<payload>.<HMAC-SHA256>``, payload: login and expiry) that the console
uses to open ``/ws/staff``. The HMAC key is derived from the accounts file's bytes, so every gateway instance
that reads the same file accepts the same tickets without sharing state, and any change to the file (a
person removed, a password changed) ends all tickets at their next use. Protect the file like a secret.

Pure: data and a clock in, decisions out; reading the file is :meth:`StaffAccounts.from_file`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from channels.errors import ChannelError

__all__ = [
    "AccountLocked",
    "AccountsFile",
    "LockoutOptions",
    "StaffAccount",
    "StaffAccounts",
    "StaffAccountsError",
    "WrongCredentials",
    "hash_password",
    "upsert_account",
    "verify_password",
]

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_DUMMY_HASH_SALT = b"rathaus-no-such-login"


class StaffAccountsError(ChannelError):
    """The accounts file is missing or invalid (message names the file, the field and the fix)."""


class WrongCredentials(ChannelError):
    """Unknown login or wrong password (the caller does not learn which)."""


class AccountLocked(ChannelError):
    """Too many wrong passwords for this login; ``retry_after_s`` until the next try."""

    def __init__(self, login: str, retry_after_s: float) -> None:
        super().__init__(f"staff account {login!r} locked for {retry_after_s:.0f} s after repeated failures")
        self.retry_after_s = retry_after_s


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` for the accounts file."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


@cache
def _dummy_hash() -> str:
    return hash_password("", salt=_DUMMY_HASH_SALT)


class StaffAccount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    login: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,39}$")
    name: str = Field(min_length=1, max_length=60)
    password: str = Field(pattern=r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$")


class AccountsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    accounts: tuple[StaffAccount, ...] = ()

    @field_validator("accounts")
    @classmethod
    def _unique(cls, accounts: tuple[StaffAccount, ...]) -> tuple[StaffAccount, ...]:
        logins = [a.login for a in accounts]
        doubled = sorted({x for x in logins if logins.count(x) > 1})
        if doubled:
            raise ValueError(f"login listed twice: {', '.join(doubled)}; give each person one entry")
        names = [a.name for a in accounts]
        same = sorted({x for x in names if names.count(x) > 1})
        if same:  # staff act under their name: two people with one name would share conversations
            raise ValueError(f"name used by two logins: {', '.join(same)}; add the office or a first name")
        return accounts


def upsert_account(raw: bytes | None, account: StaffAccount) -> str:
    """The accounts file (``raw``, None: a new one) with ``account`` added or replaced, as YAML text."""
    try:
        current = AccountsFile.model_validate(yaml.safe_load(raw or b"") or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise StaffAccountsError(f"not a valid staff accounts file, not changed: {exc}") from exc
    others = tuple(a for a in current.accounts if a.login != account.login)
    updated = AccountsFile(accounts=(*others, account))  # validated again: a name used twice is refused
    text: str = yaml.safe_dump(updated.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    return "# Staff console accounts (rathaus gateway staff-account); keep this file secret.\n" + text


@dataclass(frozen=True, slots=True)
class LockoutOptions:
    failures: int = 5  # wrong passwords ...
    window_s: float = 900.0  # ... within this time lock the account ...
    lock_s: float = 900.0  # ... for this long
    ticket_ttl_s: float = 12 * 3600.0  # one working day


@dataclass(slots=True)
class _Failures:
    times: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class StaffAccounts:
    """The accounts of one file: check a login, issue and read tickets."""

    def __init__(self, accounts: Sequence[StaffAccount], *, key: bytes, options: LockoutOptions | None = None) -> None:
        self.options = options or LockoutOptions()
        self._accounts = {a.login: a for a in accounts}
        self._key = key
        self._failures: dict[str, _Failures] = {}  # known logins only: unknown ones cannot fill memory

    @classmethod
    def from_file(cls, path: Path, *, options: LockoutOptions | None = None) -> StaffAccounts:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise StaffAccountsError(
                f"RATHAUS_STAFF_ACCOUNTS: cannot read {path} ({exc.strerror}); create it with "
                "`rathaus gateway staff-account LOGIN --file PATH`"
            ) from exc
        try:
            parsed = AccountsFile.model_validate(yaml.safe_load(raw) or {})
        except (yaml.YAMLError, ValidationError) as exc:
            raise StaffAccountsError(f"{path}: not a valid staff accounts file: {exc}") from exc
        key = hashlib.sha256(b"rathaus.staff.ticket\0" + raw).digest()
        return cls(parsed.accounts, key=key, options=options)

    def __len__(self) -> int:
        return len(self._accounts)

    # ------------------------------------------------------------ login
    def locked_for(self, login: str, *, now: float) -> float:
        """Seconds this login stays locked (0: not locked)."""
        entry = self._failures.get(login)
        return max(0.0, entry.locked_until - now) if entry else 0.0

    def check(self, login: str, password: str, *, now: float) -> StaffAccount:
        """The account for ``login`` and ``password``; raises :class:`AccountLocked` or :class:`WrongCredentials`."""
        account = self._accounts.get(login)
        if (wait := self.locked_for(login, now=now)) > 0:
            raise AccountLocked(login, wait)
        if account is None:
            verify_password(password, _dummy_hash())  # as long as a real check: no hint which logins exist
            raise WrongCredentials(f"no staff account {login!r}")
        if not verify_password(password, account.password):
            entry = self._failures.setdefault(login, _Failures())
            entry.times = [t for t in entry.times if now - t < self.options.window_s] + [now]
            if len(entry.times) >= self.options.failures:
                entry.locked_until = now + self.options.lock_s
                entry.times.clear()
                raise AccountLocked(login, self.options.lock_s)
            raise WrongCredentials(f"wrong password for {login!r}")
        self._failures.pop(login, None)
        return account

    # ------------------------------------------------------------ tickets
    def issue(self, account: StaffAccount, *, now: float) -> str:
        payload = _b64(json.dumps({"login": account.login, "exp": round(now + self.options.ticket_ttl_s)}).encode())
        return f"{payload}.{_b64(self._sign(payload))}"

    def holder(self, ticket: str | None, *, now: float) -> StaffAccount | None:
        """The account a ticket was issued to; None when forged, expired, or the person is gone."""
        if not ticket or ticket.count(".") != 1:
            return None
        payload, signature = ticket.split(".")
        try:
            if not hmac.compare_digest(_unb64(signature), self._sign(payload)):
                return None
            data = json.loads(_unb64(payload))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("exp"), int) or data["exp"] <= now:
            return None
        return self._accounts.get(str(data.get("login")))

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest()
