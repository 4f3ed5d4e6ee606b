"""Per-person staff accounts: hashes, lockout, tickets (pure), and the gateway's login over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.staff_accounts import (
    AccountLocked,
    LockoutOptions,
    StaffAccount,
    StaffAccounts,
    StaffAccountsError,
    WrongCredentials,
    hash_password,
    verify_password,
)
from tests.channels.helpers import gateway, next_frame, of_type

BEISPIEL = StaffAccount(login="beispiel", name="Frau Beispiel, Bürgerbüro", password=hash_password("Sommer 2026!"))
MUSTER = StaffAccount(login="muster", name="Herr Muster", password=hash_password("Winter 2026?"))


def accounts_file(tmp_path: Path, *accounts: StaffAccount) -> Path:
    lines = ["version: 1", "accounts:"]
    for a in accounts:
        lines += [f"  - login: {a.login}", f'    name: "{a.name}"', f'    password: "{a.password}"']
    path = tmp_path / "staff.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_passwords_are_stored_hashed_and_salted() -> None:
    one, two = hash_password("geheim"), hash_password("geheim")
    assert one != two and "geheim" not in one and one.startswith("scrypt$")
    assert verify_password("geheim", one) and not verify_password("Geheim", one)
    assert not verify_password("geheim", "plain:geheim") and not verify_password("geheim", "scrypt$x$y")


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one() -> None:
    staff = StaffAccounts([BEISPIEL, MUSTER], key=b"k" * 32, options=LockoutOptions(failures=3, lock_s=600))
    assert staff.check("beispiel", "Sommer 2026!", now=0) == BEISPIEL
    for attempt in range(2):
        with pytest.raises(WrongCredentials):
            staff.check("beispiel", "falsch", now=10 + attempt)
    with pytest.raises(AccountLocked) as locked:
        staff.check("beispiel", "falsch", now=12)
    assert locked.value.retry_after_s == 600
    with pytest.raises(AccountLocked):
        staff.check("beispiel", "Sommer 2026!", now=300)
    assert staff.check("muster", "Winter 2026?", now=300) == MUSTER  # only that person is locked
    assert staff.check("beispiel", "Sommer 2026!", now=613) == BEISPIEL
    with pytest.raises(WrongCredentials):
        staff.check("niemand", "Sommer 2026!", now=613)


def test_failures_outside_the_window_do_not_add_up() -> None:
    staff = StaffAccounts([BEISPIEL], key=b"k" * 32, options=LockoutOptions(failures=2, window_s=60))
    with pytest.raises(WrongCredentials):
        staff.check("beispiel", "falsch", now=0)
    with pytest.raises(WrongCredentials):
        staff.check("beispiel", "falsch", now=61)


def test_tickets_name_their_holder_until_they_expire_and_cannot_be_forged(tmp_path: Path) -> None:
    path = accounts_file(tmp_path, BEISPIEL, MUSTER)
    staff = StaffAccounts.from_file(path, options=LockoutOptions(ticket_ttl_s=3600))
    ticket = staff.issue(BEISPIEL, now=1000)
    assert staff.holder(ticket, now=1001) == BEISPIEL
    assert StaffAccounts.from_file(path).holder(ticket, now=1001) == BEISPIEL  # another instance, same file
    assert staff.holder(ticket, now=4600) is None
    payload, signature = ticket.split(".")
    other = staff.issue(MUSTER, now=1000).split(".")[0]
    assert staff.holder(f"{other}.{signature}", now=1001) is None
    assert staff.holder(payload, now=1001) is None and staff.holder(None, now=1) is None
    # any change to the file (a person removed) ends every ticket
    assert StaffAccounts.from_file(accounts_file(tmp_path, BEISPIEL)).holder(ticket, now=1001) is None


def test_a_bad_file_names_itself_and_the_problem(tmp_path: Path) -> None:
    with pytest.raises(StaffAccountsError, match="RATHAUS_STAFF_ACCOUNTS: cannot read"):
        StaffAccounts.from_file(tmp_path / "missing.yml")
    twin = StaffAccount(login="beispiel2", name=BEISPIEL.name, password=BEISPIEL.password)
    with pytest.raises(StaffAccountsError, match="name used by two logins"):
        StaffAccounts.from_file(accounts_file(tmp_path, BEISPIEL, twin))
    (tmp_path / "plain.yml").write_text("accounts:\n  - {login: a1, name: A, password: geheim}\n")
    with pytest.raises(StaffAccountsError, match=r"plain.yml: not a valid staff accounts file"):
        StaffAccounts.from_file(tmp_path / "plain.yml")


async def test_gateway_login_gives_a_ticket_that_opens_the_console_under_the_account_name(tmp_path: Path) -> None:
    async with gateway(staff_token=None, staff_accounts=accounts_file(tmp_path, BEISPIEL)) as client:
        methods = await (await client.get("/api/staff/login")).json()
        assert (methods["accounts"], methods["token"]) == (True, False)
        wrong = await client.post("/api/staff/login", json={"login": "beispiel", "password": "falsch"})
        assert wrong.status == 401 and (await wrong.json())["message"] == "Benutzername oder Passwort stimmt nicht."
        ok = await client.post("/api/staff/login", json={"login": "Beispiel ", "password": "Sommer 2026!"})
        assert ok.status == 200 and ok.headers["Cache-Control"] == "no-store"
        login = await ok.json()
        assert login["name"] == "Frau Beispiel, Bürgerbüro"

        # the ticket opens the console; the typed name is ignored, the account's name is used
        staff = await client.ws_connect(f"/ws/staff?ticket={login['ticket']}&name=Jemand")
        await next_frame(staff, of_type("staff.queue"))
        citizen = await client.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        await citizen.send_json({"type": "chat.handoff"})
        await next_frame(staff, of_type("staff.update", status="waiting"))
        await staff.send_json({"type": "staff.take", "session": session})
        assert (await next_frame(staff, of_type("staff.update", status="active")))["staff"] == login["name"]
        for bad in ("/ws/staff?ticket=x.y", "/ws/staff?token=staff-secret-for-tests-0123456789"):
            with pytest.raises(Exception, match="401"):
                await client.ws_connect(bad)
        await citizen.close()
        await staff.close()


async def test_gateway_locks_an_account_after_repeated_wrong_passwords(tmp_path: Path) -> None:
    async with gateway(staff_accounts=accounts_file(tmp_path, BEISPIEL)) as client:
        statuses = []
        for _ in range(5):
            response = await client.post("/api/staff/login", json={"login": "beispiel", "password": "falsch"})
            statuses.append(response.status)
        assert statuses == [401, 401, 401, 401, 429]
        locked = await client.post("/api/staff/login", json={"login": "beispiel", "password": "Sommer 2026!"})
        assert locked.status == 429 and int(locked.headers["Retry-After"]) > 0
        assert (await locked.json())["code"] == "account_locked"
        # the shared token still works where it is configured (tools, a fallback)
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        await next_frame(staff, of_type("staff.queue"))
        await staff.close()


def test_cli_adds_and_updates_a_person_with_a_hashed_password(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from channels.cli import app

    path = tmp_path / "staff.yml"
    args = ["staff-account", "beispiel", "--name", "Frau Beispiel", "--file", str(path)]
    assert CliRunner().invoke(app, [*args, "--password", "Sommer 2026!"]).exit_code == 0
    assert (
        CliRunner()
        .invoke(
            app,
            ["staff-account", "muster", "--name", "Herr Muster", "--file", str(path)],
            input="Winter 2026?\nWinter 2026?\n",
        )
        .exit_code
        == 0
    )
    assert "Sommer" not in path.read_text(encoding="utf-8") and oct(path.stat().st_mode)[-3:] == "600"
    staff = StaffAccounts.from_file(path)
    assert staff.check("beispiel", "Sommer 2026!", now=0).name == "Frau Beispiel"
    assert staff.check("muster", "Winter 2026?", now=0).name == "Herr Muster"
    # a new password replaces the old one; too short and a second "Herr Muster" are refused
    assert CliRunner().invoke(app, [*args, "--password", "Herbst 2026!"]).exit_code == 0
    assert StaffAccounts.from_file(path).check("beispiel", "Herbst 2026!", now=0).login == "beispiel"
    assert CliRunner().invoke(app, [*args, "--password", "kurz"]).exit_code == 2
    twin = ["staff-account", "muster2", "--name", "Herr Muster", "--file", str(path), "--password", "Winter 2026?"]
    assert CliRunner().invoke(app, twin).exit_code == 2
