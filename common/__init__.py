"""Leaf package: small helpers and value types that every other package may use.

Modules here import only the standard library and third-party packages, never ``content``, ``bot``,
``asr``, ``channels`` or ``rathaus`` (an import-linter contract checks it), so any package can depend on
them without a cycle:

* :mod:`common.subtitles`: the :class:`~common.subtitles.Cue` value and the WebVTT/SRT writers and
  readers (the subtitle service writes files with them, the gateway serves transcripts with them);
* :mod:`common.streams`: what a valid live stream id is (ingest, broker topic, viewer page);
* :mod:`common.paths`: the checkout and the cache for heavy artefacts; :mod:`common.net`: free ports;
* :mod:`common.auth`: token strength, constant-time comparison, the guess throttle;
  :mod:`common.metrics_access`: who may read ``/metrics``;
* :mod:`common.redact`: personal-data redaction of log records (the gateway installs it; a copy runs in
  the Rasa processes, so it stays standard library only).

The ``rathaus`` package is the command line only (it mounts the packages' commands and runs the demo);
no other package imports it.
"""
