"""``rathaus asr serve`` and ``rathaus asr feed``: run the live subtitle service and feed it.

* ``rathaus asr serve``  - WebSocket ingest + shared model + broker publishing (and optional sources)
* ``rathaus asr feed``   - stream a file or URL into an ingest at real-time speed (used by ``make demo``)

``rathaus asr eval``/``bench`` live in :mod:`asr.eval.cli`; :mod:`asr.cli` joins both into ``rathaus asr``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from asr.core.sink import AsrWiring, SinkOpener
from asr.errors import AsrError
from common.settings import SettingsError
from common.streams import STREAM_ID_HINT, valid_stream_id
from content.errors import ContentError

if TYPE_CHECKING:  # the service and PyAV load on use: `rathaus asr feed --help` stays light
    from asr.live.service import SubtitleService
    from asr.live.sources import SourceOptions

__all__ = ["app", "console", "fail", "setup_logging", "transcribe_source"]

app = typer.Typer(no_args_is_help=True, help="Live subtitle service: serve and feed.")
console = Console(stderr=True)
log = logging.getLogger(__name__)


def fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if not verbose:  # one line per decode step is too chatty for operators
        logging.getLogger("faster_whisper").setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------- serve
@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="interface to listen on [RATHAUS_ASR_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="ingest port [RATHAUS_ASR_PORT, 8765]")] = None,
    token: Annotated[str | None, typer.Option(help="ingest token [RATHAUS_ASR_INGEST_TOKEN]")] = None,
    broker_url: Annotated[str | None, typer.Option(help="memory:// or redis://... [RATHAUS_BROKER_URL]")] = None,
    model: Annotated[str | None, typer.Option(help="base, large-v3-turbo or a model dir [RATHAUS_ASR_MODEL]")] = None,
    device: Annotated[str | None, typer.Option(help="cpu or cuda [RATHAUS_ASR_DEVICE]")] = None,
    compute_type: Annotated[str | None, typer.Option(help="int8, float16, ... [RATHAUS_ASR_COMPUTE_TYPE]")] = None,
    num_workers: Annotated[int | None, typer.Option(help="parallel decode steps [RATHAUS_ASR_NUM_WORKERS]")] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(help="STREAM=SOURCE: also ingest a file/HLS/RTMP source directly (repeatable)"),
    ] = None,
    loop: Annotated[bool, typer.Option(help="restart file sources at their end (demo)")] = False,
    city: Annotated[
        str | None, typer.Option(help="the city of RATHAUS_CITIES whose streams these are [RATHAUS_ASR_CITY]")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the live subtitle service until Ctrl-C: WebSocket ingest on /ingest, /healthz, /metrics."""
    from asr.live.settings import AsrSettings

    setup_logging(verbose)
    overrides = {
        "host": host,
        "port": port,
        "ingest_token": token,
        "broker_url": broker_url,
        "model": model,
        "device": device,
        "compute_type": compute_type,
        "num_workers": num_workers,
        "city": city,
    }
    try:
        settings = AsrSettings.load(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise fail(str(exc)) from exc
    except ContentError as exc:  # RATHAUS_CONTENT unusable (content/root.py)
        raise fail(str(exc)) from exc
    sources = _parse_sources(source or [])
    if settings.ingest_token is None and not sources:
        raise fail("set RATHAUS_ASR_INGEST_TOKEN (or --token), or give --source STREAM=URL to ingest directly")
    wiring = ctx.find_root().obj
    if not isinstance(wiring, AsrWiring):
        raise fail("no subtitle sink is wired in: start the service as `rathaus asr serve`")
    try:
        asyncio.run(_serve(settings, sources, loop_sources=loop, open_sink=wiring.open_sink))
    except AsrError as exc:
        raise fail(str(exc)) from exc


def _parse_sources(items: list[str]) -> dict[str, str]:
    sources: dict[str, str] = {}
    for item in items:
        stream, sep, where = item.partition("=")
        if not sep or not stream or not where:
            raise fail(f"--source {item!r}: expected STREAM=SOURCE, e.g. rat=https://example/live/index.m3u8")
        if stream in sources:
            raise fail(f"--source: stream id {stream!r} given twice")
        if not valid_stream_id(stream):
            raise fail(f"--source: stream id {stream!r} is not valid ({STREAM_ID_HINT})")
        sources[stream] = where
    return sources


async def _serve(settings: Any, sources: dict[str, str], *, loop_sources: bool, open_sink: SinkOpener) -> None:
    from asr.live.ingest import start_ingest
    from asr.live.service import SubtitleService
    from asr.live.sources import SourceOptions

    try:
        sink = open_sink(settings.broker_url, settings.city)
    except ContentError as exc:  # a city the installation does not serve
        raise AsrError(str(exc)) from exc
    console.print(f"loading model [bold]{settings.model}[/] on {settings.device} ...")
    service = await asyncio.to_thread(SubtitleService.from_settings, settings, sink=sink)
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            running.add_signal_handler(sig, stop.set)
    source_options = SourceOptions(open_timeout_s=settings.open_timeout_s, read_timeout_s=settings.read_timeout_s)

    async with service:
        server = None
        if settings.ingest_token is not None:
            server = await start_ingest(
                service,
                host=settings.host,
                port=settings.port,
                token=settings.ingest_token.get_secret_value(),
                max_frame_bytes=settings.max_frame_bytes,
                metrics_token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
            )
            console.print(f"ingest on ws://{settings.host}:{settings.port}/ingest  (health: /healthz, /metrics)")
        tasks = [
            asyncio.create_task(
                transcribe_source(service, s, w, options=source_options, language=settings.language,
                                  loop=loop_sources),
                name=f"source-{s}",
            )
            for s, w in sources.items()
        ]
        try:
            await stop.wait()
        finally:
            console.print("stopping: flushing streams ...")
            if server is not None:
                server.close()
                await server.wait_closed()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    await sink.aclose()


async def transcribe_source(
    service: SubtitleService, stream: str, where: str, *, options: SourceOptions, language: str, loop: bool
) -> None:
    """``--source STREAM=URL``: read ``where`` at real time into a new stream of ``service``, announcing the
    source's origin (an HLS livestream's program date time of stream time 0) with ``started``; a source
    that cannot be opened or stops ends the stream with an error state after its cues."""
    from asr.live.sources import LiveSource, open_source

    detail = None
    failed = False
    opened: LiveSource | None = None
    try:  # metadata first: an HLS livestream says when its stream time 0 was
        opened = await open_source(where, options=options, realtime=True, loop_forever=loop)
    except AsrError as exc:
        detail, failed = "Die Tonquelle ist nicht erreichbar.", True
        log.error("asr.source.failed stream=%s source=%s error=%s", stream, where, exc)
    handle = await service.open_stream(stream, language=language, origin=opened.origin if opened else None)
    try:
        if opened is not None:
            async for pcm in opened:
                await handle.feed(pcm)
    except AsrError as exc:
        detail, failed = "Die Tonquelle ist nicht erreichbar.", True
        log.error("asr.source.failed stream=%s source=%s error=%s", stream, where, exc)
    finally:
        await asyncio.shield(handle.end(detail, failed=failed))


# ---------------------------------------------------------------------------------------------- feed
@app.command()
def feed(
    source: Annotated[str, typer.Argument(help="audio/video file or URL (HLS, RTMP, HTTP)")],
    stream: Annotated[str, typer.Option(help="stream id, e.g. rat-2026-09-15")],
    url: Annotated[str, typer.Option(help="ingest WebSocket URL")] = "ws://127.0.0.1:8765/ingest",
    token: Annotated[str | None, typer.Option(envvar="RATHAUS_ASR_INGEST_TOKEN", help="ingest token")] = None,
    language: Annotated[str, typer.Option(help="spoken language")] = "de",
    loop: Annotated[bool, typer.Option(help="start the file again at its end (demo), until Ctrl-C")] = False,
    fast: Annotated[bool, typer.Option(help="send as fast as the service takes it, not real time")] = False,
    open_timeout: Annotated[float, typer.Option(help="seconds to wait for a URL source")] = 10.0,
) -> None:
    """Stream SOURCE into a running ingest at real-time speed, then end the stream."""
    from asr.live.feed import feed_source

    if not token:
        raise fail("the ingest needs a token: --token or RATHAUS_ASR_INGEST_TOKEN")
    try:
        result = asyncio.run(
            feed_source(
                source,
                stream=stream,
                url=url,
                token=token,
                language=language,
                loop_forever=loop,
                realtime=not fast,
                open_timeout=open_timeout,
            )
        )
    except AsrError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"cannot reach the ingest at {url}: {exc}; is `rathaus asr serve` running?") from exc
    if result is None:
        raise fail(f"the ingest closed stream {stream!r} without its end report")
    console.print(f"stream [bold]{stream}[/] ended: {result.cues} cues, {result.audio_s} s audio")
