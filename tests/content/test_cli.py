from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from content.cli import app
from tests.content.conftest import Edit

runner = CliRunner()
TODAY = ["--today", "2026-11-23"]


def test_check_ok_exits_0(tree: Path) -> None:
    result = runner.invoke(app, ["check", str(tree), *TODAY])
    assert result.exit_code == 0, result.output
    assert "3 topics" in result.output and "0 error(s), 0 warning(s)" in result.output


def test_check_error_exits_1_with_file_line_field_hint(tree: Path, edit: Edit) -> None:
    edit(tree / "topics" / "reisepass.yml", "office: buergerbuero", "office: passamt")
    result = runner.invoke(app, ["check", str(tree), *TODAY])
    assert result.exit_code == 1
    assert "reisepass.yml:" in result.output and "office" in result.output and "hint:" in result.output
    assert "1 error(s)" in result.output


def test_check_warnings_only_exits_0(tree: Path, edit: Edit) -> None:
    edit(tree / "topics" / "reisepass.yml", "last_reviewed: 2026-06-01", "last_reviewed: 2024-01-01")
    result = runner.invoke(app, ["check", str(tree), *TODAY])
    assert result.exit_code == 0 and "1 warning(s)" in result.output


def test_check_json(tree: Path, edit: Edit) -> None:
    edit(tree / "topics" / "reisepass.yml", "office: buergerbuero", "office: passamt")
    result = runner.invoke(app, ["check", str(tree), "--format", "json", *TODAY])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 1 and report["warnings"] == 0
    (problem,) = report["problems"]
    assert problem["code"] == "unknown-office" and problem["field"] == "office" and problem["line"] > 1


def test_check_default_root_from_environment(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATHAUS_CONTENT", str(tree))
    result = runner.invoke(app, ["check", "--format", "json", *TODAY])
    assert result.exit_code == 0 and json.loads(result.stdout)["topics"] == 3


def test_check_rejects_bad_today(tree: Path) -> None:
    assert runner.invoke(app, ["check", str(tree), "--today", "gestern"]).exit_code == 2


def test_build_ok_and_error(tree: Path, tmp_path: Path, edit: Edit) -> None:
    out = tmp_path / "bot"
    ok = runner.invoke(app, ["build", str(tree), "--out", str(out), *TODAY])
    assert ok.exit_code == 0, ok.output
    assert (out / "content_index.json").is_file() and "3 topics, 36 examples" in ok.output
    before = (out / "content_index.json").read_bytes()
    edit(tree / "topics" / "reisepass.yml", "owner: Redaktion Bürgerbüro\n", "")
    bad = runner.invoke(app, ["build", str(tree), "--out", str(out), *TODAY])
    assert bad.exit_code == 1 and "nothing was written" in bad.output and "owner" in bad.output
    assert (out / "content_index.json").read_bytes() == before


def test_build_json(tree: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(tree), "--out", str(tmp_path), "--format", "json", *TODAY])
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and len(report["written"]) == 4 and len(report["content_hash"]) == 64


def test_vocabulary_command(tree: Path) -> None:
    result = runner.invoke(app, ["vocabulary", str(tree)])
    assert result.exit_code == 0
    assert result.output.splitlines()[:3] == ["Teststadt", "Ratssitzung", "Marktplatz"]
