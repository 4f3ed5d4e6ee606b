"""The speech engine: faster-whisper / CTranslate2 behind the :class:`~asr.core.decoder.Decoder` protocol.

``engine`` is the one module that touches faster-whisper's internals; ``model`` assembles, resolves and
shares the Whisper model; ``flags`` holds the model options every command takes. Import lazily: this
package root stays free of faster_whisper.
"""
