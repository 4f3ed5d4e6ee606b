"""Live and recorded German subtitles on faster-whisper.

The folders follow the data path (docs/architecture.md):

* ``asr.core``: the pure core, sans-I/O: options, decoder protocol, commit policy, guards, cue builder,
  the one live pipeline (:class:`~asr.core.pipeline.LiveSubtitler`) and the sink protocol;
* ``asr.whisper``: faster-whisper behind the decoder protocol, and the model;
* ``asr.live``: the live service (ingest, sources, scheduler, publishing, ``rathaus asr serve``/``feed``);
* ``asr.offline``: recorded meetings (``rathaus subtitles``);
* ``asr.eval``: evaluation against the anchor and benchmarks (``rathaus asr eval``/``bench``).

This package root stays light: it must not import faster_whisper or ctranslate2, so that tools, tests
and the pure core run without a speech model in their process. Subtitle files (WebVTT/SRT) and the
``Cue`` value live in the leaf :mod:`common.subtitles`.
"""

from __future__ import annotations

from asr.errors import AsrError

__all__ = ["AsrError"]
