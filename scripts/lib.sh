# Shared helpers for the set-up scripts. Source, do not execute.
# shellcheck shell=bash
set -euo pipefail

RATHAUS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATHAUS_CACHE="${RATHAUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rathaus}"
export RATHAUS_ROOT RATHAUS_CACHE

log() { printf '\033[1m[rathaus]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[rathaus] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Prints the path of a Python 3.10 interpreter, or fails with a hint.
find_python310() {
    local candidate
    for candidate in "${RATHAUS_PYTHON310:-}" python3.10; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
            command -v "$candidate"; return 0
        fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in "$(pyenv root)"/versions/3.10*/bin/python3.10; do
            [ -x "$candidate" ] && { echo "$candidate"; return 0; }
        done
    fi
    for candidate in /usr/bin/python3.10 /usr/local/bin/python3.10; do
        [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
    die "Python 3.10 is needed for the Rasa engine (rasa 3.6 supports 3.8-3.10). Install it (e.g. 'pyenv install 3.10') or set RATHAUS_PYTHON310."
}

# sha256 over the given files' contents and their paths relative to the checkout, short form, so the
# same inputs give the same key in any clone (CI checks out into a fresh folder every time).
hash_files() {
    local f
    for f in "$@"; do printf '%s\n' "${f#"$RATHAUS_ROOT"/}"; cat "$f"; done | sha256sum | cut -c1-16
}
