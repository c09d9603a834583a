#!/usr/bin/env bash
# Run the test suite. DuckDB 2.0's nanobind bindings print "leaked instance"
# reports at interpreter exit when objects outlive the run; they come after
# pytest's summary and bury it, so they are dropped from stderr (nothing else is).
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pytest "$@" 2> >(grep -v -E '^(nanobind: |See https://nanobind| - leaked | - \.\.\. skipped)' >&2)
status=$?
wait
exit $status
