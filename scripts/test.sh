#!/usr/bin/env bash
# Sets up everything (packages, build, install) and runs every test suite against a throwaway
# PostgreSQL 15 cluster. Ends with a line `N passed, N failed`; exits non-zero if anything failed.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec scripts/with-cluster.sh bash scripts/run-suites.sh
