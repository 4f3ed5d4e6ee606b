"""Subtitle service settings: hotwords from the content folder in RATHAUS_CONTENT, via content.vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.core.options import content_hotwords, format_hotwords
from asr.live.settings import AsrSettings
from content import vocabulary
from content.root import ContentRootError
from tests.fixtures.content import other_city


@pytest.fixture(autouse=True)
def _clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RATHAUS_CONTENT", "RATHAUS_CONTENT_ROOT", "RATHAUS_ASR_CONTENT_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def _served_hotwords() -> str | None:
    """Settings and stream options as ``rathaus asr serve`` builds them (SubtitleService.from_settings)."""
    settings = AsrSettings()
    return settings.stream_options(language=settings.language).hotwords


def test_rathaus_content_gives_that_citys_hotwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    city = other_city(tmp_path)
    monkeypatch.setenv("RATHAUS_CONTENT", str(city.root))
    hotwords = _served_hotwords()
    assert hotwords is not None
    assert city.word in hotwords and city.name in hotwords
    assert city.dropped_street not in hotwords and "Musterstadt" not in hotwords


def test_hotwords_are_the_content_vocabulary_formatted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    city = other_city(tmp_path)
    monkeypatch.setenv("RATHAUS_CONTENT", str(city.root))
    assert _served_hotwords() == format_hotwords(vocabulary(city.root)) == content_hotwords()


def test_old_asr_variable_in_dotenv_still_works(tmp_path: Path) -> None:
    city = other_city(tmp_path)
    (tmp_path / ".env").write_text(f"RATHAUS_ASR_CONTENT_ROOT={city.root}\n", encoding="utf-8")
    with pytest.warns(DeprecationWarning, match="RATHAUS_ASR_CONTENT_ROOT"):
        settings = AsrSettings()
    assert settings.content_root == city.root


def test_missing_content_folder_stops_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_CONTENT", str(tmp_path / "typo"))
    with pytest.raises(ContentRootError, match="RATHAUS_CONTENT=.*typo: no such folder"):
        AsrSettings()


def test_an_explicit_content_root_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    city = other_city(tmp_path)
    monkeypatch.setenv("RATHAUS_CONTENT", str(tmp_path / "typo"))
    assert AsrSettings(content_root=city.root).content_root == city.root


def test_format_hotwords_keeps_order_and_length() -> None:
    assert format_hotwords(["Rathausplatz", " Am   Stadtpark ", ""]) == "Rathausplatz, Am Stadtpark"
    assert format_hotwords(["x" * 50, "kurz"], max_chars=20) == "kurz"
    assert format_hotwords([]) is None


def test_the_broker_and_metrics_token_have_the_gateways_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_BROKER_URL", "redis://127.0.0.1:6399/0")
    monkeypatch.setenv("RATHAUS_METRICS_TOKEN", "m" * 32)
    settings = AsrSettings.load()
    assert settings.broker_url == "redis://127.0.0.1:6399/0"
    assert settings.metrics_token is not None and settings.metrics_token.get_secret_value() == "m" * 32


def test_the_old_asr_broker_name_still_works_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RATHAUS_BROKER_URL", raising=False)
    monkeypatch.setenv("RATHAUS_ASR_BROKER_URL", "redis://127.0.0.1:6398/0")
    with pytest.warns(DeprecationWarning, match="RATHAUS_ASR_BROKER_URL.*RATHAUS_BROKER_URL"):
        assert AsrSettings.load().broker_url == "redis://127.0.0.1:6398/0"


def test_the_ingest_token_comes_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ingest").write_text("i" * 40 + "\n", encoding="utf-8")
    monkeypatch.setenv("RATHAUS_ASR_INGEST_TOKEN_FILE", str(tmp_path / "ingest"))
    token = AsrSettings.load().ingest_token
    assert token is not None and token.get_secret_value() == "i" * 40


def test_model_defaults_are_model_options_defaults() -> None:
    from asr.whisper.flags import DEFAULT

    assert AsrSettings.load().model_options() == DEFAULT


def _two_cities(monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    root = Path(__file__).resolve().parents[2] / "content"
    musterstadt, beispielhausen = root / "musterstadt", root / "beispielhausen"
    monkeypatch.setenv("RATHAUS_CITIES", f"{musterstadt},{beispielhausen}")
    return musterstadt, beispielhausen


def test_a_city_of_the_installation_gives_its_own_hotwords(monkeypatch: pytest.MonkeyPatch) -> None:
    _musterstadt, beispielhausen = _two_cities(monkeypatch)
    monkeypatch.setenv("RATHAUS_ASR_CITY", "beispielhausen")
    settings = AsrSettings()
    assert settings.city == "beispielhausen" and settings.content_root == beispielhausen
    hotwords = settings.stream_options().hotwords
    assert hotwords is not None and "Beispielhausen" in hotwords and "Musterstadt" not in hotwords
    # without a city, the default (first) city, as before
    monkeypatch.delenv("RATHAUS_ASR_CITY")
    default = AsrSettings().stream_options().hotwords
    assert default is not None and "Musterstadt" in default and "Beispielhausen" not in default


def test_a_city_the_installation_does_not_serve_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _two_cities(monkeypatch)
    with pytest.raises(ContentRootError) as caught:
        AsrSettings.load(city="atlantis")
    message = str(caught.value)
    assert "RATHAUS_ASR_CITY" in message and "atlantis" in message
    assert "musterstadt, beispielhausen" in message


def test_decoder_and_batch_size_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (AsrSettings().decoder, AsrSettings().batch_size) == ("faster-whisper", 1)
    monkeypatch.setenv("RATHAUS_ASR_DECODER", "faster-whisper")
    monkeypatch.setenv("RATHAUS_ASR_BATCH_SIZE", "4")
    assert (AsrSettings().decoder, AsrSettings().batch_size) == ("faster-whisper", 4)
    monkeypatch.setenv("RATHAUS_ASR_DECODER", "whisper.cpp")
    with pytest.raises(ValueError, match="decoder"):
        AsrSettings()
