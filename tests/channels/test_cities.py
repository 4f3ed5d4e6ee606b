"""One gateway serving Musterstadt and Beispielhausen (docs/cities.md): routing by /{city}/, each city's
own /api/config, branding, staff token and broker topics, so that no city sees another's conversations."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.cities import city_variable
from channels.gateway import CITIES
from content.root import sample_root
from tests.channels.helpers import STAFF_TOKEN, gateway, next_frame, of_type

MUSTERSTADT = sample_root()
BEISPIELHAUSEN = MUSTERSTADT.parent / "beispielhausen"
BEISPIELHAUSEN_STAFF = "beispielhausen-staff-token-0123456789"


@pytest.fixture
def two_cities(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RATHAUS_CONTENT", "RATHAUS_CONTENT_ROOT", "RATHAUS_ASR_CONTENT_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RATHAUS_CITIES", f"{MUSTERSTADT},{BEISPIELHAUSEN}")
    monkeypatch.setenv(city_variable("beispielhausen", "staff_token"), BEISPIELHAUSEN_STAFF)
    monkeypatch.setenv(city_variable("beispielhausen", "allowed_origins"), "https://www.beispielhausen.example")


async def test_each_city_has_its_own_config_page_and_logo(two_cities: None) -> None:
    async with gateway(allowed_origins="https://www.musterstadt.example") as client:
        assert [c.site.id for c in client.app[CITIES]] == ["musterstadt", "beispielhausen"]
        root = await (await client.get("/api/config")).json()
        muster = await (await client.get("/musterstadt/api/config")).json()
        beispiel = await (await client.get("/beispielhausen/api/config")).json()
        assert root["city"]["name"] == muster["city"]["name"] == "Musterstadt"
        assert root["ws"]["chat"] == "/ws/chat" and muster["ws"]["chat"] == "/musterstadt/ws/chat"
        assert beispiel["city"] | {"logo": None} == {
            "id": "beispielhausen",
            "name": "Beispielhausen",
            "phone": "0700 555 010 0",
            "email": "rathaus@beispielhausen.example",
            "colour": beispiel["city"]["colour"],
            "logo": None,
        }
        assert beispiel["ws"] == {
            "chat": "/beispielhausen/ws/chat",
            "subtitles": "/beispielhausen/ws/subtitles/",
            "staff": "/beispielhausen/ws/staff",
        }
        assert beispiel["city"]["colour"] != muster["city"]["colour"]
        logo = await client.get(beispiel["city"]["logo"])
        assert logo.status == 200 and logo.headers["Content-Type"] == "image/svg+xml"
        assert (await client.get("/musterstadt/logo")).status == 404

        page = await (await client.get("/beispielhausen/")).text()
        assert 'data-city="beispielhausen"' in page and "Beispielhausen" in page and "Musterstadt" not in page
        assert "0700 555 010 0" in page

        # Allowed origins are per city: Beispielhausen's site may read its config, not Musterstadt's.
        origin = {"Origin": "https://www.beispielhausen.example"}
        allowed = await client.get("/beispielhausen/api/config", headers=origin)
        refused = await client.get("/musterstadt/api/config", headers=origin)
        assert allowed.headers.get("Access-Control-Allow-Origin") == origin["Origin"]
        assert "Access-Control-Allow-Origin" not in refused.headers


async def test_staff_see_only_their_own_citys_conversations(two_cities: None) -> None:
    async with gateway() as client:
        muster_staff = await client.ws_connect(f"/musterstadt/ws/staff?token={STAFF_TOKEN}&name=M")
        beispiel_staff = await client.ws_connect(f"/beispielhausen/ws/staff?token={BEISPIELHAUSEN_STAFF}&name=B")
        assert (await next_frame(muster_staff, of_type("staff.queue")))["conversations"] == []
        assert (await next_frame(beispiel_staff, of_type("staff.queue")))["conversations"] == []
        # One city's token does not open the other city's console.
        assert (await client.get(f"/beispielhausen/ws/staff?token={STAFF_TOKEN}")).status in (401, 403)

        citizen = await client.ws_connect("/beispielhausen/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        await citizen.send_json({"type": "chat.handoff", "v": 1})
        waiting = await next_frame(citizen, of_type("chat.status"))
        assert waiting["status"] == "handoff_waiting"
        update = await next_frame(beispiel_staff, of_type("staff.update", status="waiting"))
        assert update["session"] == session

        # Musterstadt's staff get nothing, and a fresh Musterstadt console lists nothing.
        with pytest.raises(TimeoutError):
            await next_frame(muster_staff, of_type("staff.update"), within=1.0)
        late = await client.ws_connect(f"/ws/staff?token={STAFF_TOKEN}&name=M2")
        assert (await next_frame(late, of_type("staff.queue")))["conversations"] == []

        # The session is Beispielhausen's: resuming it at Musterstadt starts a new one.
        other = await client.ws_connect(f"/musterstadt/ws/chat?session={session}")
        assert (await next_frame(other, of_type("chat.session")))["session"] != session
        for ws in (muster_staff, beispiel_staff, citizen, late, other):
            await ws.close()


def test_a_city_without_municipality_yml_stops_the_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from content.root import ContentRootError, resolve_cities

    monkeypatch.delenv("RATHAUS_CONTENT", raising=False)
    with pytest.raises(ContentRootError, match="RATHAUS_CITIES"):
        resolve_cities({"RATHAUS_CITIES": f"{MUSTERSTADT},{tmp_path}"})
    with pytest.raises(ContentRootError, match="twice"):
        resolve_cities({"RATHAUS_CITIES": f"{MUSTERSTADT},musterstadt={BEISPIELHAUSEN}"})
    cities = resolve_cities({"RATHAUS_CITIES": f"stadt-a={MUSTERSTADT}, {BEISPIELHAUSEN}"})
    assert [(c.id, c.root) for c in cities] == [("stadt-a", MUSTERSTADT), ("beispielhausen", BEISPIELHAUSEN)]


async def test_a_staff_account_opens_only_the_default_citys_console(
    two_cities: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from channels.staff_accounts import StaffAccount, hash_password, upsert_account

    account = StaffAccount(login="muster", name="Herr Muster", password=hash_password("Winter 2026?"))
    path = tmp_path / "staff.yml"
    path.write_text(upsert_account(None, account), encoding="utf-8")
    monkeypatch.setenv("RATHAUS_STAFF_ACCOUNTS", str(path))
    async with gateway() as client:
        login = await client.post("/api/staff/login", json={"login": "muster", "password": "Winter 2026?"})
        assert login.status == 200
        ticket = (await login.json())["ticket"]
        own = await client.ws_connect(f"/musterstadt/ws/staff?ticket={ticket}")
        assert (await next_frame(own, of_type("staff.queue")))["conversations"] == []
        await own.close()
        # Beispielhausen's console takes only Beispielhausen's own staff token, never a Musterstadt account.
        assert (await client.get(f"/beispielhausen/ws/staff?ticket={ticket}")).status in (401, 403)
        assert (await client.post("/beispielhausen/api/staff/login",
                                  json={"login": "muster", "password": "Winter 2026?"})).status == 404


async def test_each_city_has_its_own_staff_accounts(
    two_cities: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _staff_per_city(tmp_path, monkeypatch)
    async with gateway() as client:
        login = await client.post("/beispielhausen/api/staff/login",
                                  json={"login": "beispiel", "password": "Winter 2026?"})
        assert login.status == 200
        ticket = (await login.json())["ticket"]
        own = await client.ws_connect(f"/beispielhausen/ws/staff?ticket={ticket}")
        assert (await next_frame(own, of_type("staff.queue")))["conversations"] == []
        await own.close()
        # the ticket opens no other city's console, and each city knows only its own accounts
        assert (await client.get(f"/ws/staff?ticket={ticket}")).status in (401, 403)
        assert (await client.post("/api/staff/login",
                                  json={"login": "beispiel", "password": "Winter 2026?"})).status == 401
        assert (await client.post("/beispielhausen/api/staff/login",
                                  json={"login": "muster", "password": "Winter 2026?"})).status == 401


async def test_only_the_default_citys_staff_edit_its_recordings(
    two_cities: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recordings are the default city's: its accounts edit their subtitles, another city's ticket does not."""
    from common.subtitles import Cue, write_subtitles

    folder = tmp_path / "aufzeichnungen" / "rat-2026-09-15"
    folder.mkdir(parents=True)
    (folder / "sitzung.yml").write_text("title: Ratssitzung\ndate: 2026-09-15\n", encoding="utf-8")
    (folder / "video.mp4").write_bytes(b"")  # the editor needs the folder complete, not a playable video
    write_subtitles([Cue(1, 0.0, 1.0, ("Guten Abend.",))], folder / "untertitel.vtt")
    _staff_per_city(tmp_path, monkeypatch)
    async with gateway(recordings_dir=tmp_path / "aufzeichnungen") as client:
        tickets = {}
        for prefix, login in (("", "muster"), ("/beispielhausen", "beispiel")):
            answer = await client.post(f"{prefix}/api/staff/login", json={"login": login, "password": "Winter 2026?"})
            tickets[login] = (await answer.json())["ticket"]
        api = "/api/staff/recordings/rat-2026-09-15/untertitel"
        own = await client.get(api, headers={"Authorization": f"Bearer {tickets['muster']}"})
        assert own.status == 200
        assert (await client.get("/musterstadt" + api, headers={"Authorization": f"Bearer {tickets['muster']}"})
                ).status == 200
        other = {"Authorization": f"Bearer {tickets['beispiel']}", "If-Match": f'"{(await own.json())["version"]}"'}
        assert (await client.get(api, headers=other)).status == 401
        assert (await client.put(api, json={"changes": [{"number": 1, "text": "Hallo."}]}, headers=other)).status == 401
        assert (await client.get("/beispielhausen" + api, headers=other)).status == 404  # no recordings there


def _staff_per_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One personal staff account per city: "muster" in Musterstadt, "beispiel" in Beispielhausen."""
    from channels.staff_accounts import StaffAccount, hash_password, upsert_account

    for city, login in (("musterstadt", "muster"), ("beispielhausen", "beispiel")):
        account = StaffAccount(login=login, name=f"Frau {login.title()}", password=hash_password("Winter 2026?"))
        path = tmp_path / f"{city}.yml"
        path.write_text(upsert_account(None, account), encoding="utf-8")
        variable = "RATHAUS_STAFF_ACCOUNTS" if city == "musterstadt" else city_variable(city, "staff_accounts")
        monkeypatch.setenv(variable, str(path))
