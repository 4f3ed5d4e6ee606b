#!/usr/bin/env bash
# Creates the Rasa engine's environment (Python 3.10, rasa==3.6.21) in the cache, keyed by a hash of
# bot/requirements.txt, and prints its path. Safe to run twice: an existing complete environment is reused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

key="$(hash_files "$RATHAUS_ROOT/bot/requirements.txt")"
env_dir="$RATHAUS_CACHE/rasa-env-$key"
if [ -f "$env_dir/.complete" ]; then
    echo "$env_dir"; exit 0
fi
py310="$(find_python310)"
log "creating the Rasa environment in $env_dir (takes about 2 minutes)"
# An environment without the .complete marker is a broken earlier attempt: start over.
rm -rf "$env_dir"
mkdir -p "$RATHAUS_CACHE"
"$py310" -m venv "$env_dir"
"$env_dir/bin/pip" install -q --upgrade "pip<24.1" >&2
"$env_dir/bin/pip" install -q -r "$RATHAUS_ROOT/bot/requirements.txt" >&2
"$env_dir/bin/rasa" --version >&2
touch "$env_dir/.complete"
echo "$env_dir"
