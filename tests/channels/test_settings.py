"""Gateway settings: the content folder comes from RATHAUS_CONTENT, the one variable every service reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.settings import load_settings
from common.settings import SettingsError
from content.root import ContentRootError
from tests.channels.helpers import gateway
from tests.fixtures.content import other_city


@pytest.fixture(autouse=True)
def _no_content_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RATHAUS_CONTENT", "RATHAUS_CONTENT_ROOT", "RATHAUS_ASR_CONTENT_ROOT"):
        monkeypatch.delenv(name, raising=False)


async def test_rathaus_content_reaches_api_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    city = other_city(tmp_path)
    monkeypatch.setenv("RATHAUS_CONTENT", str(city.root))
    async with gateway() as client:
        config = await (await client.get("/api/config")).json()
    assert config["city"] == {"name": city.name, "phone": city.phone, "email": city.email}


def test_old_gateway_variable_still_works_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    city = other_city(tmp_path)
    monkeypatch.setenv("RATHAUS_CONTENT_ROOT", str(city.root))
    with pytest.warns(DeprecationWarning, match="RATHAUS_CONTENT_ROOT"):
        settings = load_settings()
    assert settings.content_root == city.root and settings.city_name == city.name


def test_old_and_new_variables_that_differ_stop_the_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    city = other_city(tmp_path)
    monkeypatch.setenv("RATHAUS_CONTENT", str(city.root))
    monkeypatch.setenv("RATHAUS_CONTENT_ROOT", str(tmp_path / "elsewhere"))
    with pytest.warns(DeprecationWarning), pytest.raises(ContentRootError, match="RATHAUS_CONTENT_ROOT"):
        load_settings()


def test_missing_content_folder_stops_the_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_CONTENT", str(tmp_path / "typo"))
    with pytest.raises(ContentRootError, match="RATHAUS_CONTENT=.*typo: no such folder"):
        load_settings()


def test_an_explicit_content_root_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    city = other_city(tmp_path)
    monkeypatch.setenv("RATHAUS_CONTENT", str(city.root))
    sample = Path(__file__).resolve().parents[2] / "content" / "musterstadt"
    settings = load_settings(content_root=sample)
    assert settings.content_root == sample and settings.city_name == "Musterstadt"


def test_the_staff_token_comes_from_a_file_and_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "staff").write_text("kurz\n", encoding="utf-8")
    monkeypatch.setenv("RATHAUS_STAFF_TOKEN_FILE", str(tmp_path / "staff"))
    with pytest.raises(SettingsError, match="RATHAUS_STAFF_TOKEN") as raised:
        load_settings()
    assert "kurz" not in str(raised.value)
    (tmp_path / "staff").write_text("s" * 32 + "\n", encoding="utf-8")
    token = load_settings().staff_token
    assert token is not None and token.get_secret_value() == "s" * 32
