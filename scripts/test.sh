#!/usr/bin/env bash
# The whole test suite (README: "Run the tests"). pytest exits 5 when no test ran: that fails too.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ "$rc" = 5 ]; then echo "no tests ran" >&2; exit 1; fi
exit "$rc"
