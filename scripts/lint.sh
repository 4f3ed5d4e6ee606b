#!/usr/bin/env bash
# Static checks that run before the tests (`make test`, so in CI) and alone (`make lint`): ruff on
# everything, mypy on the pure cores, import-linter on the architecture contracts (.importlinter,
# docs/architecture.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RATHAUS_ROOT"
.venv/bin/ruff check .
.venv/bin/mypy content/schema.py content/embeddings.py asr/cues.py asr/streaming.py asr/live.py \
    channels/messages/ channels/chat.py channels/admission.py channels/staff_accounts.py channels/callbacks.py channels/topics.py channels/handoff.py \
    common/metrics_access.py \
    bot/retrieval/fusion.py bot/retrieval/text.py bot/retrieval/index.py bot/retrieval/retriever.py \
    content/aspects.py bot/aspects/detector.py bot/actions/dialogue.py
.venv/bin/lint-imports --no-cache
