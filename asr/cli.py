"""``rathaus asr``: the live service's commands (:mod:`asr.live.cli`) and its measurements (:mod:`asr.eval.cli`).

Two modules, one command group: ``serve``/``feed`` run the service, ``eval``/``bench`` measure it. The
measurements import the service, never the other way round.
"""

from __future__ import annotations

import typer

from asr.eval import cli as eval_cli
from asr.live import cli as live_cli

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Live subtitle service: serve, feed, evaluate, benchmark.")
for _sub in (live_cli.app, eval_cli.app):
    app.registered_commands.extend(_sub.registered_commands)
