"""docs/configuration.md lists every variable of every settings class, and each deprecated name."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.live.settings import AsrSettings
from bot.settings import BotSettings
from channels.settings import GatewaySettings
from common.settings import RathausSettings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("settings", [GatewaySettings, AsrSettings, BotSettings])
def test_every_variable_is_in_the_table(settings: type[RathausSettings]) -> None:
    missing = [settings.variable(f) for f in settings.model_fields if f"`{settings.variable(f)}`" not in DOC]
    assert not missing, f"add to docs/configuration.md: {missing}"
    for old, field in settings.deprecated_variables.items():
        assert f"| `{old}` | `{settings.variable(field)}` |" in DOC
