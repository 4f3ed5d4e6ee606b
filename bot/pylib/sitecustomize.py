"""Redaction for the Rasa engine's processes (Rasa server, action server), loaded by Python at start-up.

``bot/runner.py`` (and docker/rasa.Dockerfile) put this folder on ``PYTHONPATH`` next to a copy of
``common/redact.py`` named ``rathaus_redact.py``, so every log record and warning of Rasa, rasa-sdk,
Sanic and TensorFlow's Python loggers passes the same redaction as the gateway's (a log-record factory). The line
written to stderr lets the runner check that redaction is active before it reports the stack ready.
Runs under the Rasa environment's Python 3.10: standard library only.
"""

import logging
import sys

import rathaus_redact

rathaus_redact.install()
# Rasa reports some problems with a message as Python warnings, not log records ("Failed to parse
# arguments in line '<the text>'"): route warnings through logging, so they are redacted too.
logging.captureWarnings(True)
sys.stderr.write(f"{rathaus_redact.INSTALLED_MARKER}\n")
sys.stderr.flush()
