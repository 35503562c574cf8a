#!/usr/bin/env bash
# The whole test suite (README: "Run the tests"). Installs what it needs first.
# pytest exits 5 when no test ran: that is a failure here too.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "${NIANBAO_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh || exit 1
python3 -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ "$rc" = 5 ]; then echo "no tests ran" >&2; exit 1; fi
exit "$rc"
