#!/usr/bin/env bash
# The main job, offline: serve the bundled sample portal on 127.0.0.1, crawl it into
# ./archive.db, then publish the archive in Datasette (http://127.0.0.1:8001/: the search page). The portal
# keeps serving while Datasette runs, so every report's "original" link opens.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${NIANBAO_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh
exec nianbao demo "$@"
