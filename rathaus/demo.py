"""``rathaus demo run``: the whole product on one machine with the Musterstadt sample content.

Starts, as child processes that all stop together on Ctrl-C:

- a redis-server on loopback (the broker between the processes, and Rasa's tracker and lock store),
- the Rasa server and the action server (trained first, cached by the hash of their inputs),
- ffmpeg, the livestream's encoder: a generated picture (agenda slides and a clock) and a generated German
  council-meeting recording, looped, as an HLS live stream with program date time (rathaus/demo_stream.py),
- the gateway, which serves the Musterstadt demo website with the chat widget, the live viewer (video with
  captions in sync) and the staff console, and the HLS files at ``/hls/``,
- the subtitle service, which transcribes the same HLS URL like a city's set-up (``--source STREAM=URL``);
- and, made once and cached, an archive with one recorded meeting subtitled by ``rathaus subtitles transcribe``.

The shell owns processes only; every decision lives in the packages it starts.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from channels.staff_accounts import StaffAccount, hash_password, upsert_account
from common.net import free_port
from common.paths import cache_dir
from rathaus.demo_stream import Slide, ffmpeg_args, recording_args, recording_seconds, slides, write_slides

__all__ = ["COUNCIL_TEXT", "app"]

app = typer.Typer(no_args_is_help=True, help="Run the whole product locally with the Musterstadt sample content.")
console = Console(stderr=True)

#: The sample content folders; ``--cities`` serves both, the first as the default city.
_SAMPLES = Path(__file__).resolve().parents[1] / "content"
_SAMPLE_CITIES = ("musterstadt", "beispielhausen")

# What the simulated council livestream says (fictitious, Musterstadt).
COUNCIL_TEXT = (
    "Guten Abend, meine Damen und Herren. Ich eröffne die öffentliche Sitzung des Rates der Stadt Musterstadt. "
    "Die Einladung ist form- und fristgerecht ergangen, der Rat ist beschlussfähig. "
    "Wir kommen zu Tagesordnungspunkt drei, dem Bebauungsplan Am Stadtpark. "
    "Der Bauausschuss hat den Entwurf beraten und empfiehlt die öffentliche Auslegung. "
    "Gibt es Wortmeldungen? Das ist nicht der Fall. Dann lasse ich abstimmen. "
    "Wer dem Beschlussvorschlag zustimmt, den bitte ich um das Handzeichen. Das ist einstimmig so beschlossen. "
    "Tagesordnungspunkt vier betrifft die Haushaltssatzung für das kommende Jahr. "
    "Die Kämmerin stellt die wichtigsten Zahlen vor, danach folgt die Aussprache."
)


def _wait_for_port(port: int, what: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise typer.Exit(_fail(f"{what} exited with code {process.returncode} while starting"))
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.2)
    raise typer.Exit(_fail(f"{what} did not listen on port {port} within {timeout:.0f} s"))


def _fail(message: str) -> int:
    console.print(f"[red]demo: {message}[/]")
    return 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _demo_recording() -> Path:
    """The council-meeting recording the simulated livestream plays, rendered once with espeak-ng."""
    from asr.eval.synth import render_speech

    target = cache_dir() / "demo" / "ratssitzung.wav"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        console.print("rendering the demo council meeting with espeak-ng ...")
        partial = target.with_suffix(".tmp.wav")
        render_speech(COUNCIL_TEXT, partial, voice="de", speed=150)
        os.replace(partial, target)
    return target


def _demo_archive(recording: Path, *, duration: float, agenda: list[Slide], rathaus: str) -> Path:
    """The archive of recorded meetings with one recording: the demo meeting as MP4, subtitled by
    ``rathaus subtitles transcribe`` as a city does it (docs/live.md), made once and cached."""
    root = cache_dir() / "demo" / "aufzeichnungen"
    folder = root / "rat-beispiel"
    if (folder / "untertitel.vtt").exists():
        return root
    folder.mkdir(parents=True, exist_ok=True)
    console.print("recording the demo meeting for the archive and subtitling it (once) ...")
    write_slides(folder / "slides", agenda)
    video = folder / "video.mp4"
    subprocess.run(recording_args(recording=recording, duration=duration, slide_dir=folder / "slides",
                                  agenda=agenda, video=video), check=True, timeout=600)
    partial = folder / "untertitel.partial.vtt"
    subprocess.run([rathaus, "subtitles", "transcribe", str(video), "-o", str(partial)], check=True, timeout=1800)
    (folder / "sitzung.yml").write_text(
        f"title: Ratssitzung (Beispielaufzeichnung)\ndate: {time.strftime('%Y-%m-%d')}\n"
        "description: Erfundene Sitzung der Musterstadt mit synthetischer Stimme; die Untertitel sind\n"
        "  automatisch erstellt.\n",
        encoding="utf-8",
    )
    os.replace(partial, folder / "untertitel.vtt")
    return root


def _reserve(port: int) -> socket.socket:
    """Bind and listen on the gateway's port now, before the minute-long start-up, so a second demo fails at
    once instead of taking this one's port (the gateway later serves on this very socket)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise typer.Exit(_fail(f"port {port} is already in use ({exc.strerror}); stop what listens there "
                               "(another demo?) or pass --port")) from exc
    sock.set_inheritable(True)
    return sock


