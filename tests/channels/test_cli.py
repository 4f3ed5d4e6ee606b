from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from channels.cli import app


def test_schema_command_writes_the_json_schema(tmp_path: Path) -> None:
    target = tmp_path / "schema" / "messages.json"
    result = CliRunner().invoke(app, ["schema", "-o", str(target)])
    assert result.exit_code == 0, result.output
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert schema["version"] == 1 and "ChatReply" in schema["$defs"]
    stdout = CliRunner().invoke(app, ["schema"])
    assert json.loads(stdout.stdout) == schema


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "schema", "bench"):
        assert command in result.output
