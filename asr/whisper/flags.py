"""The model options of every ``rathaus`` command that loads Whisper, with one default each.

``rathaus subtitles transcribe``/``bench`` and ``rathaus asr eval``/``bench`` take these flags; ``rathaus
asr serve`` takes the same options from its settings (``RATHAUS_ASR_MODEL``, ``..._DEVICE``,
``..._COMPUTE_TYPE``, ``..._CPU_THREADS``, ``..._NUM_WORKERS``, ``asr/live/settings.py``). Every default is
:class:`asr.core.options.ModelOptions`' own, so a command cannot drift from the others (an earlier release
had ``cpu_threads`` 0 in one command and 1 in another).
"""

from __future__ import annotations

from typing import Annotated

import typer

from asr.core.options import ModelOptions

__all__ = [
    "DEFAULT",
    "ComputeTypeFlag",
    "CpuThreadsFlag",
    "DecoderFlag",
    "DeviceFlag",
    "ModelFlag",
    "NumWorkersFlag",
]

#: the defaults of every command's model flags
DEFAULT = ModelOptions()

ModelFlag = Annotated[
    str, typer.Option(help="'base' (the bundled CPU model), a model directory, or a name (large-v3-turbo).")
]
DeviceFlag = Annotated[str, typer.Option(help="cpu, cuda or auto.")]
ComputeTypeFlag = Annotated[
    str | None, typer.Option(help="CTranslate2 compute type (default int8 on CPU, float16 on CUDA).")
]
CpuThreadsFlag = Annotated[int, typer.Option(help="CTranslate2 threads per decode (0 = all cores).")]
NumWorkersFlag = Annotated[int, typer.Option(help="Decode steps that run at the same time.")]
DecoderFlag = Annotated[
    str,
    typer.Option(help="live decoder: faster-whisper (default) or ctranslate2 (our decode step, batchable)."),
]
