"""The pure core of the subtitle service: sans-I/O, no asyncio, no speech engine.

``options`` (one frozen options object per component), ``decoder`` (the protocol a speech engine
implements), ``streaming`` (commit policy), ``guards`` (Whisper's failure modes), ``cues`` (broadcast
rules), ``pipeline`` (:class:`~asr.core.pipeline.LiveSubtitler`, the one live pipeline), ``sink`` (where
the live service publishes), ``textnorm`` (German normalisation for WER). import-linter keeps them pure.
"""
