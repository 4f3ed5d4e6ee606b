#!/usr/bin/env bash
# Creates the services' environment at .venv (Python 3.11+, the project editable with its dev extras).
# Safe to run twice: reinstalls only when pyproject.toml changed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

venv="$RATHAUS_ROOT/.venv"
stamp="$venv/.rathaus-installed"
want="$(hash_files "$RATHAUS_ROOT/pyproject.toml")"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/rathaus" ]; then
    exit 0
fi
python="${RATHAUS_PYTHON:-python3}"
"$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
    || die "the services need Python 3.11 or newer; set RATHAUS_PYTHON to one"
[ -x "$venv/bin/python" ] || { log "creating $venv"; "$python" -m venv "$venv"; }
log "installing rathaus and its dependencies into .venv"
"$venv/bin/pip" install -q --upgrade pip
# compat mode puts the checkout on sys.path, so the top-level packages (content, asr, channels, bot) import as-is.
"$venv/bin/pip" install -q -e "$RATHAUS_ROOT[dev]" --config-settings editable_mode=compat
echo "$want" > "$stamp"
