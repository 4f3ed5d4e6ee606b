"""The single ``rathaus`` command. Each package owns its subcommands; this module only mounts them.

Sub-apps are imported lazily so that ``rathaus content check`` does not pay for loading
faster-whisper, and a package whose optional parts are missing does not break the others.
"""

from __future__ import annotations

import importlib

import typer

from asr.core.sink import AsrWiring, SubtitleSink

__all__ = ["app", "main", "open_subtitle_sink"]

app = typer.Typer(
    name="rathaus",
    help="Citizen chat (Rasa) and live German subtitles (faster-whisper) for a city's own servers.",
    no_args_is_help=True,
    add_completion=False,
)

# (subcommand name, "module:attribute" of its Typer app, help text)
_SUBAPPS: tuple[tuple[str, str, str], ...] = (
    ("content", "content.cli:app", "Check and build the editors' municipal content."),
    ("bot", "bot.cli:app", "Train, run and evaluate the Rasa assistant."),
    ("subtitles", "asr.offline.cli:app", "Subtitle recorded meetings (WebVTT/SRT)."),
    ("asr", "asr.cli:app", "Live subtitle service: serve, feed, evaluate, benchmark."),
    ("gateway", "channels.cli:app", "The public gateway for chat and subtitle viewers."),
    ("demo", "rathaus.demo:app", "Run the whole product locally with the Musterstadt sample content."),
)


def _mount() -> None:
    for name, target, help_text in _SUBAPPS:
        module_name, _, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only swallow "this sub-app does not exist"; a missing dependency inside it must surface.
            if exc.name not in {module_name, module_name.split(".")[0]}:
                raise
            continue
        sub = getattr(module, attribute)
        app.add_typer(sub, name=name, help=help_text)


def open_subtitle_sink(url: str | None, city: str | None = None) -> SubtitleSink:
    """The subtitle service publishes to the broker (``channels``): the one place the two are joined."""
    # Imported on use: only `rathaus asr serve` needs the broker, other commands stay light.
    from channels.subtitle_sink import open_broker_sink

    return open_broker_sink(url, city=city)


def main() -> None:
    _mount()
    app(prog_name="rathaus", obj=AsrWiring(open_sink=open_subtitle_sink))


if __name__ == "__main__":  # pragma: no cover
    main()
