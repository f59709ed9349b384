#!/usr/bin/env bash
# PostgreSQL 15 and Redis from Debian's packages, when missing: the second half of the test suite
# (COC_TEST_ENGINE=postgres) starts throwaway servers of both. Needs root or sudo for apt-get.
set -u
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql-15)
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "== installing ${missing[*]} from apt"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