def _run_folder() -> Path:
    """A log folder of this run alone (demos running side by side do not truncate each other's logs)."""
    runs = cache_dir() / "demo" / "runs"
    folder = runs / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def _wait_for_gateway(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Until our gateway answers /healthz on the reserved socket (nothing else can answer there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise typer.Exit(_fail(f"the gateway exited with code {process.returncode} while starting"))
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise typer.Exit(_fail(f"the gateway did not answer on port {port} within {timeout:.0f} s"))


@contextlib.contextmanager
def _child(args: list[str], *, log: Path, env: dict[str, str] | None = None,
           pass_fds: tuple[int, ...] = ()) -> Iterator[subprocess.Popen[bytes]]:
    """A child process whose output goes to ``log``; terminated (then killed) on exit."""
    with log.open("wb") as sink:
        process = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                   pass_fds=pass_fds)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@app.command("run")
def run(
    port: Annotated[int, typer.Option(help="Port of the gateway (the address to open in a browser).")] = 8080,
    subtitles: Annotated[bool, typer.Option(help="Run the simulated livestream with live subtitles.")] = True,
    chat: Annotated[bool, typer.Option(help="Run the Rasa assistant for the chat widget.")] = True,
    cities: Annotated[
        bool,
        typer.Option(help="Serve both fictitious sample cities, Musterstadt and Beispielhausen, from one gateway "
                          "and one Rasa (docs/cities.md)."),
    ] = False,
) -> None:
    """Start everything, print the addresses to open, and run until Ctrl-C."""
    # A SIGTERM (a service manager, `kill`) stops the demo like Ctrl-C does: children are cleaned up.
    signal.signal(signal.SIGTERM, _interrupt)
    from bot.runner import RasaStack, StackOptions
    from bot.training import train

    listener = _reserve(port)
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        raise typer.Exit(_fail("redis-server is not installed; run 'make setup' first"))
    rathaus = str(Path(sys.executable).with_name("rathaus"))
    staff_token = secrets.token_urlsafe(32)
    ingest_token = secrets.token_urlsafe(32)
    redis_port = free_port()
    broker_url = f"redis://127.0.0.1:{redis_port}/0"
    stream = "ratssitzung"
    second_city_token = secrets.token_urlsafe(32)
    if cities:
        # every child (content build, Rasa, action server, gateway) serves both cities; the subtitle service
        # subtitles the default city's stream, as one process per city would in a data centre
        os.environ["RATHAUS_CITIES"] = ",".join(str(_SAMPLES / name) for name in _SAMPLE_CITIES)
        os.environ[f"RATHAUS_CITY_{_SAMPLE_CITIES[1].upper()}_STAFF_TOKEN"] = second_city_token

    with contextlib.ExitStack() as stack:
        stack.callback(listener.close)
        workdir = _run_folder()
        console.print(f"logs of the demo's processes: {workdir}")
        redis = stack.enter_context(_child(
            [redis_binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(workdir),
             "--save", "", "--appendonly", "no"],
            log=workdir / "redis.log",
        ))
        _wait_for_port(redis_port, "redis-server", redis, timeout=15)

        rasa_url = "http://127.0.0.1:9"  # nothing listens: the gateway answers politely that chat is down
        if chat:
            console.print("training the assistant (cached after the first time) ...")
            model = train(log=console.print).model
            options = StackOptions(rasa_port=free_port(), action_port=free_port(), redis_url=broker_url,
                                   log_dir=workdir)
            rasa = stack.enter_context(RasaStack(model, options=options))
            rasa_url = rasa.rasa_url

        hls_dir = workdir / "hls"
        if subtitles:
            ffmpeg = shutil.which("ffmpeg")
            if ffmpeg is None:
                raise typer.Exit(_fail("ffmpeg is not installed; run 'make setup' first"))
            recording = _demo_recording()
            duration = recording_seconds(recording)
            agenda = slides(COUNCIL_TEXT, duration)
            write_slides(workdir / "slides", agenda)
            playlist = hls_dir / stream / "index.m3u8"
            playlist.parent.mkdir(parents=True)
            archive = _demo_archive(recording, duration=duration, agenda=agenda, rathaus=rathaus)
            stack.enter_context(_child(
                ffmpeg_args(recording=recording, duration=duration, slide_dir=workdir / "slides", agenda=agenda,
                            playlist=playlist),
                log=workdir / "ffmpeg.log",
            ))

        # a demo staff account (per-person accounts, channels/staff_accounts.py) with a fresh password
        staff_password = secrets.token_urlsafe(9)
        staff_accounts = workdir / "staff-accounts.yml"
        demo_account = StaffAccount(login="demo", name="Demo-Mitarbeiterin", password=hash_password(staff_password))
        staff_accounts.write_text(upsert_account(None, demo_account), encoding="utf-8")
        staff_accounts.chmod(0o600)
        gateway_env = {
            "RATHAUS_STAFF_TOKEN": staff_token,
            "RATHAUS_STAFF_ACCOUNTS": str(staff_accounts),
            "RATHAUS_DEFAULT_STREAM": stream,
        }
        if subtitles:
            gateway_env |= {"RATHAUS_HLS_DIR": str(hls_dir), "RATHAUS_HLS_URL": "/hls/{stream}/index.m3u8",
                            "RATHAUS_RECORDINGS_DIR": str(archive), "RATHAUS_ARCHIVE_LIVE": "true",
                            "RATHAUS_ARCHIVE_TITLE": "Ratssitzung Musterstadt (Livestream)"}
        if chat:
            gateway_env |= {"RATHAUS_RASA_TOKEN": rasa.auth_token, "RATHAUS_ACTION_URL": f"{rasa.action_url}/webhook"}
        gateway = stack.enter_context(_child(
            [rathaus, "gateway", "serve", "--port", str(port), "--fd", str(listener.fileno()),
             "--broker-url", broker_url, "--rasa-url", rasa_url],
            log=workdir / "gateway.log",
            env=gateway_env,
            pass_fds=(listener.fileno(),),
        ))
        _wait_for_gateway(port, gateway, timeout=60)

        base = f"http://127.0.0.1:{port}"
        if subtitles:
            # like a city's set-up: the subtitle service reads the livestream that viewers watch
            asr_port = free_port()
            asr = stack.enter_context(_child(
                [rathaus, "asr", "serve", "--port", str(asr_port), "--broker-url", broker_url,
                 "--token", ingest_token, "--source", f"{stream}={base}/hls/{stream}/index.m3u8"],
                log=workdir / "asr.log",
            ))
            _wait_for_port(asr_port, "the subtitle service", asr, timeout=180)
        # addresses are never wrapped (a console of 80 columns would break the token out of a URL)
        say = functools.partial(console.print, soft_wrap=True)
        say()
        sample = "the fictitious Musterstadt and Beispielhausen" if cities else "the fictitious Musterstadt"
        say(f"[bold green]rathaus demo is running[/] (sample data of {sample})")
        say(f"  Musterstadt website with the chat widget:  {base}/")
        if subtitles:
            say(f"  council meeting live, with subtitles:      {base}/live/{stream}")
            say(f"  its HLS livestream (ffmpeg):               {base}/hls/{stream}/index.m3u8")
            say(f"  recorded meetings with subtitles:          {base}/aufzeichnungen/")
        say(f"  staff console (hand-off):                  {base}/staff")
        say(f"    demo staff account:                      login demo, password {staff_password}")
        say(f"    or at once, with the shared token:       {base}/staff?token={staff_token}")
        if cities:
            second = _SAMPLE_CITIES[1]
            say(f"  the second city, Beispielhausen:           {base}/{second}/  (and {base}/musterstadt/)")
            say(f"    its staff console:                       {base}/{second}/staff?token={second_city_token}")
        console.print("Press Ctrl-C to stop.")
        try:
            while gateway.poll() is None:
                time.sleep(1)
            raise typer.Exit(_fail(f"the gateway stopped (code {gateway.returncode}); see {workdir}/gateway.log"))
        except KeyboardInterrupt:
            console.print("stopping ...")
