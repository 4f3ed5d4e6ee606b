"""The broker sink of the subtitle service, and its wiring through the ``rathaus`` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from asr.cli import app as asr_app
from asr.core.sink import AsrWiring, SubtitleSink
from channels.broker import MemoryBroker
from channels.cities import CityBroker
from channels.messages import SubtitleCue, SubtitlePartial, SubtitleStream
from channels.subtitle_sink import BrokerSink, open_broker_sink
from common.subtitles import Cue
from content.root import ContentRootError
from rathaus import cli as rathaus_cli


async def test_cues_and_states_are_durable_partials_live_only() -> None:
    broker = MemoryBroker()
    sink: SubtitleSink = BrokerSink(broker)
    async with broker.subscribe("subtitles:rat") as events:
        await sink.state("rat", "started", None, origin=1_800_000_000.5)
        await sink.partial("rat", "Guten")
        await sink.cue("rat", Cue(1, 0.0, 1.5, ("Guten Abend.",)))
        await sink.state("rat", "ended", "Die Sitzung ist beendet.")
        got = [await anext(events) for _ in range(4)]
    assert [type(e.message) for e in got] == [SubtitleStream, SubtitlePartial, SubtitleCue, SubtitleStream]
    assert [e.durable for e in got] == [True, False, True, True]
    started = got[0].message
    assert isinstance(started, SubtitleStream) and started.origin == 1_800_000_000.5
    cue = got[2].message
    assert isinstance(cue, SubtitleCue) and (cue.seq, cue.lines, cue.stream) == (1, ("Guten Abend.",), "rat")
    stored = await broker.history("subtitles:rat")
    assert [type(e.message) for e in stored] == [SubtitleStream, SubtitleCue, SubtitleStream]
    await sink.aclose()
    await broker.publish("subtitles:rat", cue)  # BrokerSink(broker) does not own the broker: still open
    await broker.aclose()


async def test_the_rathaus_command_wires_the_broker_sink() -> None:
    sink = rathaus_cli.open_subtitle_sink("memory://")
    assert isinstance(sink, BrokerSink) and isinstance(sink.broker, MemoryBroker)
    await sink.aclose()  # owns its broker
    assert isinstance(open_broker_sink(None).broker, MemoryBroker)


def test_serve_without_the_rathaus_command_says_how_to_start_it() -> None:
    result = CliRunner().invoke(asr_app, ["serve", "--token", "x" * 32])
    assert result.exit_code == 1
    assert "rathaus asr serve" in result.output


def test_serve_finds_the_wiring_in_the_context() -> None:
    opened: list[str | None] = []

    def fail_open(url: str | None, city: str | None) -> SubtitleSink:
        opened.append(url)
        raise SystemExit(7)  # stop before a model is loaded

    wiring = AsrWiring(open_sink=fail_open)
    result = CliRunner().invoke(asr_app, ["serve", "--token", "x" * 32, "--broker-url", "memory://"], obj=wiring)
    assert opened == ["memory://"] and result.exit_code == 7


_CONTENT = Path(__file__).resolve().parents[2] / "content"


async def test_a_citys_sink_publishes_where_that_citys_viewers_read(monkeypatch: pytest.MonkeyPatch) -> None:
    root = _CONTENT
    monkeypatch.setenv("RATHAUS_CITIES", f"{root / 'musterstadt'},{root / 'beispielhausen'}")
    cue = Cue(index=1, start=0.0, end=2.0, lines=("Guten Abend",))
    other = open_broker_sink("memory://", city="beispielhausen")
    assert isinstance(other.broker, CityBroker)
    await other.cue("rat", cue)
    shared = other.broker.inner
    assert [e.topic for e in await shared.history("beispielhausen:subtitles:rat")] == ["beispielhausen:subtitles:rat"]
    assert await shared.history("subtitles:rat") == []  # never on the default city's stream of the same name
    await other.aclose()
    default = open_broker_sink("memory://", city="musterstadt")  # the default city keeps unprefixed topics
    assert isinstance(default.broker, MemoryBroker)
    await default.aclose()
    with pytest.raises(ContentRootError, match="atlantis"):
        open_broker_sink("memory://", city="atlantis")
