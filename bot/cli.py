"""``rathaus bot``: train (cached), run, evaluate and benchmark the assistant."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot import BotError
from bot.conversations import ConversationResult, ConversationSummary, load_conversations, summarise_conversations
from bot.evaluation import CaseResult, Summary, load_cases, summarise
from common.net import free_port

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Train, run, evaluate and benchmark the Rasa assistant.")
console = Console()
logger = logging.getLogger(__name__)
_URL_HELP = "A running assistant (Rasa base URL); else one is started and stopped afterwards."


def _fail(exc: Exception) -> typer.Exit:
    console.print("[bold red]error:[/]", end=" ")
    console.print(str(exc), markup=False, highlight=False)
    return typer.Exit(code=1)


@contextlib.contextmanager
def _assistant(url: str | None, *, extra_env: tuple[tuple[str, str], ...] = (),
               auth_token: str | None = None) -> Iterator[str]:
    """The given assistant URL, or a freshly started one (trained first if inputs changed), stopped after.

    ``auth_token``: the token of Rasa's HTTP API for a started one (else one is generated)."""
    if url:
        yield url.rstrip("/")
        return
    from bot.runner import RasaStack, StackOptions
    from bot.training import train

    result = train(log=lambda message: console.print(f"[dim]{message}[/]", soft_wrap=True))
    options = StackOptions(rasa_port=free_port(), action_port=free_port(), extra_env=extra_env,
                           auth_token=auth_token)
    console.print("[dim]starting the Rasa server and the action server ...[/]")
    with RasaStack(result.model, options=options) as stack:
        yield stack.rasa_url


