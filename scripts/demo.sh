#!/usr/bin/env bash
# The README's demo command: installs what is needed, starts a throwaway PostgreSQL 15, and runs real
# migrations with the pgshift CLI, showing the old and the new version schema answering side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec scripts/with-cluster.sh bash scripts/demo-steps.sh
