"""``rathaus gateway``: serve the gateway, export the message schema, run the benchmarks."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="The public gateway for chat and subtitle viewers.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print numbers (not tests).")
app.add_typer(bench_app, name="bench")
console = Console(stderr=True)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default RATHAUS_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default RATHAUS_PORT or 8080)."),
    broker_url: str = typer.Option(None, help="memory:// or redis://host:6379/0 (default RATHAUS_BROKER_URL)."),
    rasa_url: str = typer.Option(None, help="Rasa server (default RATHAUS_RASA_URL)."),
    fd: int = typer.Option(
        None, help="Serve on this inherited, already listening socket instead of binding (rathaus demo)."
    ),
) -> None:
    """Run the gateway until Ctrl-C. All options also come from RATHAUS_* environment variables."""
    import socket

    from aiohttp import web

    from channels.gateway import create_app
    from channels.settings import load_settings
    from common.redact import install
    from common.settings import SettingsError
    from content.errors import ContentError

    overrides = {
        k: v
        for k, v in {"host": host, "port": port, "broker_url": broker_url, "rasa_url": rasa_url}.items()
        if v is not None
    }
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:  # names each bad variable (common/settings.py)
        console.print(f"[red]gateway: {exc}[/]", highlight=False)
        raise typer.Exit(2) from exc
    except ContentError as exc:  # RATHAUS_CONTENT unusable (content/root.py)
        console.print(f"[red]gateway: {exc}[/]", highlight=False)
        raise typer.Exit(2) from exc
    install()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    console.print(
        f"[bold]rathaus gateway[/] on http://{settings.host}:{settings.port} "
        f"broker={settings.broker_url or 'memory://'} rasa={settings.rasa_url}"
    )
    access = '%a "%r" %s %b %Tfs'
    # After on_shutdown closed every WebSocket (each within RATHAUS_WS_CLOSE_TIMEOUT_S), handlers still
    # running get shutdown_timeout_s before they are cancelled (aiohttp's default is 60 s).
    if fd is None:
        web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None,
                    access_log_format=access, shutdown_timeout=settings.shutdown_timeout_s)
    else:  # the caller bound and listens already (rathaus demo holds its port from its first second)
        web.run_app(create_app(settings), sock=socket.socket(fileno=fd), print=None, access_log_format=access,
                    shutdown_timeout=settings.shutdown_timeout_s)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here, not stdout.")] = None,
) -> None:
    """Export the JSON Schema of every channel message (docs/schema/messages.json)."""
    from channels.messages import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {output}")


@app.command("staff-account")
def staff_account(
    login: Annotated[str, typer.Argument(help="Login, lower case (letters, digits, . _ -), e.g. beispiel.")],
    name: Annotated[str, typer.Option(help="Name shown to colleagues, e.g. 'Frau Beispiel, Bürgerbüro'.")],
    file: Annotated[Path, typer.Option(help="The accounts file (RATHAUS_STAFF_ACCOUNTS); created if missing.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when left out.")
    ],
) -> None:
    """Add a person to the staff console's accounts, or set their name and password (stored as a hash)."""
    import os

    from pydantic import ValidationError

    from channels.staff_accounts import StaffAccount, StaffAccountsError, hash_password, upsert_account

    if len(password) < 10:
        console.print("[red]staff-account: the password needs at least 10 characters[/]")
        raise typer.Exit(2)
    try:
        account = StaffAccount(login=login, name=name, password=hash_password(password))
        text = upsert_account(file.read_bytes() if file.exists() else None, account)
    except (ValidationError, StaffAccountsError) as exc:
        console.print(f"[red]staff-account: {file}: {exc}[/]", highlight=False)
        raise typer.Exit(2) from exc
    tmp = file.with_name(f".{file.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, file)  # atomic: a running gateway never reads half a file
    console.print(f"{file}: account {login!r} ({name}) saved; restart the gateway to use it")


@bench_app.command("viewers")
def bench_viewers(
    viewers: int = typer.Option(2000, help="WebSocket viewers to connect."),
    cues: int = typer.Option(60, help="Cues to publish."),
    interval: float = typer.Option(0.5, help="Seconds between cues."),
    client_procs: int = typer.Option(2, help="Processes that hold the viewer connections."),
    broker: str = typer.Option("memory", help="memory (gateway in this process) or redis (a local redis-server)."),
    instances: int = typer.Option(1, help="Gateway processes sharing the Redis broker (--broker redis)."),
    join_burst: int = typer.Option(0, help="Viewers that open their sockets at the same moment first (redis)."),
    prefill: int = typer.Option(8, help="Cues in the stream before anyone joins; each viewer must get them (redis)."),
    video_kib: int = typer.Option(0, help="Each viewer also fetches the HLS playlist and a segment of this size "
                                  "from the gateway's /hls/ every 2 s, as the video page does (memory broker)."),
) -> None:
    """Cue delivery to many viewers over loopback: added delay p50/p99 and CPU. With --broker redis:
    separate gateway processes on one redis-server, optionally with a join burst."""
    if broker == "redis":
        from channels.bench_burst import run_fleet_bench

        result = run_fleet_bench(
            viewers=viewers,
            cues=cues,
            interval=interval,
            client_procs=client_procs,
            instances=instances,
            join_burst=join_burst,
            prefill=prefill,
        )
    elif broker == "memory" and instances == 1 and not join_burst:
        from channels.bench import run_viewer_bench

        result = run_viewer_bench(viewers=viewers, cues=cues, interval=interval, client_procs=client_procs,
                                  video_kib=video_kib)
    else:
        raise typer.BadParameter("--instances and --join-burst need --broker redis", param_hint="--broker")
    typer.echo(json.dumps(result, indent=2))


@bench_app.command("chat")
def bench_chat(
    rasa_url: str = typer.Option(None, help="A running Rasa server; without it a stand-in with --fake-delay."),
    fake_delay: float = typer.Option(0.05, help="Answer delay of the stand-in Rasa (seconds)."),
    requests: int = typer.Option(200, help="Requests per concurrency level and path."),
    concurrency: str = typer.Option("1,10,50", help="Comma-separated concurrency levels."),
) -> None:
    """Gateway chat overhead: POST /api/chat through the gateway vs. Rasa's webhook directly."""
    from channels.bench import run_chat_bench

    levels = [int(x) for x in concurrency.split(",") if x.strip()]
    result = run_chat_bench(rasa_url=rasa_url, fake_delay=fake_delay, requests=requests, levels=levels)
    typer.echo(json.dumps(result, indent=2))


@bench_app.command("chat-burst")
def bench_chat_burst(
    questions: int = typer.Option(100, help="Citizens who send a question at the same moment."),
    follow_up: int = typer.Option(30, help="A second wave right after the first (0: none)."),
    service_time: float = typer.Option(0.09, help="Stand-in Rasa: seconds per answer, one at a time."),
    rasa_url: str = typer.Option(None, help="A running Rasa (rathaus bot run) instead of the stand-in."),
    concurrency: int = typer.Option(None, help="RATHAUS_RASA_CONCURRENCY of the gateway (default: its default)."),
) -> None:
    """A burst of chat questions over WebSockets to one gateway process: answered, told to wait, p50/p95."""
    from channels.bench_burst import run_chat_burst_bench

    result = run_chat_burst_bench(
        questions=questions, follow_up=follow_up, service_time=service_time, rasa_url=rasa_url, concurrency=concurrency
    )
    typer.echo(json.dumps(result, indent=2))


if __name__ == "__main__":
    app()