@app.command("train")
def train_command(
    force: Annotated[bool, typer.Option(
        "--force", help="Train even if a model for these inputs is cached.")] = False,
) -> None:
    """Build the content, then train the assistant unless the cache holds a model for the same inputs."""
    from bot.training import train

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
        help="Keep conversations and locks in Redis (redis://[:pass@]host:port/db) for several instances "
             "[RATHAUS_REDIS_URL].",
    )] = None,
    retention: Annotated[int | None, typer.Option(
        help="Seconds Redis keeps a conversation (RedisTrackerStore record_exp) [RATHAUS_CHAT_RETENTION_S, 86400].",
    )] = None,
    cors: Annotated[list[str] | None, typer.Option(
        help="Allowed CORS origin for the Rasa server (repeatable).")] = None,
    no_train: Annotated[bool, typer.Option(
        "--no-train", help="Use the cached model; fail if inputs changed.")] = False,
) -> None:
    """Run the Rasa server and the action server in the foreground until Ctrl-C."""
    from bot.runner import RasaStack, StackOptions
    from bot.settings import BotSettings
    from bot.training import input_hash, model_path, train
    from common.paths import cache_dir
    from common.settings import SettingsError

    try:
        settings = BotSettings.load()
    except SettingsError as exc:  # names each bad variable
        raise _fail(exc) from exc
    redis_url = redis_url or settings.redis_url
    retention = settings.chat_retention_s if retention is None else retention
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    try:
        model = model_path(input_hash(Path(__file__).parent)) if no_train else train(
            log=lambda message: console.print(f"[dim]{message}[/]", soft_wrap=True)).model
        options = StackOptions(rasa_port=port, action_port=action_port, host=host, redis_url=redis_url,
                               chat_retention_s=retention, cors=tuple(cors or ()), auth_token=token,
                               log_dir=cache_dir() / "logs" / "bot")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        console.print("starting the Rasa server and the action server ...")
        with RasaStack(model, options=options) as stack:
            console.print(f"[green]assistant ready[/]: REST webhook {stack.webhook_url}, "
                          f"actions {stack.action_url}; logs in {stack.log_dir}. Ctrl-C stops.")
            console.print("Rasa's HTTP API needs ?token=: " + (
                "RATHAUS_RASA_TOKEN" if token
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
    overview.add_row("in-scope right topic among the best three", _pct(summary.in_scope_top3))
    for score in summary.per_language:
        overview.add_row(f"  in-scope correct topic, {score.label} ({score.total})", _pct(score.accuracy))
    overview.add_row("in-scope clarify rate", _pct(summary.clarify_rate))
    overview.add_row("in-scope rejected (answered out_of_scope)", _pct(summary.rejected_rate))
    overview.add_row(f"out-of-scope not answered with a topic ({summary.out_of_scope_total})",
                     _pct(summary.out_of_scope_not_answered))
    overview.add_row(f"  municipal-sounding out of scope not answered ({summary.municipal_oos_total})",
                     _pct(summary.municipal_oos_not_answered))
    overview.add_row(f"hand-off and AI questions handled ({summary.dialogue_total})", _pct(summary.dialogue_accuracy))
    overview.add_row("out-of-scope precision", _pct(summary.out_of_scope_precision))
    overview.add_row("out-of-scope recall", _pct(summary.out_of_scope_recall))
    console.print(overview)
    for name, op, target, value, met in summary.targets():
        mark = "[green]met[/]" if met else "[red]missed[/]"
        console.print(f"target {name} {op} {_pct(target)}: {_pct(value)} {mark}")


def print_conversation_summary(summary: ConversationSummary) -> None:
    table = Table(title=f"Conversations: {summary.conversations}, turns: {summary.turns}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("turns right (topic and aspect)", _pct(summary.turn_accuracy))
    table.add_row(f"first turns right ({summary.first_turn_total})", _pct(summary.first_turn_accuracy))
    table.add_row("first turns: right topic (as single questions)", _pct(summary.first_turn_topic_accuracy))
    table.add_row(f"follow-ups: right topic and aspect ({summary.follow_up_total})", _pct(summary.follow_up_accuracy))
    table.add_row(f"  after an out-of-scope or hand-off turn ({summary.after_interruption_total})",
                  _pct(summary.after_interruption_accuracy))
    table.add_row("answer time p50: first turns / later turns",
                  f"{summary.p50_first_s * 1000:.0f} ms / {summary.p50_follow_up_s * 1000:.0f} ms")
    table.add_row("answer time p95: first turns / later turns",
                  f"{summary.p95_first_s * 1000:.0f} ms / {summary.p95_follow_up_s * 1000:.0f} ms")
    console.print(table)


def write_report(path: Path, summary: Summary | None, results: list[CaseResult],
                 conversations: ConversationSummary | None = None,
                 conversation_results: list[ConversationResult] | None = None) -> None:
    report: dict[str, Any] = {"summary": summary.to_dict() if summary else None,
                              "cases": [r.to_dict() for r in results]}
    if conversations is not None:
        report["conversation_summary"] = conversations.to_dict()
        report["conversations"] = [r.to_dict() for r in conversation_results or []]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(
        help="YAML file `cases: [{text, expect}]` and/or `conversations: [{turns: [{text, expect}]}]`, "
             "e.g. data/eval/chat.yml.")],
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report here.")] = None,
    url: Annotated[str | None, typer.Option("--url", help=_URL_HELP)] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Conversations in flight at once.")] = 4,
    fail_under: Annotated[float | None, typer.Option(
        "--fail-under", min=0.0, max=1.0,
        help="Exit with code 1 if in-scope accuracy is below this (0..1). Without it the exit code is 0.",
    )] = None,
) -> None:
    """Run an evaluation file against the assistant, one new conversation per case, each conversation
    turn by turn in one session, and print metrics."""
    from bot.client import evaluate_cases, evaluate_conversations

    try:
        cases = load_cases(file)
        conversations = load_conversations(file)
        console.print(f"{len(cases)} cases and {len(conversations)} conversations from {file}")
        with _assistant(url) as base_url:
            results = asyncio.run(evaluate_cases(base_url, cases, concurrency=concurrency)) if cases else []
            dialogues = (asyncio.run(evaluate_conversations(base_url, conversations, concurrency=concurrency))
                         if conversations else [])
    except BotError as exc:
        raise _fail(exc) from exc
    summary = summarise(results) if results else None
    if summary is not None:
        print_summary(summary)
    dialogue_summary = summarise_conversations(dialogues) if dialogues else None
    if dialogue_summary is not None:
        print_conversation_summary(dialogue_summary)
    if report is not None:
        write_report(report, summary, results, dialogue_summary, dialogues)
        console.print(f"report written to {report}")
    if fail_under is not None and summary is not None and summary.in_scope_accuracy < fail_under:
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
    index: Annotated[Path | None, typer.Option(
        "--index", help="Built content index [bot/generated/content_index.json; `rathaus content build`].")] = None,
) -> None:
    """The bar to clear: BM25 over all of each topic's text, and e5 alone, on the same evaluation file."""
    from bot.baseline import Searches, evaluate_baseline
    from bot.retrieval.index import IndexError_
    from bot.training import bot_dir
    from content.embeddings import default_embedder

    try:
        cases = load_cases(file)
        searches = Searches.load(index or bot_dir() / "generated" / "content_index.json", default_embedder())
    except (BotError, IndexError_) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(code=1) from exc
    results = evaluate_baseline(searches, cases)
    bm25, e5 = results["bm25"][0], results["e5"][0]
    table = Table(title=f"Plain searches on {file} ({bm25.in_scope} in-scope questions)")
    table.add_column("metric")
    table.add_column("BM25, all topic text", justify="right")
    table.add_column("e5 alone", justify="right")
    table.add_row("first hit is the right topic", _pct(bm25.top1), _pct(e5.top1))
    table.add_row("  German questions", _pct(bm25.top1_german), _pct(e5.top1_german))
    table.add_row("  other languages", _pct(bm25.top1_other), _pct(e5.top1_other))
    table.add_row("right topic among the first three hits", _pct(bm25.top3), _pct(e5.top3))
    table.add_row("in-scope questions without any hit", _pct(bm25.no_result), _pct(e5.no_result))
    table.add_row(f"out-of-scope questions with hits ({bm25.out_of_scope})",
                  _pct(bm25.out_of_scope_with_results), _pct(e5.out_of_scope_with_results))
    console.print(table)
    console.print("Compare with `rathaus bot eval` (in-scope right topic, top-3, out-of-scope not answered).")


