"""``rathaus asr eval`` and ``rathaus asr bench``: measure the live path.

* ``rathaus asr eval``   - live and file-path WER against plain faster-whisper (the anchor), missing
  words, guard drops, commit latency, silence and cue checks on clip pairs
* ``rathaus asr bench``  - how many real-time streams one process sustains
* ``rathaus asr soak``   - a 30-minute session through the live pipeline: latency creep, memory growth,
  lost cues (:mod:`asr.eval.soak`)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from asr.errors import AsrError
from asr.live.cli import console, fail
from asr.whisper.flags import (
    DEFAULT,
    ComputeTypeFlag,
    CpuThreadsFlag,
    DecoderFlag,
    DeviceFlag,
    ModelFlag,
    NumWorkersFlag,
)

if TYPE_CHECKING:  # pragma: no cover
    from asr.eval.report import EvalSummary

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Measure the live subtitle path: eval, bench, soak.")


# ---------------------------------------------------------------------------------------------- eval
def _default_clip_dir() -> Path:
    from common.paths import repo_root

    return repo_root() / "data" / "eval" / "asr" / "clips"


def _generate(out: Path) -> Path:
    import importlib.util

    from common.paths import repo_root

    script = repo_root() / "data" / "eval" / "asr" / "generate.py"
    spec = importlib.util.spec_from_file_location("rathaus_eval_generate", script)
    if spec is None or spec.loader is None:
        raise AsrError(f"cannot load the clip generator {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    module.generate(out)
    return out / "manifest.json"


def _manifest_pairs(manifest: Path) -> list[tuple[Path, Path]]:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return [(manifest.parent / c["audio"], manifest.parent / c["ref"]) for c in data["clips"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AsrError(f"{manifest}: not a clip manifest ({exc}); create it with --generate") from exc


@app.command("eval")
def eval_(
    audio: Annotated[list[Path] | None, typer.Option(help="clip to evaluate (repeatable, pairs with --ref)")] = None,
    ref: Annotated[list[Path] | None, typer.Option(help="reference text of the clip (empty file: silence)")] = None,
    manifest: Annotated[Path | None, typer.Option(help="manifest.json written by the clip generator")] = None,
    generate: Annotated[bool, typer.Option(help="render the project's clips first (espeak-ng) and use them")] = False,
    clips_dir: Annotated[Path | None, typer.Option(help="where --generate writes [data/eval/asr/clips]")] = None,
    report: Annotated[Path | None, typer.Option(help="write the JSON report here")] = None,
    model: ModelFlag = DEFAULT.model,
    device: DeviceFlag = DEFAULT.device,
    compute_type: ComputeTypeFlag = DEFAULT.compute_type,
    cpu_threads: CpuThreadsFlag = DEFAULT.cpu_threads,
    clock: Annotated[
        str, typer.Option(help="cpu: compute = process CPU time (robust on a shared machine); wall")
    ] = "cpu",
    beam_size: Annotated[int | None, typer.Option(help="beam size of the live decoder")] = None,
    temperature: Annotated[
        list[float] | None, typer.Option(help="live decoding temperatures, fallback order (repeatable)")
    ] = None,
    min_chunk_s: Annotated[float | None, typer.Option(help="decode every this many seconds of new audio")] = None,
    max_commit_delay_s: Annotated[float | None, typer.Option(help="latency bound of the commit policy")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="any StreamOptions field, FIELD=VALUE (repeatable), e.g. encoder_pad_s=none"),
    ] = None,
    chunk_s: Annotated[float, typer.Option(help="size of the simulated arriving audio chunks")] = 0.1,
    repeat: Annotated[
        int, typer.Option(min=1, help="live runs per clip, pooled (single runs vary: step timing changes the buffers)")
    ] = 1,
    show_text: Annotated[bool, typer.Option(help="print reference and every transcript")] = False,
    both_offline: Annotated[
        bool,
        typer.Option("--both-offline/--default-offline", help="file path batched and sequential, or its default only"),
    ] = True,
    decoder: DecoderFlag = "faster-whisper",
) -> None:
    """Live and file path against the anchor (plain faster-whisper) on AUDIO/REF pairs: WER, missing
    words, guard drops, latency, first partial, RTF, silence, cue rules."""
    from asr.core.options import ModelOptions, options_to_dict
    from asr.eval.evaluate import apply_overrides, load_clip, run_eval, stream_options_for_eval
    from asr.eval.report import summarize
    from asr.whisper.model import get_shared_model

    audio, ref = list(audio or []), list(ref or [])
    if len(audio) != len(ref):
        raise fail(f"{len(audio)} --audio but {len(ref)} --ref: give one --ref per --audio, in order")
    pairs = list(zip(audio, ref, strict=True))
    try:
        if generate:
            manifest = _generate(clips_dir or _default_clip_dir())
        if manifest is not None:
            pairs += _manifest_pairs(manifest)
        if not pairs:
            raise fail("nothing to evaluate: give --audio A.wav --ref A.txt pairs, --manifest or --generate")
        clips = [load_clip(a, r) for a, r in pairs]
        model_options = ModelOptions(
            model=model,
            device=device,  # type: ignore[arg-type]
            compute_type=compute_type,
            cpu_threads=cpu_threads,
        )
        stream_options = stream_options_for_eval(
            min_chunk_s=min_chunk_s,
            max_commit_delay_s=max_commit_delay_s,
            beam_size=beam_size,
            temperatures=tuple(temperature) if temperature else None,
        )
        stream_options = apply_overrides(stream_options, set_ or [])
        console.print(f"loading model [bold]{model}[/] ({device}, {model_options.effective_compute_type}) ...")
        whisper = get_shared_model(model_options)
    except AsrError as exc:
        raise fail(str(exc)) from exc

    def progress(result: Any) -> None:
        name = Path(result.audio).name
        console.print(
            f"  {name:<36} WER live {_pct(result.wer_streaming)} / file {_pct(result.wer_offline)} / "
            f"anchor {_pct(result.wer_anchor)}  missing run {result.missing_run_streaming}/"
            f"{result.missing_run_offline}/{result.missing_run_anchor}  "
            f"p50 {_sec(result.latency_p50_s)} p95 {_sec(result.latency_p95_s)}  RTF {result.rtf:.2f}  "
            f"silence {result.words_in_silence}  cue errors {result.cue_violations}  "
            f"drops {_drops(result.dropped_words)} / file {_drops(result.offline_dropped_words)}"
        )
        if show_text:
            live = "\n".join(f"    str: {text}" for text in result.streaming_texts)
            other = result.other_offline
            console.print(
                f"    ref: {result.reference.strip()}\n{live}\n    off: {result.offline_text}\n"
                f"    anc: {result.anchor_text}" + (f"\n    {other.path}: {other.text}" if other else ""),
                highlight=False,
            )

    try:
        results = run_eval(
            clips,
            model=whisper,
            stream_options=stream_options,
            chunk_s=chunk_s,
            on_clip=progress,
            clock=clock,
            repeat=repeat,
            both_offline=both_offline,
            decoder_kind=decoder,
        )
    except AsrError as exc:
        raise fail(str(exc)) from exc
    options = {
        "model": options_to_dict(model_options),
        "stream": options_to_dict(stream_options),
        "chunk_s": chunk_s,
        "decoder": decoder,
        "clock": clock,
        "load_average": list(os.getloadavg()),
    }
    summary = summarize(results, options=options)
    _print_eval(results, summary)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        payload = {"summary": summary.to_json(), "clips": [r.to_json() for r in results]}
        report.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        console.print(f"report written to {report}")


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def _sec(value: float | None) -> str:
    return "  -  " if value is None else f"{value:4.2f}s"


def _drops(counts: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in counts) or "none"


def _ratio_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print_eval(results: list[Any], summary: EvalSummary) -> None:
    table = Table(title="Live subtitles: live and file path against the anchor (plain faster-whisper)")
    for column in (
        "clip",
        "WER live",
        "WER file",
        "WER anchor",
        "missing run live/file/anchor",
        "p50",
        "p95",
        "1st partial",
        "RTF",
        "in silence",
        "cue errors",
    ):
        table.add_column(column, justify="left" if column == "clip" else "right")
    for r in results:
        table.add_row(
            Path(r.audio).name,
            _pct(r.wer_streaming),
            _pct(r.wer_offline),
            _pct(r.wer_anchor),
            f"{r.missing_run_streaming}/{r.missing_run_offline}/{r.missing_run_anchor}",
            _sec(r.latency_p50_s),
            _sec(r.latency_p95_s),
            _sec(r.first_partial_s),
            f"{r.rtf:.2f}",
            str(r.words_in_silence),
            str(r.cue_violations),
        )
    out = Console(width=140)
    out.print(table)
    met, t = summary.met, summary.targets

    def mark(ok: bool) -> str:
        return "[green]met[/]" if ok else "[red]NOT met[/]"

    out.print(
        f"live WER {_pct(summary.wer_streaming)} / anchor WER {_pct(summary.wer_anchor)} = "
        f"{_ratio_text(summary.wer_ratio)} (target <= {t.wer_ratio}): {mark(met.wer_ratio)}"
    )
    out.print(
        f"file path ({summary.offline_path}) WER {_pct(summary.wer_offline)} / anchor WER "
        f"{_pct(summary.wer_anchor)} = {_ratio_text(summary.offline_wer_ratio)} "
        f"(target <= {t.offline_wer_ratio}): {mark(met.offline_wer_ratio)}"
    )
    if summary.other_offline_path is not None:
        out.print(
            f"file path ({summary.other_offline_path}) WER {_pct(summary.wer_other_offline)} / anchor WER "
            f"{_pct(summary.wer_anchor)} = {_ratio_text(summary.other_offline_wer_ratio)} (not the default)"
        )
    out.print(f"live WER / file path WER = {_ratio_text(summary.live_offline_ratio)} (earlier sessions' ratio)")
    out.print(
        f"longest run of missing reference words: live {summary.longest_missing_run_streaming}, file "
        f"{summary.longest_missing_run_offline}, anchor {summary.longest_missing_run_anchor}"
    )
    out.print(
        f"guard drops (words): live {_drops(summary.dropped_words)}; "
        f"file path {_drops(summary.offline_dropped_words)}"
    )
    out.print(
        f"commit latency p50 {_sec(summary.latency_p50_s)} (target <= {t.latency_p50_s} s): "
        f"{mark(met.latency_p50_s)}"
    )
    out.print(
        f"commit latency p95 {_sec(summary.latency_p95_s)} (target <= {t.latency_p95_s} s): "
        f"{mark(met.latency_p95_s)}"
    )
    out.print(f"words in silence {summary.words_in_silence} (target 0): {mark(met.words_in_silence)}")
    out.print(
        f"cue rule violations {summary.cue_violations} (target 0; {summary.cue_warnings} "
        f"reading-speed/line-break warnings): {mark(met.cue_violations)}"
    )
    out.print(
        f"first partial p50 {_sec(summary.first_partial_p50_s)}, RTF live {_num(summary.rtf_streaming)}, "
        f"file {_num(summary.rtf_offline)}, anchor {_num(summary.rtf_anchor)}"
    )
    if summary.runs > 1:
        out.print(f"pooled over {summary.runs} live runs per clip; each run alone:")
        for k, run in enumerate(summary.per_run, 1):
            out.print(
                f"  run {k}: live/anchor {_ratio_text(run.wer_ratio)}, "
                f"p50 {_sec(run.latency_p50_s)}, p95 {_sec(run.latency_p95_s)}"
            )
    out.print("[bold green]all targets met[/]" if summary.all_met else "[bold red]some targets not met[/]")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


# --------------------------------------------------------------------------------------------- bench
@app.command()
def bench(
    streams: Annotated[
        list[int] | None, typer.Option(help="numbers of concurrent streams to try (repeatable) [1 2 3]")
    ] = None,
    duration: Annotated[float, typer.Option(help="seconds of real-time audio per stream and run")] = 60.0,
    audio: Annotated[Path | None, typer.Option(help="clip to loop [the generated eval clips]")] = None,
    model: ModelFlag = DEFAULT.model,
    device: DeviceFlag = DEFAULT.device,
    compute_type: ComputeTypeFlag = DEFAULT.compute_type,
    cpu_threads: CpuThreadsFlag = DEFAULT.cpu_threads,
    num_workers: NumWorkersFlag = DEFAULT.num_workers,
    max_lag: Annotated[float, typer.Option(help="a run is sustained while decode lag p95 stays below this")] = 5.0,
    report: Annotated[Path | None, typer.Option(help="write the results as JSON")] = None,
    decoder: DecoderFlag = "faster-whisper",
    batch_size: Annotated[
        int, typer.Option(min=1, help="streams per batched decode step (1: each stream alone; ctranslate2 only)")
    ] = 1,
) -> None:
    """Feed N streams at real time into one process and report lag; the largest sustained N wins."""
    from asr.eval.capacity import CapacityConfig, run_capacity

    config = CapacityConfig(
        streams=tuple(sorted(set(streams or [1, 2, 3]))),
        duration_s=duration,
        model=model,
        device=device,
        compute_type=compute_type,
        cpu_threads=cpu_threads,
        num_workers=num_workers,
        max_lag_s=max_lag,
        decoder=decoder,
        batch_size=batch_size,
    )
    try:
        clip = audio or _bench_clip()
        rows = asyncio.run(run_capacity(config, clip, progress=lambda m: console.print(m)))
    except AsrError as exc:
        raise fail(str(exc)) from exc
    table = Table(title=f"Concurrent real-time streams ({model}, {device}, {num_workers} worker(s), {duration:g} s)")
    for column in (
        "streams",
        "decode lag p50",
        "lag p95",
        "lag max",
        "commit p50",
        "commit p95",
        "backlog at end",
        "busy",
        "sustained",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            str(row.streams),
            _sec(row.lag_p50_s),
            _sec(row.lag_p95_s),
            _sec(row.lag_max_s),
            _sec(row.commit_p50_s),
            _sec(row.commit_p95_s),
            f"{row.backlog_s:.1f}s",
            f"{100 * row.busy:.0f}%",
            "[green]yes[/]" if row.sustained else "[red]no[/]",
        )
    Console(width=120).print(table)
    best = max((r.streams for r in rows if r.sustained), default=0)
    Console(width=120).print(
        f"max sustained concurrent streams: [bold]{best}[/] (lag p95 <= {max_lag:g} s, backlog <= 2 s)"
    )
    if report is not None:
        payload = {"config": config.to_json(), "runs": [r.to_json() for r in rows], "max_streams": best}
        report.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def _bench_clip() -> Path:
    clips = _default_clip_dir()
    manifest = clips / "manifest.json"
    if not manifest.is_file():
        _generate(clips)
    return clips


# ---------------------------------------------------------------------------------------------- soak
@app.command()
def soak(
    minutes: Annotated[float, typer.Option(help="length of the generated session")] = 30.0,
    seed: Annotated[int, typer.Option(help="seed of the generated session")] = 9,
    session_dir: Annotated[Path, typer.Option(help="where the session is generated (once) and read")] = Path(
        "out/asr-soak"
    ),
    window: Annotated[float, typer.Option(help="seconds of audio compared at the start and at the end")] = 300.0,
    warmup: Annotated[float, typer.Option(help="RSS 'start' is taken after this many seconds of audio")] = 60.0,
    anchor: Annotated[bool, typer.Option(help="also run plain faster-whisper over the session (WER ratio)")] = True,
    clock: Annotated[str, typer.Option(help="cpu: compute = process CPU time; wall: elapsed time")] = "cpu",
    model: ModelFlag = DEFAULT.model,
    device: DeviceFlag = DEFAULT.device,
    compute_type: ComputeTypeFlag = DEFAULT.compute_type,
    cpu_threads: CpuThreadsFlag = DEFAULT.cpu_threads,
    report: Annotated[Path | None, typer.Option(help="write the results as JSON")] = None,
    decoder: DecoderFlag = "faster-whisper",
) -> None:
    """Stream one long session (speech, long pauses, applause) through the live pipeline on the simulated
    clock; latency first vs last 5 minutes, RSS growth, lost cues, silence, cue rules, WER vs the anchor.
    Exit code 1 when a target is missed."""
    from functools import partial

    from asr.core.options import ModelOptions, StreamOptions, options_to_dict
    from asr.eval.anchor import anchor_transcribe
    from asr.eval.evaluate import load_clip
    from asr.eval.session import SessionOptions, generate_session, session_name
    from asr.eval.soak import run_soak, soak_lines
    from asr.live.sources import read_pcm
    from asr.whisper.engine import live_transcriber, make_decoder
    from asr.whisper.model import get_shared_model

    if clock not in ("cpu", "wall"):
        raise fail(f"--clock must be cpu or wall, got {clock!r}")
    options = SessionOptions(minutes=minutes, seed=seed)
    audio = session_dir / f"{session_name(options)}.wav"
    try:
        if not audio.is_file():
            console.print(f"rendering the session into {session_dir} ...")
            generate_session(session_dir, options)
        clip = load_clip(audio, audio.with_suffix(".txt"))
        samples = read_pcm(audio).astype(np.float32) / 32768.0
        model_options = ModelOptions(model=model, device=device, compute_type=compute_type, cpu_threads=cpu_threads)  # type: ignore[arg-type]
        console.print(f"loading model [bold]{model}[/] ({device}, {model_options.effective_compute_type}) ...")
        whisper = get_shared_model(model_options)
        stream_options = StreamOptions()
        timer = time.process_time if clock == "cpu" else time.perf_counter
        result = run_soak(
            clip,
            samples,
            live_transcriber(make_decoder(whisper, decoder), stream_options),
            anchor=partial(anchor_transcribe, whisper, audio, language=stream_options.language or "de", timer=timer)
            if anchor
            else None,
            window_s=window,
            warmup_s=warmup,
            timer=timer,
            progress=console.print,
        )
    except AsrError as exc:
        raise fail(str(exc)) from exc
    load = os.getloadavg()
    for line in soak_lines(result):
        console.print(line, highlight=False)
    console.print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", highlight=False)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "session": str(audio),
            "options": {"model": options_to_dict(model_options), "stream": options_to_dict(stream_options),
                        "clock": clock, "decoder": decoder, "load_average_end": list(load)},
            "result": result.to_json(),
        }  # fmt: skip
        report.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if not result.all_met:
        raise typer.Exit(1)
