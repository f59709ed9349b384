#!/usr/bin/env bash
# The whole suite, once per engine: SQLite (embedded, the default), then PostgreSQL + Redis
# (throwaway servers the tests start from Debian's packages; .ci/run installs them when missing).
# Extra arguments go to both runs, e.g. `bun run test test/rewards`.
set -u
cd "$(dirname "$0")/.."
scripts/install-services.sh || exit 1
status=0
echo "== engine: sqlite"
bun test --timeout 30000 "$@" || status=1
echo "== engine: postgres"
COC_TEST_ENGINE=postgres bun test --timeout 30000 "$@" || status=1
exit "$status"
