"""Recorded meetings: ``transcribe`` (file -> cues, batched by default), ``cli`` (``rathaus subtitles``),
``bench`` (sequential vs batched on one file)."""
