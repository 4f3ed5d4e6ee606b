"""The content folder resolver: RATHAUS_CONTENT, the deprecated names, conflicts and unusable folders."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from content.root import CONTENT_ENV, ContentRootError, resolve_content_root, sample_root


@pytest.fixture
def city(tmp_path: Path) -> Path:
    root = tmp_path / "stadt"
    root.mkdir()
    (root / "municipality.yml").write_text("name: Stadt\n", encoding="utf-8")
    return root


def test_unset_is_the_sample_municipality() -> None:
    assert resolve_content_root({}) == sample_root()
    assert (sample_root() / "municipality.yml").is_file()


def test_new_name(city: Path) -> None:
    assert resolve_content_root({CONTENT_ENV: str(city)}) == city


def test_reads_the_process_environment(city: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_CONTENT", str(city))
    assert resolve_content_root() == city


@pytest.mark.parametrize("old", ["RATHAUS_CONTENT_ROOT", "RATHAUS_ASR_CONTENT_ROOT"])
def test_old_names_still_work_with_a_warning(old: str, city: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="content.root"), pytest.warns(DeprecationWarning) as warned:
        assert resolve_content_root({old: str(city)}) == city
    assert any(old in str(w.message) and "RATHAUS_CONTENT instead" in str(w.message) for w in warned)
    assert any(old in r.getMessage() and "use=RATHAUS_CONTENT" in r.getMessage() for r in caplog.records)


def test_old_and_new_naming_the_same_folder_is_fine(city: Path) -> None:
    with pytest.warns(DeprecationWarning):
        assert resolve_content_root({CONTENT_ENV: str(city), "RATHAUS_CONTENT_ROOT": f"{city}/"}) == city


@pytest.mark.parametrize("old", ["RATHAUS_CONTENT_ROOT", "RATHAUS_ASR_CONTENT_ROOT"])
def test_old_and_new_that_differ_fail_naming_both(old: str, city: Path, tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(ContentRootError) as raised:
        resolve_content_root({CONTENT_ENV: str(city), old: str(tmp_path)})
    message = str(raised.value)
    assert CONTENT_ENV in message and old in message
    assert str(city) in message and str(tmp_path) in message


def test_two_old_names_that_differ_fail(city: Path, tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(ContentRootError) as raised:
        resolve_content_root({"RATHAUS_CONTENT_ROOT": str(city), "RATHAUS_ASR_CONTENT_ROOT": str(tmp_path)})
    assert "RATHAUS_CONTENT_ROOT" in str(raised.value) and "RATHAUS_ASR_CONTENT_ROOT" in str(raised.value)


def test_missing_folder_fails_naming_variable_and_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-city"
    with pytest.raises(ContentRootError) as raised:
        resolve_content_root({CONTENT_ENV: str(missing)})
    assert raised.value.variable == CONTENT_ENV and raised.value.path == str(missing)
    assert f"{CONTENT_ENV}={missing}: no such folder" in str(raised.value)


def test_folder_without_municipality_fails(tmp_path: Path) -> None:
    with pytest.raises(ContentRootError, match="has no municipality.yml"):
        resolve_content_root({CONTENT_ENV: str(tmp_path)})


def test_missing_folder_under_an_old_name_names_the_old_name(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(ContentRootError) as raised:
        resolve_content_root({"RATHAUS_ASR_CONTENT_ROOT": str(tmp_path / "gone")})
    assert raised.value.variable == "RATHAUS_ASR_CONTENT_ROOT"
