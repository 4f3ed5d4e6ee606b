"""``rathaus content ...``: check and build the editors' content."""

from __future__ import annotations

import json
import os
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from content import CITIES_ENV, build_installation, default_out_dir, default_root
from content.checker import CheckOptions, analyse, display_path
from content.compiler import BuildResult
from content.compiler import build as build_content
from content.embeddings import default_embedder
from content.errors import ContentError, Problem
from content.vocabulary import vocabulary as load_vocabulary

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Check and build the editors' municipal content.")
console = Console(highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


RootArg = Annotated[
    Path | None,
    typer.Argument(
        help="Content folder (municipality.yml, offices.yml, topics/). "
        "Default: $RATHAUS_CONTENT or content/musterstadt."
    ),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="text for people, json for tools.")]
TodayOpt = Annotated[
    str | None,
    typer.Option("--today", help="Pretend today is this date (YYYY-MM-DD); for reproducible checks."),
]


def _default_root() -> Path:
    """The folder from ``$RATHAUS_CONTENT`` (content/root.py); an unusable setting ends the command."""
    try:
        return default_root()
    except ContentError as exc:
        _print_problems(list(exc.problems))
        raise typer.Exit(1) from None


def _today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD") from exc


def _counts(problems: list[Problem]) -> tuple[int, int]:
    errors = sum(p.severity == "error" for p in problems)
    return errors, len(problems) - errors


def _print_problems(problems: list[Problem]) -> None:
    for p in problems:
        style = "bold red" if p.severity == "error" else "yellow"
        hint = f" [dim](hint: {escape(p.hint)})[/dim]" if p.hint else ""
        console.print(
            f"[bold]{escape(p.path)}:{p.line}[/bold]: [{style}]{p.severity}[/{style}]: "
            f"[cyan]{escape(p.field or '-')}[/cyan]: {escape(p.message)}{hint}"
        )


def _json_report(root: Path, problems: list[Problem], **extra: object) -> str:
    errors, warnings = _counts(problems)
    report = {
        "root": display_path(root),
        "errors": errors,
        "warnings": warnings,
        **extra,
        "problems": [p.to_dict() for p in problems],
    }
    return json.dumps(report, ensure_ascii=False, indent=2)


def _summary(problems: list[Problem]) -> None:
    errors, warnings = _counts(problems)
    colour = "red" if errors else ("yellow" if warnings else "green")
    console.print(f"[{colour}]{errors} error(s), {warnings} warning(s)[/{colour}]")


SemanticOpt = Annotated[
    bool,
    typer.Option(
        "--semantic/--no-semantic",
        help="Also warn about phrasings that the assistant's semantic retrieval puts nearer another topic "
        "(embeds the content once, about 25 s, then cached).",
    ),
]


@app.command()
def check(
    root: RootArg = None, output: FormatOpt = OutputFormat.text, today: TodayOpt = None, semantic: SemanticOpt = True
) -> None:
    """Validate all content files; print each problem as path:line: field: message (hint).

    Exits 1 when there is an error, 0 with warnings only.
    """
    folder = root or _default_root()
    embed = default_embedder() if semantic else None
    content, problems = analyse(folder, options=CheckOptions(today=_today(today)), embed=embed)
    if output is OutputFormat.json:
        typer.echo(_json_report(folder, problems, topics=len(content.topics) if content else None))
    else:
        _print_problems(problems)
        if content is not None:
            console.print(
                f"{display_path(folder)}: {len(content.topics)} topics, {len(content.offices)} offices"
            )
        _summary(problems)
    if content is None:
        raise typer.Exit(1)


@app.command()
def build(
    root: RootArg = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Rasa project folder to write into. Default: bot/.")
    ] = None,
    output: FormatOpt = OutputFormat.text,
    today: TodayOpt = None,
) -> None:
    """Check, then compile the content into Rasa training data, responses and the content index.

    Writes nothing at all when the check finds an error.
    """
    folder = root or _default_root()
    out_dir = out or default_out_dir()
    several = root is None and bool(os.environ.get(CITIES_ENV))
    try:
        if several:
            results = build_installation(out_dir, today=_today(today))
        else:
            results = (build_content(folder, out_dir, today=_today(today)),)
    except ContentError as exc:
        problems = list(exc.problems)
        if output is OutputFormat.json:
            typer.echo(_json_report(folder, problems, written=[]))
        else:
            _print_problems(problems)
            _summary(problems)
            console.print(
                f"[bold red]Build stopped: {'that city was not' if several else 'nothing was'} written.[/bold red] "
                "Fix the errors above and run it again."
            )
        raise typer.Exit(1) from None
    for result in results:
        _report_build(result, output)


def _report_build(result: BuildResult, output: OutputFormat) -> None:
    warnings = list(result.warnings)
    if output is OutputFormat.json:
        typer.echo(
            _json_report(
                result.root,
                warnings,
                written=[display_path(f) for f in result.files],
                changed=[display_path(f) for f in result.changed],
                content_hash=result.content_hash,
            )
        )
        return
    _print_problems(warnings)
    for file in result.files:
        state = "written" if file in result.changed else "unchanged"
        console.print(f"  {display_path(file)} [dim]({state})[/dim]")
    console.print(
        f"[green]Built {result.topics} topics, {result.examples} examples[/green] "
        f"(content hash {result.content_hash[:12]}), {len(warnings)} warning(s)"
    )


@app.command()
def vocabulary(root: RootArg = None) -> None:
    """Print the local terms (one per line) used as speech-recognition hotwords."""
    folder = root or _default_root()
    try:
        terms = load_vocabulary(folder)
    except ContentError as exc:
        _print_problems(list(exc.problems))
        raise typer.Exit(1) from None
    for term in terms:
        typer.echo(term)
