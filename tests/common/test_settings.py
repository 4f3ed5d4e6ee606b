"""The settings family: deprecated names, secrets from files, and errors that name the variable."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field, SecretStr

from common.settings import RathausSettings, SettingsError


class _Settings(RathausSettings):
    deprecated_variables: ClassVar[Mapping[str, str]] = {"RATHAUS_OLD_PORT": "port"}

    port: int = Field(default=8080, ge=1)
    token: SecretStr | None = None
    shared_url: str | None = Field(default=None, validation_alias="RATHAUS_SHARED_URL")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RATHAUS_PORT", "RATHAUS_OLD_PORT", "RATHAUS_TOKEN", "RATHAUS_TOKEN_FILE", "RATHAUS_SHARED_URL"):
        monkeypatch.delenv(name, raising=False)


def test_an_invalid_value_is_reported_with_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_PORT", "achtzig")
    with pytest.raises(SettingsError) as raised:
        _Settings.load()
    assert raised.value.problems[0].startswith("RATHAUS_PORT: ") and "'achtzig'" in str(raised.value)


def test_an_aliased_field_is_named_by_its_alias() -> None:
    assert _Settings.variable("shared_url") == "RATHAUS_SHARED_URL" and _Settings.variable("port") == "RATHAUS_PORT"


def test_a_deprecated_name_still_works_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_OLD_PORT", "9000")
    with pytest.warns(DeprecationWarning, match="RATHAUS_OLD_PORT is deprecated.*set RATHAUS_PORT"):
        assert _Settings.load().port == 9000


def test_the_new_name_wins_when_both_agree_and_a_conflict_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_OLD_PORT", "9000")
    monkeypatch.setenv("RATHAUS_PORT", "9000")
    with pytest.warns(DeprecationWarning):
        assert _Settings.load().port == 9000
    monkeypatch.setenv("RATHAUS_PORT", "9001")
    conflict = "RATHAUS_OLD_PORT: conflicts with RATHAUS_PORT"
    with pytest.warns(DeprecationWarning), pytest.raises(SettingsError, match=conflict):
        _Settings.load()


def test_a_secret_comes_from_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cret-from-a-file\n", encoding="utf-8")
    monkeypatch.setenv("RATHAUS_TOKEN_FILE", str(secret))
    settings = _Settings.load()
    assert settings.token is not None and settings.token.get_secret_value() == "s3cret-from-a-file"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)


def test_a_secret_file_that_is_missing_or_doubled_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="RATHAUS_TOKEN_FILE: cannot read"):
        _Settings.load()
    (tmp_path / "missing").write_text("x", encoding="utf-8")
    monkeypatch.setenv("RATHAUS_TOKEN", "also-set")
    with pytest.raises(SettingsError, match="set only one of them"):
        _Settings.load()


def test_a_secrets_input_is_not_shown_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Strict(RathausSettings):
        token: SecretStr = Field(min_length=30)

    monkeypatch.setenv("RATHAUS_TOKEN", "short-secret-value")
    with pytest.raises(SettingsError, match="RATHAUS_TOKEN") as raised:
        _Strict.load()
    assert "short-secret-value" not in str(raised.value)