@app.command("tune")
def tune_command(
    files: Annotated[list[Path], typer.Argument(
        help="The DEV parts of an evaluation set (never the test part); fitted on all of them together.")],
    url: Annotated[str | None, typer.Option(
        "--url", help="A running assistant started with RATHAUS_RETRIEVAL_SIGNALS=1; else one is started.")] = None,
    samples_file: Annotated[Path | None, typer.Option(
        "--samples", help="Keep the collected signals here (JSON lines), for a second look.")] = None,
    from_samples: Annotated[bool, typer.Option(
        "--from-samples", help="Read the signals from --samples instead of asking an assistant.")] = False,
    token: Annotated[str | None, typer.Option(
        envvar="RATHAUS_RASA_TOKEN", help="Token of Rasa's HTTP API (/model/parse) of the --url assistant.")] = None,
) -> None:
    """Fit the retrieval fusion (topic weights, answerability model, thresholds) on dev sets; print them."""
    from bot.actions.decide import THRESHOLD_NAMES
    from bot.tune import collect, dump, fit, fit_thresholds, load_samples

    try:
        if from_samples:
            if samples_file is None or not samples_file.is_file():
                raise BotError("--from-samples needs --samples FILE written by an earlier `rathaus bot tune`")
            samples = load_samples(samples_file.read_text(encoding="utf-8"))
        else:
            cases = [case for file in files for case in load_cases(file)]
            if url is None:  # the stack started here gets a token of its own
                token = token or secrets.token_urlsafe(32)
            with _assistant(url, extra_env=(("RATHAUS_RETRIEVAL_SIGNALS", "1"),), auth_token=token) as base_url:
                samples = asyncio.run(collect(base_url, cases, token=token))
            if samples_file is not None:
                samples_file.parent.mkdir(parents=True, exist_ok=True)
                samples_file.write_text(dump(samples), encoding="utf-8")
    except BotError as exc:
        raise _fail(exc) from exc

    tuned = fit(samples)
    chosen = fit_thresholds(samples, tuned.options)
    console.print(f"topic ranked first (German, dev): {_pct(tuned.top1)}; other languages: {_pct(tuned.top1_other)}")
    console.print(f"first topic right or not, classified right at 0.5 (dev, optimistic): "
                  f"{_pct(tuned.in_scope_accuracy)}")
    console.print("Options for the ContentRetriever in bot/config.yml:")
    console.print_json(json.dumps(tuned.config()))
    console.print("Thresholds for bot/actions/decide.py (or RATHAUS_BOT_* in the action server's environment):")
    console.print_json(json.dumps({name: getattr(chosen, name) for name in THRESHOLD_NAMES}))
