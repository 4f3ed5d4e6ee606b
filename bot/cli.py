"""``rathaus bot``: train (cached), run, evaluate and benchmark the assistant."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot import BotError
from bot.evaluation import CaseResult, Summary, load_cases, summarise
from rathaus.net import free_port

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Train, run, evaluate and benchmark the Rasa assistant.")
console = Console()
logger = logging.getLogger(__name__)
_URL_HELP = "A running assistant (Rasa base URL); else one is started and stopped afterwards."


def _fail(exc: BotError) -> typer.Exit:
    console.print("[bold red]error:[/]", end=" ")
    console.print(str(exc), markup=False, highlight=False)
    return typer.Exit(code=1)


@contextlib.contextmanager
def _assistant(url: str | None) -> Iterator[str]:
    """The given assistant URL, or a freshly started one (trained first if inputs changed), stopped after."""
    if url:
        yield url.rstrip("/")
        return
    from bot.runner import RasaStack, StackOptions, train

    result = train(log=lambda message: console.print(f"[dim]{message}[/]", soft_wrap=True))
    options = StackOptions(rasa_port=free_port(), action_port=free_port())
    console.print("[dim]starting the Rasa server and the action server ...[/]")
    with RasaStack(result.model, options=options) as stack:
        yield stack.rasa_url


@app.command("train")
def train_command(
    force: Annotated[bool, typer.Option(
        "--force", help="Train even if a model for these inputs is cached.")] = False,
) -> None:
    """Build the content, then train the assistant unless the cache holds a model for the same inputs."""
    from bot.runner import train

    try:
        result = train(force=force, log=lambda message: console.print(f"[dim]{message}[/]", soft_wrap=True))
    except BotError as exc:
        raise _fail(exc) from exc
    state = "cached" if result.cached else f"trained in {result.seconds:.0f} s"
    console.print(f"[green]model ready[/] ({state}): {result.model}", soft_wrap=True)


@app.command("run")
def run_command(
    port: Annotated[int, typer.Option(help="Port of the Rasa server (REST webhook and HTTP API).")] = 5005,
    action_port: Annotated[int, typer.Option(help="Port of the action server.")] = 5055,
    host: Annotated[str, typer.Option(help="Interface the Rasa server listens on.")] = "127.0.0.1",
    redis_url: Annotated[str | None, typer.Option(
        envvar="RATHAUS_REDIS_URL",
        help="Keep conversations and locks in Redis (redis://[:pass@]host:port/db) for several instances.",
    )] = None,
    retention: Annotated[int, typer.Option(
        help="Seconds Redis keeps a conversation (RedisTrackerStore record_exp).")] = 86400,
    cors: Annotated[list[str] | None, typer.Option(
        help="Allowed CORS origin for the Rasa server (repeatable).")] = None,
    no_train: Annotated[bool, typer.Option(
        "--no-train", help="Use the cached model; fail if inputs changed.")] = False,
) -> None:
    """Run the Rasa server and the action server in the foreground until Ctrl-C."""
    from bot.runner import RasaStack, StackOptions, input_hash, model_path, train
    from rathaus.paths import cache_dir

    try:
        model = model_path(input_hash(Path(__file__).parent)) if no_train else train(
            log=lambda message: console.print(f"[dim]{message}[/]", soft_wrap=True)).model
        options = StackOptions(rasa_port=port, action_port=action_port, host=host, redis_url=redis_url,
                               chat_retention_s=retention, cors=tuple(cors or ()),
                               log_dir=cache_dir() / "logs" / "bot")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        console.print("starting the Rasa server and the action server ...")
        with RasaStack(model, options=options) as stack:
            console.print(f"[green]assistant ready[/]: REST webhook {stack.webhook_url}, "
                          f"actions {stack.action_url}; logs in {stack.log_dir}. Ctrl-C stops.")
            console.print("Rasa's HTTP API needs ?token=: " + (
                "RATHAUS_RASA_TOKEN" if os.environ.get("RATHAUS_RASA_TOKEN")
                else "a random token of this run; set RATHAUS_RASA_TOKEN to use the API"))
            # A crashed child is restarted with back-off; one that keeps crashing ends this command with
            # exit code 1 (BotError below), so systemd or Docker restarts the whole stack.
            stack.supervise(stop)
        console.print("stopped")
    except BotError as exc:
        raise _fail(exc) from exc


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def print_summary(summary: Summary) -> None:
    table = Table(title="Per-class accuracy", show_lines=False)
    table.add_column("expected")
    table.add_column("cases", justify="right")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    for score in summary.per_class:
        colour = "green" if score.accuracy >= 0.9 else ("yellow" if score.accuracy >= 0.7 else "red")
        accuracy = f"[{colour}]{_pct(score.accuracy)}[/]"
        table.add_row(score.label, str(score.total), str(score.correct), accuracy)
    console.print(table)
    if summary.confused:
        confused = Table(title="Most confused (expected -> got)")
        confused.add_column("expected")
        confused.add_column("got")
        confused.add_column("count", justify="right")
        for expect, got, count in summary.confused:
            confused.add_row(expect, got, str(count))
        console.print(confused)
    overview = Table(title=f"Summary over {summary.total} cases")
    overview.add_column("metric")
    overview.add_column("value", justify="right")
    overview.add_row("accuracy (all cases)", _pct(summary.accuracy))
    overview.add_row(f"in-scope correct topic ({summary.in_scope_total})", _pct(summary.in_scope_accuracy))
    overview.add_row("in-scope clarify rate", _pct(summary.clarify_rate))
    overview.add_row("in-scope rejected (answered out_of_scope)", _pct(summary.rejected_rate))
    overview.add_row(f"out-of-scope not answered with a topic ({summary.out_of_scope_total})",
                     _pct(summary.out_of_scope_not_answered))
    overview.add_row("out-of-scope precision", _pct(summary.out_of_scope_precision))
    overview.add_row("out-of-scope recall", _pct(summary.out_of_scope_recall))
    console.print(overview)
    for name, op, target, value, met in summary.targets():
        mark = "[green]met[/]" if met else "[red]missed[/]"
        console.print(f"target {name} {op} {_pct(target)}: {_pct(value)} {mark}")


def write_report(path: Path, summary: Summary, results: list[CaseResult]) -> None:
    report = {"summary": summary.to_dict(), "cases": [r.to_dict() for r in results]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(
        help="YAML file `cases: [{text, expect}]`, e.g. data/eval/chat.yml.")],
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report here.")] = None,
    url: Annotated[str | None, typer.Option("--url", help=_URL_HELP)] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Conversations in flight at once.")] = 4,
    fail_under: Annotated[float | None, typer.Option(
        "--fail-under", min=0.0, max=1.0,
        help="Exit with code 1 if in-scope accuracy is below this (0..1). Without it the exit code is 0.",
    )] = None,
) -> None:
    """Run an evaluation file against the assistant, one new conversation per case, and print metrics."""
    from bot.client import evaluate_cases

    try:
        cases = load_cases(file)
        console.print(f"{len(cases)} cases from {file}")
        with _assistant(url) as base_url:
            results = asyncio.run(evaluate_cases(base_url, cases, concurrency=concurrency))
    except BotError as exc:
        raise _fail(exc) from exc
    summary = summarise(results)
    print_summary(summary)
    if report is not None:
        write_report(report, summary, results)
        console.print(f"report written to {report}")
    if fail_under is not None and summary.in_scope_accuracy < fail_under:
        value, limit = _pct(summary.in_scope_accuracy), _pct(fail_under)
        console.print(f"[red]in-scope accuracy {value} is below {limit}[/]")
        raise typer.Exit(code=1)


@app.command("bench")
def bench_command(
    url: Annotated[str | None, typer.Option("--url", help=_URL_HELP)] = None,
    requests: Annotated[int, typer.Option(min=1, help="Round trips per concurrency level.")] = 200,
    levels: Annotated[str, typer.Option(help="Comma-separated concurrency levels.")] = "1,10,50",
) -> None:
    """Latency (p50/p95/p99) and throughput of the REST webhook at several concurrency levels."""
    from bot.bench import run_bench

    try:
        concurrency = [int(part) for part in levels.split(",") if part.strip()]
    except ValueError:
        console.print(f"[red]--levels {levels!r} must be comma-separated integers like 1,10,50[/]")
        raise typer.Exit(code=2) from None
    try:
        with _assistant(url) as base_url:
            results = asyncio.run(run_bench(base_url, levels=concurrency, requests=requests))
    except BotError as exc:
        raise _fail(exc) from exc
    table = Table(title=f"Assistant REST webhook, {requests} round trips per level")
    for column in ("concurrency", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "msg/s"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(str(r.concurrency), str(r.requests), str(r.errors), f"{r.p50_ms:.0f}",
                      f"{r.p95_ms:.0f}", f"{r.p99_ms:.0f}", f"{r.throughput:.1f}")
    console.print(table)


@app.command("baseline")
def baseline_command(
    file: Annotated[Path, typer.Argument(help="YAML file `cases: [{text, expect}]`, e.g. data/eval/chat.yml.")],
    content_root: Annotated[Path | None, typer.Option(
        "--content", help="Content folder [content/musterstadt or $RATHAUS_CONTENT].")] = None,
) -> None:
    """The bar to clear: a plain site search (BM25 over the topics' pages) on the same evaluation file."""
    import content
    from bot.baseline import SearchIndex, evaluate_baseline

    try:
        cases = load_cases(file)
        index = SearchIndex.from_content(content.load_content(content_root or content.default_root()))
    except (BotError, content.ContentError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(code=1) from exc
    summary, _ = evaluate_baseline(index, cases)
    table = Table(title=f"Site search baseline on {file} ({summary.in_scope} in-scope questions)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("first hit is the right topic", _pct(summary.top1))
    table.add_row("right topic among the first three hits", _pct(summary.top3))
    table.add_row("in-scope questions without any hit", _pct(summary.no_result))
    table.add_row(f"out-of-scope questions with hits ({summary.out_of_scope})", _pct(summary.out_of_scope_with_results))
    console.print(table)
    console.print("Compare with `rathaus bot eval` (in-scope accuracy, out-of-scope not answered).")
