"""Measurement: ``evaluate`` (live and file path against the anchor), ``anchor`` (plain faster-whisper),
``report`` (pooled targets), ``capacity`` (streams per process), ``synth`` (German test speech), ``cli``
(``rathaus asr eval``/``bench``)."""
