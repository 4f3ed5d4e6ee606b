"""The live subtitle service: ingest, sources, scheduling, publishing.

``service`` (many streams on one shared model, fair scheduler, back-pressure), ``ingest`` and
``protocol`` (the WebSocket ingest and its frames, shared with ``feed``), ``sources`` (ffmpeg inputs),
``settings``, ``metrics`` and ``cli`` (``rathaus asr serve``/``feed``).
"""
