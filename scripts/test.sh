#!/usr/bin/env bash
# Runs the test suite in .venv. Extra arguments go to pytest (e.g. -m "not slow").
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RATHAUS_ROOT"
set +e
.venv/bin/pytest -ra "$@"
status=$?
set -e
# pytest exits 5 when it collected no tests: a suite that tests nothing is a failure, not a pass.
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: the selection or the test tree is broken" >&2
    exit 1
fi
exit "$status"
