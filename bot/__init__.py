"""The citizen chat assistant: a Rasa 3.6 project (this folder) and its services-side tooling.

The services' environment (Python 3.11) imports this package to train, run, evaluate and benchmark
the assistant; it never imports rasa or rasa_sdk, which live in the Rasa engine's own environment
(Python 3.10, created by scripts/setup-rasa.sh). The action server code in ``bot/actions`` runs there.

Exception hierarchy::

    BotError            -- the assistant could not be trained, started, reached or evaluated
"""

from __future__ import annotations

__all__ = ["BotError"]


class BotError(Exception):
    """Training, starting, reaching or evaluating the assistant failed; the message names the fix."""
