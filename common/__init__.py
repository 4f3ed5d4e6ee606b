"""Leaf package: small helpers and value types that every other package may use.

Modules here import only the standard library and third-party packages, never ``content``, ``bot``,
``asr``, ``channels`` or ``rathaus`` (an import-linter contract checks it), so any package can depend on
them without a cycle:

* :mod:`common.subtitles`: the :class:`~common.subtitles.Cue` value and the WebVTT/SRT writers and
  readers (the subtitle service writes files with them, the gateway serves transcripts with them);
* :mod:`common.streams`: what a valid live stream id is (ingest, broker topic, viewer page).
"""
