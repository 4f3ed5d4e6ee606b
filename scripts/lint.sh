#!/usr/bin/env bash
# Static checks that run before the tests (`make test`, so in CI) and alone (`make lint`): ruff on
# everything, mypy on every package (strict on the pure cores), import-linter on the architecture contracts (.importlinter,
# docs/architecture.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RATHAUS_ROOT"
.venv/bin/ruff check .
# mypy checks every package, and --strict the pure cores (sans-I/O, tested with data only)
.venv/bin/mypy asr channels content common rathaus bot
.venv/bin/mypy --strict asr/core asr/live/protocol.py asr/eval/measures.py \
    content/schema.py content/embeddings.py content/aspects.py \
    channels/messages/ channels/chat.py channels/admission.py channels/staff_accounts.py channels/callbacks.py \
    channels/topics.py channels/handoff.py channels/archive.py common/metrics_access.py common/streams.py common/redact.py common/hls.py \
    bot/retrieval/fusion.py bot/retrieval/text.py bot/retrieval/index.py bot/retrieval/retriever.py \
    bot/aspects/detector.py bot/actions/dialogue.py bot/actions/decide.py bot/actions/kinds.py \
    bot/actions/places.py bot/actions/topic_words.py
.venv/bin/lint-imports --no-cache
